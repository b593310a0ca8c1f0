//! Sync bookkeeping: runs (`sync_runs`), where each source resumes (`sync_state`), and the rows
//! a run refused (`rejected_rows`).
//!
//! At most one run of a source is `running` at a time, across instances: a run is claimed in a
//! transaction that first writes the source's `sync_state` row (a row lock on PostgreSQL, the
//! write lock on SQLite), so two claims serialise. A `running` run whose source has shown no
//! progress for the stale period belonged to a process that died; it is closed as `failed`.

use crate::store::StoreError;
use chrono::{DateTime, FixedOffset, Utc};
use entities::{rejected_row, sync_run, sync_state};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, NotSet, QueryFilter,
    QueryOrder, QuerySelect,
};

pub use entities::sync_run::{Busy, Job, RunStatus, RunTrigger};

/// The outcome of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// A new run, with its id.
    Started(i64),
    /// Another run of the source is in progress.
    Busy(i64),
}

fn now() -> DateTime<FixedOffset> {
    Utc::now().fixed_offset()
}

/// Makes sure the source has a `sync_state` row and writes it, which locks it until the
/// transaction ends.
async fn lock_state<C: ConnectionTrait>(db: &C, source: &str) -> Result<sync_state::Model, StoreError> {
    sync_state::Entity::insert(sync_state::ActiveModel {
        source: Set(source.to_owned()),
        watermark: Set(None),
        cursor: Set(None),
        updated_at: Set(now()),
    })
    .on_conflict_do_nothing_on([sync_state::Column::Source])
    .exec(db)
    .await?;
    sync_state::Entity::update_many()
        .col_expr(sync_state::Column::Source, sea_orm::sea_query::Expr::col(sync_state::Column::Source))
        .filter(sync_state::Column::Source.eq(source))
        .exec(db)
        .await?;
    sync_state::Entity::find_by_id(source.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| StoreError::from(DbErr::RecordNotFound(format!("sync_state {source}"))))
}

/// Starts a run of `job` unless one is in progress. The job's `sync_state` row (keyed by its
/// name) is the lock and the heartbeat.
pub async fn claim(
    db: &sea_orm::DatabaseConnection,
    job: Job,
    trigger: RunTrigger,
    stale_after: chrono::Duration,
) -> Result<Claim, StoreError> {
    let source = job.as_str();
    let txn = super::begin_writer(db).await?;
    let state = lock_state(&txn, source).await?;
    let running = sync_run::Entity::find()
        .filter(sync_run::Column::Source.eq(job))
        .filter(sync_run::Column::Status.eq(RunStatus::Running))
        .all(&txn)
        .await?;
    let cutoff = Utc::now() - stale_after;
    for run in running {
        let last_sign = run.started_at.max(state.updated_at);
        if last_sign.with_timezone(&Utc) > cutoff {
            txn.rollback().await?;
            return Ok(Claim::Busy(run.id));
        }
        tracing::warn!(run = run.id, source, "closing a run that stopped making progress (its process died?)");
        sync_run::ActiveModel {
            id: Set(run.id),
            status: Set(RunStatus::Failed),
            finished_at: Set(Some(now())),
            error: Set(Some(format!("interrupted: no progress since {last_sign}; the process running it stopped"))),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    let run = sync_run::ActiveModel {
        id: NotSet,
        source: Set(job),
        trigger: Set(trigger),
        started_at: Set(now()),
        finished_at: Set(None),
        status: Set(RunStatus::Running),
        rows_stored: Set(0),
        rows_rejected: Set(0),
        error: Set(None),
        detail: Set(None),
    }
    .insert(&txn)
    .await?;
    touch(&txn, source).await?;
    txn.commit().await?;
    Ok(Claim::Started(run.id))
}

/// Records progress (the heartbeat that keeps a run from looking dead).
pub async fn touch<C: ConnectionTrait>(db: &C, source: &str) -> Result<(), StoreError> {
    sync_state::Entity::update_many()
        .col_expr(sync_state::Column::UpdatedAt, sea_orm::sea_query::Expr::value(now()))
        .filter(sync_state::Column::Source.eq(source))
        .exec(db)
        .await?;
    Ok(())
}

/// Where `source` resumes.
pub async fn state<C: ConnectionTrait>(db: &C, source: &str) -> Result<Option<sync_state::Model>, StoreError> {
    sync_state::Entity::find_by_id(source.to_owned()).one(db).await.map_err(Into::into)
}

/// Inside a page's transaction: the resume point after this page — `cursor` for the next
/// page, and on the last page the new `watermark` (the cursor cleared).
pub async fn save_position<C: ConnectionTrait>(
    db: &C,
    source: &str,
    cursor: Option<&str>,
    watermark: Option<&str>,
) -> Result<(), StoreError> {
    let mut update = sync_state::Entity::update_many()
        .col_expr(sync_state::Column::Cursor, sea_orm::sea_query::Expr::value(cursor.map(str::to_owned)))
        .col_expr(sync_state::Column::UpdatedAt, sea_orm::sea_query::Expr::value(now()));
    if let Some(w) = watermark {
        update = update.col_expr(sync_state::Column::Watermark, sea_orm::sea_query::Expr::value(w.to_owned()));
    }
    update.filter(sync_state::Column::Source.eq(source)).exec(db).await?;
    Ok(())
}

/// Sets the cursor of `source` outright (also the roll-up's pending marker).
pub async fn set_cursor<C: ConnectionTrait>(db: &C, source: &str, cursor: Option<&str>) -> Result<(), StoreError> {
    lock_state(db, source).await?;
    sync_state::Entity::update_many()
        .col_expr(sync_state::Column::Cursor, sea_orm::sea_query::Expr::value(cursor.map(str::to_owned)))
        .col_expr(sync_state::Column::UpdatedAt, sea_orm::sea_query::Expr::value(now()))
        .filter(sync_state::Column::Source.eq(source))
        .exec(db)
        .await?;
    Ok(())
}

/// Sets the watermark of `source` outright (demo start-up; operators' resets).
pub async fn set_watermark<C: ConnectionTrait>(
    db: &C,
    source: &str,
    watermark: Option<&str>,
) -> Result<(), StoreError> {
    lock_state(db, source).await?;
    sync_state::Entity::update_many()
        .col_expr(sync_state::Column::Watermark, sea_orm::sea_query::Expr::value(watermark.map(str::to_owned)))
        .col_expr(sync_state::Column::Cursor, sea_orm::sea_query::Expr::value(Option::<String>::None))
        .filter(sync_state::Column::Source.eq(source))
        .exec(db)
        .await?;
    Ok(())
}

/// Inside a page's transaction: adds the page's counts to the run.
pub async fn add_counts<C: ConnectionTrait>(db: &C, run: i64, stored: i64, rejected: i64) -> Result<(), StoreError> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    sync_run::Entity::update_many()
        .col_expr(sync_run::Column::RowsStored, Expr::col(sync_run::Column::RowsStored).add(stored))
        .col_expr(sync_run::Column::RowsRejected, Expr::col(sync_run::Column::RowsRejected).add(rejected))
        .filter(sync_run::Column::Id.eq(run))
        .exec(db)
        .await?;
    Ok(())
}

/// Inside a page's transaction: the rows refused, with their reasons.
pub async fn reject<C: ConnectionTrait>(
    db: &C,
    run: i64,
    source: &str,
    rows: &[(String, String)],
) -> Result<(), StoreError> {
    let at = now();
    for chunk in rows.chunks(500) {
        let models = chunk.iter().map(|(payload, reason)| rejected_row::ActiveModel {
            id: NotSet,
            run_id: Set(run),
            source: Set(source.to_owned()),
            payload: Set(payload.clone()),
            reason: Set(reason.clone()),
            at: Set(at),
        });
        rejected_row::Entity::insert_many(models).exec(db).await?;
    }
    Ok(())
}

/// Sets a running run's `detail` (what it is about, its progress).
pub async fn describe<C: ConnectionTrait>(db: &C, run: i64, detail: serde_json::Value) -> Result<(), StoreError> {
    sync_run::ActiveModel { id: Set(run), detail: Set(Some(detail)), ..Default::default() }.update(db).await?;
    Ok(())
}

/// Closes a run.
pub async fn finish<C: ConnectionTrait>(
    db: &C,
    run: i64,
    status: RunStatus,
    error: Option<String>,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    sync_run::ActiveModel {
        id: Set(run),
        status: Set(status),
        finished_at: Set(Some(now())),
        error: Set(error),
        detail: Set(Some(detail)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

pub async fn run<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<sync_run::Model>, StoreError> {
    sync_run::Entity::find_by_id(id).one(db).await.map_err(Into::into)
}

/// Runs, newest first.
pub async fn runs<C: ConnectionTrait>(
    db: &C,
    job: Option<Job>,
    limit: u64,
) -> Result<Vec<sync_run::Model>, StoreError> {
    let mut q = sync_run::Entity::find();
    if let Some(job) = job {
        q = q.filter(sync_run::Column::Source.eq(job));
    }
    q.order_by_desc(sync_run::Column::Id).limit(limit).all(db).await.map_err(Into::into)
}

/// A run's rejected rows, in the order they were refused.
pub async fn rejected<C: ConnectionTrait>(
    db: &C,
    run: i64,
    limit: u64,
) -> Result<Vec<rejected_row::Model>, StoreError> {
    rejected_row::Entity::find()
        .filter(rejected_row::Column::RunId.eq(run))
        .order_by_asc(rejected_row::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .map_err(Into::into)
}
