//! Briefing subscriptions, rendered contents and the delivery ledger.
//!
//! The ledger is the guard against double sends: a row per (user, business date), inserted
//! with `ON CONFLICT DO NOTHING` before anything is sent, and taken for sending by one atomic
//! `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)` (SQLite, which serialises writers,
//! ignores the lock clause), so that two workers never take the same row.

use entities::ids::UserId;
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use entities::{briefing_content, briefing_delivery, briefing_subscription, period_status, user};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::domain::briefing::{SendTime, Subscription};
use crate::domain::period::{Grain, from_day_number};
use crate::store::StoreError;

/// Where a delivery stands, and what it is: stored through sea-orm.
pub use entities::briefing_delivery::{DeliveryKind, DeliveryStatus as Status};

// ---- subscriptions ----

fn from_row(row: &briefing_subscription::Model) -> Subscription {
    Subscription {
        enabled: row.enabled,
        time: SendTime::from_minute(row.send_minute).unwrap_or(SendTime::DEFAULT),
        include_weekends: row.include_weekends,
    }
}

pub async fn subscription<C: ConnectionTrait>(db: &C, user_id: UserId) -> Result<Subscription, StoreError> {
    Ok(briefing_subscription::Entity::find_by_id(user_id).one(db).await?.map(|r| from_row(&r)).unwrap_or_default())
}

/// Every stored subscription; users absent have the default.
pub async fn subscriptions<C: ConnectionTrait>(db: &C) -> Result<HashMap<UserId, Subscription>, StoreError> {
    Ok(briefing_subscription::Entity::find().all(db).await?.iter().map(|r| (r.user_id, from_row(r))).collect())
}

pub async fn save_subscription<C: ConnectionTrait>(
    db: &C,
    user_id: UserId,
    sub: &Subscription,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = briefing_subscription::ActiveModel {
        user_id: Set(user_id),
        enabled: Set(sub.enabled),
        send_minute: Set(sub.time.minute() as i16),
        include_weekends: Set(sub.include_weekends),
        updated_at: Set(now.fixed_offset()),
    };
    briefing_subscription::Entity::insert(row)
        .on_conflict(
            OnConflict::column(briefing_subscription::Column::UserId)
                .update_columns([
                    briefing_subscription::Column::Enabled,
                    briefing_subscription::Column::SendMinute,
                    briefing_subscription::Column::IncludeWeekends,
                    briefing_subscription::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

// ---- readiness ----

/// The latest business date the feed calls complete, read from the database (not a
/// snapshot: the worker must see what the feed committed a moment ago).
pub async fn complete_day<C: ConnectionTrait>(db: &C) -> Result<Option<NaiveDate>, StoreError> {
    let row = period_status::Entity::find_by_id(Grain::Day.code()).one(db).await?;
    Ok(row.and_then(|r| from_day_number(r.complete_through)))
}

// ---- contents ----

/// Stores a rendered message once per hash.
pub async fn save_contents<C: ConnectionTrait>(
    db: &C,
    date: NaiveDate,
    contents: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // In key order: two instances saving the same contents take the rows' locks in the same
    // order, so one waits for the other instead of both deadlocking (PostgreSQL).
    let mut contents: Vec<&(String, String)> = contents.iter().collect();
    contents.sort_by(|a, b| a.0.cmp(&b.0));
    for chunk in contents.chunks(200) {
        let rows = chunk.iter().map(|(hash, message)| briefing_content::ActiveModel {
            hash: Set(hash.clone()),
            business_date: Set(date),
            message: Set(message.clone()),
            created_at: Set(now.fixed_offset()),
        });
        briefing_content::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([briefing_content::Column::Hash])
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

pub async fn content<C: ConnectionTrait>(db: &C, hash: &str) -> Result<Option<String>, StoreError> {
    Ok(briefing_content::Entity::find_by_id(hash.to_owned()).one(db).await?.map(|c| c.message))
}

// ---- the ledger ----

/// Users who already have a delivery for `date` (whatever its status).
pub async fn recorded_users<C: ConnectionTrait>(db: &C, date: NaiveDate) -> Result<HashSet<UserId>, StoreError> {
    let ids: Vec<UserId> = briefing_delivery::Entity::find()
        .select_only()
        .column(briefing_delivery::Column::UserId)
        .filter(briefing_delivery::Column::BusinessDate.eq(date))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().collect())
}

/// A delivery to record.
pub struct NewDelivery<'a> {
    pub user_id: UserId,
    pub kind: DeliveryKind,
    pub content_hash: &'a str,
}

/// Records deliveries as `pending`; a (user, date) already recorded — by this run, another
/// run, or another instance — is left as it is. Returns how many rows this call inserted.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    date: NaiveDate,
    deliveries: &[NewDelivery<'_>],
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let mut inserted = 0;
    // In key order, for the same reason as the contents.
    let mut deliveries: Vec<&NewDelivery<'_>> = deliveries.iter().collect();
    deliveries.sort_by_key(|d| d.user_id);
    for chunk in deliveries.chunks(500) {
        let rows = chunk.iter().map(|d| briefing_delivery::ActiveModel {
            id: NotSet,
            user_id: Set(d.user_id),
            business_date: Set(date),
            kind: Set(d.kind),
            content_hash: Set(d.content_hash.to_owned()),
            status: Set(Status::Pending),
            claim: Set(None),
            task_id: Set(None),
            attempts: Set(0),
            error_code: Set(None),
            last_error: Set(None),
            created_at: Set(now.fixed_offset()),
            updated_at: Set(now.fixed_offset()),
        });
        let result = briefing_delivery::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([briefing_delivery::Column::UserId, briefing_delivery::Column::BusinessDate])
            .exec_without_returning(db)
            .await?;
        if let sea_orm::TryInsertResult::Inserted(n) = result {
            inserted += n;
        }
    }
    Ok(inserted)
}

/// A batch taken for sending: recipients of one content.
#[derive(Debug, Clone)]
pub struct Batch {
    pub content_hash: String,
    /// (delivery id, user id, DingTalk userid, attempts including this one).
    pub rows: Vec<(i64, UserId, String, i32)>,
}

/// The contents with deliveries of `date` waiting to be sent.
pub async fn pending_contents<C: ConnectionTrait>(db: &C, date: NaiveDate) -> Result<Vec<String>, StoreError> {
    use briefing_delivery::Column as D;
    briefing_delivery::Entity::find()
        .select_only()
        .column(D::ContentHash)
        .distinct()
        .filter(D::BusinessDate.eq(date))
        .filter(D::Status.eq(Status::Pending))
        .order_by_asc(D::ContentHash)
        .into_tuple()
        .all(db)
        .await
        .map_err(Into::into)
}

/// Takes up to `limit` pending deliveries of `date` with content `hash`, marking them
/// `sending` under `claim` (unique to this call). An empty batch: none left.
pub async fn take_batch<C: ConnectionTrait>(
    db: &C,
    date: NaiveDate,
    hash: &str,
    claim: &str,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Batch, StoreError> {
    use briefing_delivery::Column as D;
    let mut ids = Query::select();
    ids.column(D::Id)
        .from(briefing_delivery::Entity)
        .and_where(D::BusinessDate.eq(date))
        .and_where(D::Status.eq(Status::Pending))
        .and_where(D::ContentHash.eq(hash))
        .order_by(D::Id, sea_orm::Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    briefing_delivery::Entity::update_many()
        .col_expr(D::Status, Expr::value(Status::Sending))
        .col_expr(D::Claim, Expr::value(claim))
        .col_expr(D::Attempts, Expr::col(D::Attempts).add(1))
        .col_expr(D::UpdatedAt, Expr::value(now.fixed_offset()))
        .filter(D::Id.in_subquery(ids))
        .filter(D::Status.eq(Status::Pending))
        .exec(db)
        .await?;
    let taken = briefing_delivery::Entity::find()
        .filter(D::Claim.eq(claim))
        .filter(D::Status.eq(Status::Sending))
        .order_by_asc(D::Id)
        .all(db)
        .await?;
    if taken.is_empty() {
        return Ok(Batch { content_hash: hash.to_owned(), rows: Vec::new() });
    }
    let user_ids: Vec<UserId> = taken.iter().map(|d| d.user_id).collect();
    let userids: HashMap<UserId, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.dingtalk_userid))
        .collect();
    let rows = taken
        .into_iter()
        .map(|d| (d.id, d.user_id, userids.get(&d.user_id).cloned().unwrap_or_default(), d.attempts))
        .collect();
    Ok(Batch { content_hash: hash.to_owned(), rows })
}

/// A change of status for some deliveries.
#[derive(Debug, Clone, Default)]
pub struct Outcome<'a> {
    pub task_id: Option<i64>,
    pub error_code: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// Moves deliveries `ids` to `status`, recording the task id and error when given.
pub async fn set_status<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    status: Status,
    outcome: Outcome<'_>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    use briefing_delivery::Column as D;
    let mut affected = 0;
    for chunk in ids.chunks(500) {
        let mut update = briefing_delivery::Entity::update_many()
            .col_expr(D::Status, Expr::value(status))
            .col_expr(D::UpdatedAt, Expr::value(now.fixed_offset()))
            .filter(D::Id.is_in(chunk.iter().copied()));
        if let Some(task) = outcome.task_id {
            update = update.col_expr(D::TaskId, Expr::value(task));
        }
        if let Some(code) = outcome.error_code {
            update = update.col_expr(D::ErrorCode, Expr::value(code));
        }
        if let Some(error) = outcome.error {
            update = update.col_expr(D::LastError, Expr::value(error));
        }
        affected += update.exec(db).await?.rows_affected;
    }
    Ok(affected)
}

/// Deliveries left `sending` since before `before`: their run died (or lost DingTalk's answer)
/// after perhaps sending. They become `unknown`, never to be sent again automatically.
pub async fn expire_sending<C: ConnectionTrait>(
    db: &C,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    use briefing_delivery::Column as D;
    let result = briefing_delivery::Entity::update_many()
        .col_expr(D::Status, Expr::value(Status::Unknown))
        .col_expr(D::LastError, Expr::value("the sending run stopped before recording DingTalk's answer"))
        .col_expr(D::UpdatedAt, Expr::value(now.fixed_offset()))
        .filter(D::Status.eq(Status::Sending))
        .filter(D::UpdatedAt.lt(before.fixed_offset()))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Pending deliveries of dates before `date`: too late to send.
pub async fn expire_pending<C: ConnectionTrait>(
    db: &C,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    use briefing_delivery::Column as D;
    let result = briefing_delivery::Entity::update_many()
        .col_expr(D::Status, Expr::value(Status::Failed))
        .col_expr(D::LastError, Expr::value("not sent before the next business day"))
        .col_expr(D::UpdatedAt, Expr::value(now.fixed_offset()))
        .filter(D::Status.eq(Status::Pending))
        .filter(D::BusinessDate.lt(date))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Task ids to reconcile: tasks with recipients not yet known (`sent`), and tasks with
/// `unread` recipients last checked before `recheck_before`; only dates from `since` (DingTalk
/// keeps results for 24 hours).
pub async fn tasks_to_check<C: ConnectionTrait>(
    db: &C,
    since: NaiveDate,
    recheck_before: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<i64>, StoreError> {
    use briefing_delivery::Column as D;
    use sea_orm::Condition;
    let ids: Vec<Option<i64>> = briefing_delivery::Entity::find()
        .select_only()
        .column(D::TaskId)
        .distinct()
        .filter(D::BusinessDate.gte(since))
        .filter(D::TaskId.is_not_null())
        .filter(Condition::any().add(D::Status.eq(Status::Sent)).add(
            Condition::all().add(D::Status.eq(Status::Unread)).add(D::UpdatedAt.lt(recheck_before.fixed_offset())),
        ))
        .order_by_asc(D::TaskId)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().flatten().collect())
}

/// The deliveries of a task still open to reconciliation: (delivery id, DingTalk userid).
pub async fn task_rows<C: ConnectionTrait>(db: &C, task_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
    use briefing_delivery::Column as D;
    let rows = briefing_delivery::Entity::find()
        .filter(D::TaskId.eq(task_id))
        .filter(D::Status.is_in([Status::Sent, Status::Unread]))
        .all(db)
        .await?;
    let ids: Vec<UserId> = rows.iter().map(|r| r.user_id).collect();
    let userids: HashMap<UserId, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.dingtalk_userid))
        .collect();
    Ok(rows.into_iter().filter_map(|r| Some((r.id, userids.get(&r.user_id)?.clone()))).collect())
}

// ---- administration ----

/// Deliveries of `date` by status, of `only` these users when given.
pub async fn counts<C: ConnectionTrait>(
    db: &C,
    date: NaiveDate,
    only: Option<&[UserId]>,
) -> Result<BTreeMap<String, i64>, StoreError> {
    use briefing_delivery::Column as D;
    let mut q = briefing_delivery::Entity::find().filter(D::BusinessDate.eq(date));
    if let Some(ids) = only {
        q = q.filter(D::UserId.is_in(ids.iter().copied()));
    }
    let rows: Vec<(String, i64)> = q
        .select_only()
        .column(D::Status)
        .column_as(D::Id.count(), "n")
        .group_by(D::Status)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

pub async fn count_kind<C: ConnectionTrait>(
    db: &C,
    date: NaiveDate,
    kind: DeliveryKind,
    only: Option<&[UserId]>,
) -> Result<u64, StoreError> {
    use briefing_delivery::Column as D;
    let mut q = briefing_delivery::Entity::find().filter(D::BusinessDate.eq(date)).filter(D::Kind.eq(kind));
    if let Some(ids) = only {
        q = q.filter(D::UserId.is_in(ids.iter().copied()));
    }
    q.count(db).await.map_err(Into::into)
}

/// A delivery with its user's DingTalk id and name (blank if the user is gone).
#[derive(Debug, Clone)]
pub struct Delivery {
    pub row: briefing_delivery::Model,
    pub userid: String,
    pub name: String,
}

/// Deliveries of `date` with one of `statuses` (all when empty), users' ids first.
pub async fn deliveries<C: ConnectionTrait>(
    db: &C,
    date: NaiveDate,
    statuses: &[Status],
    user_ids: Option<&[UserId]>,
    limit: u64,
) -> Result<Vec<Delivery>, StoreError> {
    use briefing_delivery::Column as D;
    let mut q = briefing_delivery::Entity::find().filter(D::BusinessDate.eq(date));
    if !statuses.is_empty() {
        q = q.filter(D::Status.is_in(statuses.iter().copied()));
    }
    if let Some(ids) = user_ids {
        q = q.filter(D::UserId.is_in(ids.iter().copied()));
    }
    let rows = q.order_by_asc(D::UserId).limit(limit).all(db).await?;
    let ids: Vec<UserId> = rows.iter().map(|r| r.user_id).collect();
    let users: HashMap<UserId, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let u = users.get(&row.user_id);
            Delivery {
                userid: u.map(|u| u.dingtalk_userid.clone()).unwrap_or_default(),
                name: u.map(|u| u.name.clone()).unwrap_or_default(),
                row,
            }
        })
        .collect())
}

/// Puts deliveries back to `pending` for a resend: a fresh attempt count, no task, no error.
pub async fn reopen<C: ConnectionTrait>(db: &C, ids: &[i64], now: DateTime<Utc>) -> Result<u64, StoreError> {
    use briefing_delivery::Column as D;
    if ids.is_empty() {
        return Ok(0);
    }
    let result = briefing_delivery::Entity::update_many()
        .col_expr(D::Status, Expr::value(Status::Pending))
        .col_expr(D::Attempts, Expr::value(0))
        .col_expr(D::TaskId, Expr::value(Option::<i64>::None))
        .col_expr(D::Claim, Expr::value(Option::<String>::None))
        .col_expr(D::ErrorCode, Expr::value(Option::<String>::None))
        .col_expr(D::LastError, Expr::value(Option::<String>::None))
        .col_expr(D::UpdatedAt, Expr::value(now.fixed_offset()))
        .filter(D::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
