//! Registered applications of the open API, and their daily quota counters.

use crate::store::StoreError;
use chrono::{DateTime, FixedOffset, Utc};
use entities::ids::{OrgId, UserId};
use entities::{open_app, open_quota};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, NotSet,
    QueryFilter, QueryOrder,
};

pub use entities::open_app::AppStatus;

/// What an administrator says about an application.
#[derive(Debug, Clone)]
pub struct Spec {
    pub name: String,
    pub owner_org_id: OrgId,
    pub contact: String,
    pub metrics: Vec<String>,
    pub orgs: Vec<OrgId>,
    pub grains: Vec<String>,
    pub history_days: i32,
    pub rate_per_second: f64,
    pub daily_quota: i64,
}

pub async fn get<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<open_app::Model>, StoreError> {
    open_app::Entity::find_by_id(id).one(db).await.map_err(Into::into)
}

pub async fn by_client_id<C: ConnectionTrait>(db: &C, client_id: &str) -> Result<Option<open_app::Model>, StoreError> {
    open_app::Entity::find().filter(open_app::Column::ClientId.eq(client_id)).one(db).await.map_err(Into::into)
}

pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<open_app::Model>, StoreError> {
    open_app::Entity::find().order_by_asc(open_app::Column::Id).all(db).await.map_err(Into::into)
}

fn now() -> DateTime<FixedOffset> {
    Utc::now().fixed_offset()
}

pub async fn create<C: ConnectionTrait>(
    db: &C,
    spec: &Spec,
    client_id: String,
    secret_hash: String,
    created_by: UserId,
) -> Result<open_app::Model, StoreError> {
    open_app::ActiveModel {
        id: NotSet,
        client_id: Set(client_id),
        secret_hash: Set(secret_hash),
        previous_secret_hash: Set(None),
        previous_expires_at: Set(None),
        status: Set(AppStatus::Active),
        created_by: Set(Some(created_by)),
        created_at: Set(now()),
        ..spec_model(spec)
    }
    .insert(db)
    .await
    .map_err(Into::into)
}

fn spec_model(spec: &Spec) -> open_app::ActiveModel {
    open_app::ActiveModel {
        name: Set(spec.name.clone()),
        owner_org_id: Set(spec.owner_org_id),
        contact: Set(spec.contact.clone()),
        metrics: Set(serde_json::json!(spec.metrics)),
        orgs: Set(serde_json::json!(spec.orgs)),
        grains: Set(serde_json::json!(spec.grains)),
        history_days: Set(spec.history_days),
        rate_per_second: Set(spec.rate_per_second),
        daily_quota: Set(spec.daily_quota),
        updated_at: Set(now()),
        ..Default::default()
    }
}

pub async fn update<C: ConnectionTrait>(db: &C, id: i32, spec: &Spec) -> Result<open_app::Model, StoreError> {
    open_app::ActiveModel { id: Set(id), ..spec_model(spec) }.update(db).await.map_err(Into::into)
}

pub async fn set_status<C: ConnectionTrait>(
    db: &C,
    app: open_app::Model,
    status: AppStatus,
) -> Result<open_app::Model, StoreError> {
    let mut am = app.into_active_model();
    am.status = Set(status);
    am.updated_at = Set(now());
    am.update(db).await.map_err(Into::into)
}

/// A new secret; the old one stays valid until `overlap_until`.
pub async fn rotate<C: ConnectionTrait>(
    db: &C,
    app: open_app::Model,
    new_hash: String,
    overlap_until: DateTime<FixedOffset>,
) -> Result<open_app::Model, StoreError> {
    let old = app.secret_hash.clone();
    let mut am = app.into_active_model();
    am.previous_secret_hash = Set(Some(old));
    am.previous_expires_at = Set(Some(overlap_until));
    am.secret_hash = Set(new_hash);
    am.updated_at = Set(now());
    am.update(db).await.map_err(Into::into)
}

/// Deletes the application and its quota counters (its call records stay, for the history).
pub async fn delete<C: ConnectionTrait>(db: &C, id: i32) -> Result<(), StoreError> {
    open_quota::Entity::delete_many().filter(open_quota::Column::AppId.eq(id)).exec(db).await?;
    open_app::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Takes up to `want` calls of `app`'s quota for `day` from the shared counter, never past
/// `quota`: one conditional `UPDATE` each try, so two instances can never both take the last
/// calls. Returns (granted, used after), or `None` once the quota is spent.
pub async fn reserve<C: ConnectionTrait>(
    db: &C,
    app: i32,
    day: i32,
    want: i64,
    quota: i64,
) -> Result<Option<(i64, i64)>, StoreError> {
    let backend = db.get_database_backend();
    let insert = Query::insert()
        .into_table(open_quota::Entity)
        .columns([open_quota::Column::AppId, open_quota::Column::Day, open_quota::Column::Used])
        .values([app.into(), day.into(), 0i64.into()])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(OnConflict::columns([open_quota::Column::AppId, open_quota::Column::Day]).do_nothing().to_owned())
        .to_owned();
    db.execute_raw(backend.build(&insert)).await?;
    let mut want = want.clamp(1, Ord::max(quota, 1));
    // Each failed try learns how much is left; a handful always suffices.
    for _ in 0..4 {
        let update = Query::update()
            .table(open_quota::Entity)
            .value(open_quota::Column::Used, Expr::col(open_quota::Column::Used).add(want))
            .and_where(Expr::col(open_quota::Column::AppId).eq(app))
            .and_where(Expr::col(open_quota::Column::Day).eq(day))
            .and_where(Expr::col(open_quota::Column::Used).add(want).lte(quota))
            .returning_col(open_quota::Column::Used)
            .to_owned();
        if let Some(row) = db.query_one_raw(backend.build(&update)).await? {
            let used: i64 = row.try_get("", "used")?;
            return Ok(Some((want, used)));
        }
        let used = open_quota::Entity::find_by_id((app, day)).one(db).await?.map_or(0, |q| q.used);
        let left = quota - used;
        if left <= 0 {
            return Ok(None);
        }
        want = Ord::min(want, left);
    }
    Ok(None)
}

/// Forgets counters of days before `day`.
pub async fn prune_quota<C: ConnectionTrait>(db: &C, day: i32) -> Result<u64, StoreError> {
    Ok(open_quota::Entity::delete_many().filter(open_quota::Column::Day.lt(day)).exec(db).await?.rows_affected)
}
