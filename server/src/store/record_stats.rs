//! The statistics of the records, as facts: catalogue counts, items by implementation state
//! and their shares (实施进度, 拆解进度, 掌上可办率, 跑零次率, 字段共享率, 材料共享率) as stocks on
//! the business date they describe, and case figures (办结量, 超期办件数, 超期率, 平均办理工作日,
//! 好评率) by completion day. They are stored per record org and day (origin `computed`) and
//! handed to the roll-up, which fills parents and coarser grains like every metric: cards,
//! rankings, drill-downs and briefings need no special path.
//!
//! Days whose cases changed are remembered in the page transaction that changed them
//! ([`mark_pending`]) and recomputed whole — a crash between the two loses nothing.

use std::collections::HashMap;

use chrono::NaiveDate;
use entities::metric;
use futures_util::TryStreamExt;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, StreamTrait};

use super::facts::{self, FactRow, origin};
use super::records::Sql;
use super::sync;
use crate::domain::period::{Grain, day_number};
use crate::domain::rollup::Changes;
use crate::domain::rollup::Figure;
use crate::store::StoreError;

/// The `sync_state` row holding the completion days still to recompute (`lo:hi`).
pub const PENDING: &str = "records.stats";

/// The stock metrics (one figure per org on the as-of day).
const STOCKS: &[&str] = &[
    "records.catalog_total",
    "records.catalog_published",
    "records.items_total",
    "records.items_implemented",
    "records.implementation_rate",
    "records.decomposition_rate",
    "records.mobile_rate",
    "records.zero_visit_rate",
    "records.field_sharing_rate",
    "records.material_sharing_rate",
];

/// The flow metrics (one figure per org and completion day).
const FLOWS: &[&str] = &[
    "records.cases_completed",
    "records.cases_overdue",
    "records.overdue_rate",
    "records.avg_working_days",
    "records.good_rate",
];

/// Inside a page's transaction: completion days `from..=to` need their statistics redone.
pub async fn mark_pending<C: ConnectionTrait>(db: &C, from: i32, to: i32) -> Result<(), StoreError> {
    let (lo, hi) = match pending(db).await? {
        Some((a, b)) => (a.min(from), b.max(to)),
        None => (from, to),
    };
    sync::set_cursor(db, PENDING, Some(&format!("{lo}:{hi}"))).await
}

async fn pending<C: ConnectionTrait>(db: &C) -> Result<Option<(i32, i32)>, StoreError> {
    let state = sync::state(db, PENDING).await?;
    Ok(state.and_then(|s| s.cursor).and_then(|c| {
        let (a, b) = c.split_once(':')?;
        Some((a.parse().ok()?, b.parse().ok()?))
    }))
}

fn fact(metric_id: i32, org_id: i32, day: i32, f: Figure, at: i64) -> FactRow {
    FactRow {
        metric_id,
        org_id,
        grain: Grain::Day.code(),
        period_start: day,
        value: f.value,
        num: f.num,
        den: f.den,
        updated_at: at,
        origin: origin::COMPUTED,
    }
}

fn int(row: &sea_orm::QueryResult, col: &str) -> Result<f64, StoreError> {
    // SUM over no rows is NULL; integer sums are BIGINT on PostgreSQL, INTEGER on SQLite.
    Ok(row.try_get::<Option<i64>>("", col)?.unwrap_or(0) as f64)
}

/// Removes the computed facts of `ids` on days `lo..=hi` and notes their orgs as changed (a
/// figure that went away must be rolled up again too).
async fn clear<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
    lo: i32,
    hi: i32,
    changes: &mut Changes,
) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    let mut select = Sql::new(backend);
    select.push("SELECT metric_id, org_id, period_start FROM facts WHERE metric_id IN ").list(ids.iter().copied());
    select.push(" AND grain = 0 AND origin = 2 AND period_start BETWEEN ").param(lo).push(" AND ").param(hi);
    for row in db.query_all_raw(select.build()).await? {
        changes.add(row.try_get("", "metric_id")?, row.try_get("", "org_id")?, row.try_get("", "period_start")?);
    }
    let mut delete = Sql::new(backend);
    delete.push("DELETE FROM facts WHERE metric_id IN ").list(ids.iter().copied());
    delete.push(" AND grain = 0 AND origin = 2 AND period_start BETWEEN ").param(lo).push(" AND ").param(hi);
    db.execute_raw(delete.build()).await?;
    Ok(())
}

/// Recomputes the pending case days, and the stocks of `as_of` when the catalogue or items
/// changed or were never counted for that day; returns the facts written and the changes to
/// roll up. One transaction.
pub async fn refresh(
    db: &DatabaseConnection,
    as_of: NaiveDate,
    stocks_changed: bool,
) -> Result<(u64, Changes), StoreError> {
    let ids: HashMap<String, i32> = metric::Entity::find()
        .filter(metric::Column::Source.eq("records"))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.code, m.id.get()))
        .collect();
    let id = |code: &str| ids.get(code).copied();
    let mut changes = Changes::default();
    let mut rows = Vec::new();
    let at = chrono::Utc::now().timestamp();
    let txn = crate::store::begin_writer(db).await?;
    let backend = ConnectionTrait::get_database_backend(&txn);

    let flow_ids: Vec<i32> = FLOWS.iter().filter_map(|c| id(c)).collect();
    if let Some((lo, hi)) = pending(&txn).await?
        && flow_ids.len() == FLOWS.len()
    {
        clear(&txn, &flow_ids, lo, hi, &mut changes).await?;
        let mut sql = Sql::new(backend);
        sql.push(
            "SELECT org_id, completed_day, COUNT(*) AS n, \
             SUM(CASE WHEN overdue THEN 1 ELSE 0 END) AS overdue, \
             SUM(working_days) AS days, \
             SUM(CASE WHEN rating >= 4 THEN 1 ELSE 0 END) AS good, \
             SUM(CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END) AS rated \
             FROM record_cases WHERE completed_day BETWEEN ",
        )
        .param(lo)
        .push(" AND ")
        .param(hi)
        .push(" GROUP BY org_id, completed_day");
        // Streamed: a year of days is some 200,000 groups, whose rows the driver would
        // otherwise hold all at once, each value copied.
        let mut groups = Box::pin(txn.stream_raw(sql.build()).await?);
        while let Some(row) = groups.try_next().await? {
            let org: i32 = row.try_get("", "org_id")?;
            let day: i32 = row.try_get("", "completed_day")?;
            let n = int(&row, "n")?;
            let (overdue, days, good, rated) =
                (int(&row, "overdue")?, int(&row, "days")?, int(&row, "good")?, int(&row, "rated")?);
            let figures = [
                Figure::single(n),
                Figure::single(overdue),
                Figure::ratio(overdue, n),
                Figure::ratio(days, n),
                Figure::ratio(good, rated),
            ];
            for (metric, f) in flow_ids.iter().zip(figures) {
                if f.den == Some(0.0) {
                    continue;
                }
                rows.push(fact(*metric, org, day, f, at));
                changes.add(*metric, org, day);
            }
        }
        // The stream holds the transaction's connection until it is dropped.
        drop(groups);
        sync::set_cursor(&txn, PENDING, None).await?;
    }

    let stock_ids: Vec<i32> = STOCKS.iter().filter_map(|c| id(c)).collect();
    let day = day_number(as_of);
    let counted = match id("records.items_total") {
        Some(items) => {
            let mut sql = Sql::new(backend);
            sql.push("SELECT COUNT(*) AS n FROM facts WHERE metric_id = ").param(items);
            sql.push(" AND grain = 0 AND period_start = ").param(day);
            txn.query_one_raw(sql.build()).await?.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0) > 0
        }
        None => true,
    };
    if stock_ids.len() == STOCKS.len() && (stocks_changed || !counted) {
        clear(&txn, &stock_ids, day, day, &mut changes).await?;
        let mut per_org: HashMap<i32, [f64; 12]> = HashMap::new();
        let catalog = "SELECT org_id, SUM(CASE WHEN status <> 'cancelled' THEN 1 ELSE 0 END) AS total, \
                       SUM(CASE WHEN status = 'published' THEN 1 ELSE 0 END) AS published \
                       FROM record_catalog GROUP BY org_id";
        for row in txn.query_all_raw(sea_orm::Statement::from_string(backend, catalog)).await? {
            let e = per_org.entry(row.try_get("", "org_id")?).or_default();
            e[0] = int(&row, "total")?;
            e[1] = int(&row, "published")?;
        }
        let items = "SELECT org_id, COUNT(*) AS total, \
                     SUM(CASE WHEN implementation = 'implemented' THEN 1 ELSE 0 END) AS implemented, \
                     SUM(CASE WHEN implementation <> 'not_started' THEN 1 ELSE 0 END) AS decomposed, \
                     SUM(CASE WHEN mobile THEN 1 ELSE 0 END) AS mobile, \
                     SUM(CASE WHEN zero_visit THEN 1 ELSE 0 END) AS zero_visit, \
                     SUM(shared_fields) AS shared_fields, SUM(total_fields) AS total_fields, \
                     SUM(shared_materials) AS shared_materials, SUM(total_materials) AS total_materials \
                     FROM record_items GROUP BY org_id";
        for row in txn.query_all_raw(sea_orm::Statement::from_string(backend, items)).await? {
            let e = per_org.entry(row.try_get("", "org_id")?).or_default();
            for (i, col) in [
                "total",
                "implemented",
                "decomposed",
                "mobile",
                "zero_visit",
                "shared_fields",
                "total_fields",
                "shared_materials",
                "total_materials",
            ]
            .into_iter()
            .enumerate()
            {
                e[2 + i] = int(&row, col)?;
            }
            e[11] = 1.0;
        }
        for (org, e) in per_org {
            let mut figures = vec![Figure::single(e[0]), Figure::single(e[1])];
            if e[11] > 0.0 {
                let total = e[2];
                figures.extend([
                    Figure::single(total),
                    Figure::single(e[3]),
                    Figure::ratio(e[3], total),
                    Figure::ratio(e[4], total),
                    Figure::ratio(e[5], total),
                    Figure::ratio(e[6], total),
                    Figure::ratio(e[7], e[8]),
                    Figure::ratio(e[9], e[10]),
                ]);
            }
            for (metric, f) in stock_ids.iter().zip(figures) {
                if f.den == Some(0.0) {
                    continue;
                }
                rows.push(fact(*metric, org, day, f, at));
                changes.add(*metric, org, day);
            }
        }
    }
    let written = facts::upsert(&txn, &rows).await?;
    txn.commit().await?;
    Ok((written, changes))
}
