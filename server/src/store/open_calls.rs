//! The record of open API calls: written in batches, summed by day, pruned by age.

use crate::store::StoreError;
use chrono::{DateTime, FixedOffset};
use entities::open_call;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, NotSet, QueryFilter};

/// One call.
#[derive(Debug, Clone)]
pub struct Call {
    pub app_id: Option<i32>,
    pub at: DateTime<FixedOffset>,
    pub day: i32,
    pub endpoint: String,
    pub params: String,
    pub rows: i32,
    pub status: i16,
    pub duration_us: i32,
}

/// Writes `calls` in one statement.
pub async fn insert<C: ConnectionTrait>(db: &C, calls: Vec<Call>) -> Result<(), StoreError> {
    if calls.is_empty() {
        return Ok(());
    }
    let models = calls.into_iter().map(|c| open_call::ActiveModel {
        id: NotSet,
        app_id: Set(c.app_id),
        at: Set(c.at),
        day: Set(c.day),
        endpoint: Set(c.endpoint),
        params: Set(c.params),
        rows: Set(c.rows),
        status: Set(c.status),
        duration_us: Set(c.duration_us),
    });
    open_call::Entity::insert_many(models).exec(db).await?;
    Ok(())
}

/// One application's use on one business day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayUsage {
    pub day: i32,
    pub calls: i64,
    pub rows: i64,
    /// Answers of 4xx and 5xx, except 429.
    pub errors: i64,
    /// Answers of 429.
    pub throttled: i64,
}

/// Usage of `app` by day, from `from` to `to` (day numbers, inclusive).
pub async fn usage<C: ConnectionTrait>(db: &C, app: i32, from: i32, to: i32) -> Result<Vec<DayUsage>, StoreError> {
    let q = Query::select()
        .column(open_call::Column::Day)
        .expr_as(Expr::cust("COUNT(*)"), "calls")
        .expr_as(Expr::cust(r#"COALESCE(SUM("rows"), 0)"#), "rows")
        .expr_as(
            Expr::cust(r#"COALESCE(SUM(CASE WHEN "status" >= 400 AND "status" <> 429 THEN 1 ELSE 0 END), 0)"#),
            "errors",
        )
        .expr_as(Expr::cust(r#"COALESCE(SUM(CASE WHEN "status" = 429 THEN 1 ELSE 0 END), 0)"#), "throttled")
        .from(open_call::Entity)
        .and_where(Expr::col(open_call::Column::AppId).eq(app))
        .and_where(Expr::col(open_call::Column::Day).between(from, to))
        .group_by_col(open_call::Column::Day)
        .order_by(open_call::Column::Day, sea_orm::sea_query::Order::Asc)
        .to_owned();
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(backend.build(&q)).await?;
    rows.iter()
        .map(|r| {
            // PostgreSQL sums integers as bigint or numeric; read both.
            let int = |col: &str| -> Result<i64, DbErr> {
                r.try_get::<i64>("", col).or_else(|_| r.try_get::<i32>("", col).map(i64::from))
            };
            Ok(DayUsage {
                day: r.try_get("", "day")?,
                calls: int("calls")?,
                rows: int("rows")?,
                errors: int("errors")?,
                throttled: int("throttled")?,
            })
        })
        .collect()
}

/// Deletes records from before `cutoff`.
pub async fn prune<C: ConnectionTrait>(db: &C, cutoff: DateTime<FixedOffset>) -> Result<u64, StoreError> {
    Ok(open_call::Entity::delete_many().filter(open_call::Column::At.lt(cutoff)).exec(db).await?.rows_affected)
}
