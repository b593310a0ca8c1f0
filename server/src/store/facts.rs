//! Writing facts in bulk: upserts in large prepared batches — on PostgreSQL one statement of
//! nine array parameters unnested into rows, on SQLite multi-row `VALUES`.
//!
//! The statement text for a full batch is the same every time, so the driver's statement cache
//! prepares it once. A correction wins only when it is not older than what is stored, so a
//! replayed page changes nothing.

use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, SqlErr, Statement, StreamTrait, TransactionTrait, Value,
};

use crate::domain::period::{Period, day_number};
use crate::store::StoreError;

/// One row of `facts`, as stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FactRow {
    pub metric_id: i32,
    pub org_id: i32,
    pub grain: i16,
    pub period_start: i32,
    pub value: Option<f64>,
    pub num: Option<f64>,
    pub den: Option<f64>,
    pub updated_at: i64,
    pub origin: i16,
}

/// Where a fact came from (`facts.origin`).
pub mod origin {
    pub const UPSTREAM: i16 = 0;
    pub const ROLLUP: i16 = 1;
    pub const COMPUTED: i16 = 2;
}

const COLUMNS: usize = 9;
/// SQLite: rows per statement, under its 32,766 bound parameters.
pub const BATCH_ROWS: usize = 3_000;

/// Upstream rows: a correction wins when it is not older than what is stored.
const UPSTREAM_WINS: &str = "WHERE excluded.updated_at >= facts.updated_at";
/// Roll-ups replace roll-ups only: a figure the upstream delivered itself is kept.
const ROLLUP_WINS: &str = "WHERE facts.origin = 1";

/// SQLite's form: a multi-row `VALUES` list, nine parameters a row.
fn insert_sql(rows: usize, condition: &str) -> String {
    let mut sql = String::with_capacity(120 + rows * COLUMNS * 6);
    sql.push_str(
        "INSERT INTO facts (metric_id, org_id, grain, period_start, value, num, den, updated_at, origin) VALUES ",
    );
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..COLUMNS {
            if c > 0 {
                sql.push(',');
            }
            sql.push('?');
        }
        sql.push(')');
    }
    sql.push_str(UPSERT_TAIL);
    sql.push_str(condition);
    sql
}

/// Upserts `rows` in batches of [`BATCH_ROWS`]. Run it inside a transaction to make the whole
/// call atomic. Returns the number of rows written.
pub async fn upsert<C: ConnectionTrait>(db: &C, rows: &[FactRow]) -> Result<u64, StoreError> {
    upsert_where(db, rows, UPSTREAM_WINS).await
}

/// Upserts roll-up rows: they replace earlier roll-ups, never a figure the upstream delivered.
pub async fn upsert_rollups<C: ConnectionTrait>(db: &C, rows: &[FactRow]) -> Result<u64, StoreError> {
    upsert_where(db, rows, ROLLUP_WINS).await
}

/// Removes roll-ups (and only roll-ups) at the keys of `rows`: figures whose parts are gone.
pub async fn delete_rollups<C: ConnectionTrait>(db: &C, rows: &[FactRow]) -> Result<u64, StoreError> {
    use std::fmt::Write as _;
    let mut deleted = 0;
    for chunk in rows.chunks(1_000) {
        // Integers only, written into the statement: four a row would be 4,000 parameters.
        let mut sql = format!(
            "DELETE FROM facts WHERE origin = {} AND (metric_id, org_id, grain, period_start) IN (VALUES ",
            origin::ROLLUP
        );
        for (i, r) in chunk.iter().enumerate() {
            let comma = if i > 0 { "," } else { "" };
            let _ = write!(sql, "{comma}({}, {}, {}, {})", r.metric_id, r.org_id, r.grain, r.period_start);
        }
        sql.push(')');
        deleted += db.execute_unprepared(&sql).await?.rows_affected();
    }
    Ok(deleted)
}

/// PostgreSQL: rows a statement when each column is bound as one array.
pub const PG_BATCH_ROWS: usize = 10_000;

const UPSERT_TAIL: &str = " ON CONFLICT (metric_id, org_id, grain, period_start) DO UPDATE SET \
     value = excluded.value, num = excluded.num, den = excluded.den, \
     updated_at = excluded.updated_at, origin = excluded.origin ";

/// PostgreSQL's form: nine array parameters, whatever the number of rows, unnested into rows.
/// One short statement, prepared once, instead of nine parameters a row to bind and check.
/// With an `on_conflict` condition it is the upsert, without it a plain insert.
///
/// - The arrays travel in binary, so neither side prints or parses a number.
/// - They are unnested in the select list, which yields row after row, not with `UNNEST(…)`
///   in `FROM`, which first copies every row into a tuple store (a tenth of the upsert's time).
/// - A binary array of floats cannot carry a NULL here, so a missing figure travels as NaN:
///   no stored figure is NaN (the feed refuses non-finite numbers, a ratio over nothing has no
///   value), and PostgreSQL's NaN equals NaN.
fn unnest_sql(on_conflict: Option<&str>) -> String {
    let tail = on_conflict.map(|condition| format!("{UPSERT_TAIL}{condition}")).unwrap_or_default();
    format!(
        "INSERT INTO facts (metric_id, org_id, grain, period_start, value, num, den, updated_at, origin) \
         SELECT unnest($1::int4[]), unnest($2::int4[]), unnest($3::int2[]), unnest($4::int4[]), \
         nullif(unnest($5::float8[]), 'NaN'), nullif(unnest($6::float8[]), 'NaN'), \
         nullif(unnest($7::float8[]), 'NaN'), unnest($8::int8[]), unnest($9::int2[]){tail}"
    )
}

/// One column of the rows as a binary array.
fn column<T>(rows: &[FactRow], get: impl Fn(&FactRow) -> T) -> Value
where
    Vec<T>: Into<Value>,
{
    rows.iter().map(get).collect::<Vec<T>>().into()
}

/// The nine arrays of [`unnest_sql`] for `rows`, as one statement.
fn unnest_statement(sql: &str, rows: &[FactRow]) -> Statement {
    // A missing figure travels as NaN (see `unnest_sql`).
    let figure = |f: Option<f64>| f.unwrap_or(f64::NAN);
    let values = vec![
        column(rows, |r| r.metric_id),
        column(rows, |r| r.org_id),
        column(rows, |r| r.grain),
        column(rows, |r| r.period_start),
        column(rows, |r| figure(r.value)),
        column(rows, |r| figure(r.num)),
        column(rows, |r| figure(r.den)),
        column(rows, |r| r.updated_at),
        column(rows, |r| r.origin),
    ];
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

async fn upsert_unnest<C: ConnectionTrait>(db: &C, rows: &[FactRow], condition: &str) -> Result<u64, StoreError> {
    let sql = unnest_sql(Some(condition));
    let mut written = 0;
    for chunk in rows.chunks(PG_BATCH_ROWS) {
        written += db.execute_raw(unnest_statement(&sql, chunk)).await?.rows_affected();
    }
    Ok(written)
}

/// Stores upstream rows with the same outcome as [`upsert`], faster where most are new — a
/// feed's new days, a generated history. On PostgreSQL an upsert inserts speculatively (it
/// probes the key, inserts, then confirms), which makes it about 1.7 times as slow as a plain
/// insert of new rows. So each grain's rows are first plain inserts, a batch at a time under a
/// savepoint; at a key stored already the insert fails as a whole, the savepoint takes it back,
/// and that batch and the rest of that grain's rows are upserted. By grain, because a feed
/// delivers a day once and then only corrects it, but restates a running week, month, quarter
/// and year every day: those fall back at once, the new days go on as inserts.
pub async fn insert_new(txn: &DatabaseTransaction, rows: &[FactRow]) -> Result<u64, StoreError> {
    if ConnectionTrait::get_database_backend(txn) != DbBackend::Postgres {
        return upsert(txn, rows).await;
    }
    let insert = unnest_sql(None);
    let upsert = unnest_sql(Some(UPSTREAM_WINS));
    // By grain, each in its order (a key is in one grain only, so a correction stays behind
    // its first delivery).
    let mut by_grain = rows.to_vec();
    by_grain.sort_by_key(|r| r.grain);
    let mut written = 0;
    for rows in by_grain.chunk_by(|a, b| a.grain == b.grain) {
        let mut optimistic = true;
        for chunk in rows.chunks(PG_BATCH_ROWS) {
            if optimistic {
                let savepoint = txn.begin().await?;
                match savepoint.execute_raw(unnest_statement(&insert, chunk)).await {
                    Ok(done) => {
                        savepoint.commit().await?;
                        written += done.rows_affected();
                        continue;
                    }
                    Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                        savepoint.rollback().await?;
                        optimistic = false;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            written += txn.execute_raw(unnest_statement(&upsert, chunk)).await?.rows_affected();
        }
    }
    Ok(written)
}

async fn upsert_where<C: ConnectionTrait>(db: &C, rows: &[FactRow], condition: &str) -> Result<u64, StoreError> {
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres {
        return upsert_unnest(db, rows, condition).await;
    }
    let full_sql = insert_sql(BATCH_ROWS, condition);
    let mut written = 0;
    for chunk in rows.chunks(BATCH_ROWS) {
        let sql = if chunk.len() == BATCH_ROWS { full_sql.clone() } else { insert_sql(chunk.len(), condition) };
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * COLUMNS);
        for r in chunk {
            values.extend([
                r.metric_id.into(),
                r.org_id.into(),
                r.grain.into(),
                r.period_start.into(),
                r.value.into(),
                r.num.into(),
                r.den.into(),
                r.updated_at.into(),
                r.origin.into(),
            ]);
        }
        let result = db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
        written += result.rows_affected();
    }
    Ok(written)
}

/// Moves the data version on: every cached answer rendered before this commit stops matching.
pub async fn bump_data_version<C: ConnectionTrait>(db: &C) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_string(
        backend,
        "UPDATE data_version SET version = version + 1, updated_at = CURRENT_TIMESTAMP WHERE id = 1",
    ))
    .await?;
    Ok(())
}

/// Records that the upstream calls `period` (and everything before it) final.
pub async fn mark_complete<C: ConnectionTrait>(db: &C, period: Period) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO period_status (grain, complete_through, updated_at) VALUES ($1, $2, CURRENT_TIMESTAMP) \
             ON CONFLICT (grain) DO UPDATE SET complete_through = excluded.complete_through, updated_at = excluded.updated_at"
        }
        _ => {
            "INSERT INTO period_status (grain, complete_through, updated_at) VALUES (?, ?, CURRENT_TIMESTAMP) \
             ON CONFLICT (grain) DO UPDATE SET complete_through = excluded.complete_through, updated_at = excluded.updated_at"
        }
    };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [period.grain().code().into(), day_number(period.start()).into()],
    ))
    .await?;
    Ok(())
}

/// Stored rows of one metric and grain for some orgs over a range of period starts (day
/// numbers, inclusive).
///
/// Streamed: a roll-up over a year reads hundreds of thousands of rows, and the driver's rows
/// (on SQLite, a copy of every value) would cost ten times the [`FactRow`]s they become if
/// they were all held at once.
pub async fn load<C: ConnectionTrait + StreamTrait + Send>(
    db: &C,
    metric_id: i32,
    grain: i16,
    orgs: &[i32],
    from: i32,
    to: i32,
) -> Result<Vec<FactRow>, StoreError> {
    use entities::fact;
    use futures_util::TryStreamExt;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mut out = Vec::new();
    // Chunks keep the bound parameters under SQLite's limit.
    for chunk in orgs.chunks(5_000) {
        let rows = fact::Entity::find()
            .filter(fact::Column::MetricId.eq(metric_id))
            .filter(fact::Column::OrgId.is_in(chunk.iter().copied()))
            .filter(fact::Column::Grain.eq(grain))
            .filter(fact::Column::PeriodStart.between(from, to))
            .stream(db)
            .await?;
        let mut rows = std::pin::pin!(rows);
        while let Some(f) = rows.try_next().await? {
            out.push(FactRow {
                metric_id: f.metric_id.get(),
                org_id: f.org_id.get(),
                grain: f.grain,
                period_start: f.period_start,
                value: f.value,
                num: f.num,
                den: f.den,
                updated_at: f.updated_at,
                origin: f.origin,
            });
        }
    }
    Ok(out)
}
