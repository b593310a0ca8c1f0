//! Records in the database: the sync's upserts and tombstones, and the query API's lists
//! (filters, search, keyset pages, a capped count), single records and saved column sets.
//!
//! Statements are built here as text with bound values (the column and sort names come from
//! the whitelists of `domain::records`, never from the request), so that a keyset condition
//! is one row-value comparison the database answers from an index.

use entities::ids::{OrgId, UserId};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement, Value};

use crate::domain::records::{
    Column, ColumnType, Cursor, FilterType, FilterValue, KindSchema, Query, RecordKind, SortValue,
};
use crate::store::StoreError;

/// A record to store: its id, its `updatedAt`, and its row in the table's column order
/// ([`insert_columns`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Upsert {
    pub id: String,
    pub updated_at: i64,
    pub values: Vec<Value>,
    /// The completion day of a case (for the statistics to redo).
    pub completed_day: Option<i32>,
}

/// The stored columns of each kind, in the order of `workers::records::check_record`'s rows.
pub fn insert_columns(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Catalog => {
            &["id", "org_id", "code", "name", "level", "category", "status", "status_day", "updated_at"]
        }
        RecordKind::Items => &[
            "id",
            "org_id",
            "code",
            "name",
            "catalog_code",
            "implementation",
            "online_level",
            "mobile",
            "zero_visit",
            "shared_fields",
            "total_fields",
            "shared_materials",
            "total_materials",
            "implemented_day",
            "updated_at",
        ],
        RecordKind::Cases => &[
            "id",
            "org_id",
            "case_no",
            "item_code",
            "item_name",
            "channel",
            "applicant_kind",
            "accepted_at",
            "accepted_day",
            "completed_at",
            "completed_day",
            "legal_days",
            "promised_days",
            "working_days",
            "result",
            "rating",
            "overdue",
            "updated_at",
        ],
    }
}

/// The PostgreSQL type of each of [`insert_columns`], for reading a page's rows from one JSON
/// array parameter a column (`UNNEST`).
fn pg_types(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Catalog => &["text", "integer", "text", "text", "text", "text", "text", "integer", "bigint"],
        RecordKind::Items => &[
            "text", "integer", "text", "text", "text", "text", "smallint", "boolean", "boolean", "integer", "integer",
            "integer", "integer", "integer", "bigint",
        ],
        RecordKind::Cases => &[
            "text", "integer", "text", "text", "text", "text", "text", "bigint", "integer", "bigint", "integer",
            "integer", "integer", "integer", "text", "smallint", "boolean", "bigint",
        ],
    }
}

/// Texts as a PostgreSQL array literal (see [`array_literal`]).
fn text_array<'a>(texts: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::from("{");
    for (i, s) in texts.enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_array_text(&mut out, s);
    }
    out.push('}');
    out
}

/// One quoted element of an array literal.
fn push_array_text(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        if ch == '"' || ch == '\\' {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('"');
}

fn push_int(out: &mut String, n: i64) {
    use std::fmt::Write as _;
    let _ = write!(out, "{n}");
}

/// Rows a PostgreSQL statement carries in its array parameters: one statement a page.
const PG_ROWS_PER_STATEMENT: usize = 20_000;

/// Bound values per statement: under SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_PARAMS: usize = 30_000;

/// A statement under construction.
pub struct Sql {
    backend: DbBackend,
    pub text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(backend: DbBackend) -> Sql {
        Sql { backend, text: String::with_capacity(256), values: Vec::new() }
    }

    pub fn push(&mut self, s: &str) -> &mut Sql {
        self.text.push_str(s);
        self
    }

    /// A bound value.
    pub fn param(&mut self, v: impl Into<Value>) -> &mut Sql {
        self.values.push(v.into());
        match self.backend {
            DbBackend::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.values.len().to_string());
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// `(?, ?, ...)` of the values.
    pub fn list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Sql {
        self.text.push('(');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            self.param(v);
        }
        self.text.push(')');
        self
    }

    pub fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// Inside a page's transaction: stores the checked records (a correction wins when it is not
/// older than what is stored) and applies the tombstones (likewise). Returns the first and
/// last completion day the page touched, before and after (cases only), for the statistics.
pub async fn apply<C: ConnectionTrait>(
    db: &C,
    kind: RecordKind,
    upserts: &[Upsert],
    tombstones: &[(String, i64)],
) -> Result<Option<(i32, i32)>, StoreError> {
    let backend = db.get_database_backend();
    let table = kind.table();
    let cases = kind == RecordKind::Cases;
    let mut days: Option<(i32, i32)> = None;
    // A case's upsert returns the completion day it replaced (`replaced_day`), a tombstone's
    // delete the day it removed: those days' statistics are redone, and the new days'.
    let returning = if cases { " RETURNING replaced_day AS day" } else { "" };
    if backend == DbBackend::Postgres {
        let columns = insert_columns(kind);
        let list = columns.join(", ");
        let arrays: Vec<String> =
            pg_types(kind).iter().enumerate().map(|(i, t)| format!("${}::{t}[]", i + 1)).collect();
        // The page's rows travel as one array parameter a column, unnested by the server: no
        // per-row parameters or JSON to parse, one statement text a kind, prepared once.
        let insert = format!(
            "INSERT INTO {table} ({list}) SELECT * FROM UNNEST({}){}{returning}",
            arrays.join(", "),
            on_conflict(kind)
        );
        let sql =
            if cases { format!("WITH w AS ({insert}) SELECT MIN(day) AS lo, MAX(day) AS hi FROM w") } else { insert };
        for chunk in upserts.chunks(PG_ROWS_PER_STATEMENT) {
            let values: Vec<Value> =
                (0..columns.len()).map(|i| Value::from(array_literal(chunk.iter().map(|u| &u.values[i])))).collect();
            let statement = Statement::from_sql_and_values(backend, sql.clone(), values);
            if cases {
                if let Some(row) = db.query_one_raw(statement).await? {
                    widen_from(&mut days, &row)?;
                }
            } else {
                db.execute_raw(statement).await?;
            }
        }
        if !tombstones.is_empty() {
            let delete = format!(
                "DELETE FROM {table} t USING UNNEST($1::text[], $2::int8[]) AS d(id, at) \
                 WHERE t.id = d.id AND t.updated_at <= d.at"
            );
            let ids = text_array(tombstones.iter().map(|t| t.0.as_str()));
            let ats = format!("{{{}}}", tombstones.iter().map(|t| t.1.to_string()).collect::<Vec<_>>().join(","));
            let values = [Value::from(ids), Value::from(ats)];
            if cases {
                let sql = format!(
                    "WITH d AS ({delete} RETURNING t.completed_day AS day) SELECT MIN(day) AS lo, MAX(day) AS hi FROM d"
                );
                if let Some(row) = db.query_one_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
                    widen_from(&mut days, &row)?;
                }
            } else {
                db.execute_raw(Statement::from_sql_and_values(backend, delete, values)).await?;
            }
        }
    } else {
        let columns = insert_columns(kind);
        let per_statement = (MAX_PARAMS / columns.len()).max(1);
        for chunk in upserts.chunks(per_statement) {
            let mut sql = Sql::new(backend);
            sql.push(&format!("INSERT INTO {table} ({}) VALUES ", columns.join(", ")));
            for (i, u) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(",");
                }
                sql.list(u.values.iter().cloned());
            }
            sql.push(&on_conflict(kind)).push(returning);
            if cases {
                for row in db.query_all_raw(sql.build()).await? {
                    if let Some(d) = row.try_get::<Option<i32>>("", "day")? {
                        widen(&mut days, d);
                    }
                }
            } else {
                db.execute_raw(sql.build()).await?;
            }
        }
        for (id, at) in tombstones {
            let mut sql = Sql::new(backend);
            sql.push(&format!("DELETE FROM {table} WHERE id = "))
                .param(id.clone())
                .push(" AND updated_at <= ")
                .param(*at);
            if cases {
                sql.push(" RETURNING completed_day AS day");
                if let Some(row) = db.query_one_raw(sql.build()).await?
                    && let Some(d) = row.try_get::<Option<i32>>("", "day")?
                {
                    widen(&mut days, d);
                }
            } else {
                db.execute_raw(sql.build()).await?;
            }
        }
    }
    for d in upserts.iter().filter_map(|u| u.completed_day) {
        widen(&mut days, d);
    }
    Ok(days)
}

fn widen(days: &mut Option<(i32, i32)>, d: i32) {
    *days = Some(days.map_or((d, d), |(lo, hi)| (lo.min(d), hi.max(d))));
}

/// Widens `days` by a row's `lo` and `hi` (either may be null).
fn widen_from(days: &mut Option<(i32, i32)>, row: &QueryResult) -> Result<(), StoreError> {
    for c in ["lo", "hi"] {
        if let Some(d) = row.try_get::<Option<i32>>("", c)? {
            widen(days, d);
        }
    }
    Ok(())
}

/// ` ON CONFLICT (id) DO UPDATE SET …`: a correction wins when it is not older than what is
/// stored, so a replayed page changes nothing. A case keeps the completion day it replaces.
fn on_conflict(kind: RecordKind) -> String {
    let table = kind.table();
    let mut update: Vec<String> =
        insert_columns(kind).iter().filter(|c| **c != "id").map(|c| format!("{c} = excluded.{c}")).collect();
    if kind == RecordKind::Cases {
        update.push(format!("replaced_day = {table}.completed_day"));
    }
    format!(" ON CONFLICT (id) DO UPDATE SET {} WHERE excluded.updated_at >= {table}.updated_at", update.join(", "))
}

/// Stored values as a PostgreSQL array literal (`{"a","b",NULL}`, `{1,NULL}`, `{t,f}`), cast
/// to its element type by the statement. Text is always quoted, with `"` and `\` escaped.
fn array_literal<'a>(values: impl Iterator<Item = &'a Value>) -> String {
    let mut out = String::with_capacity(1024);
    out.push('{');
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        match v {
            Value::String(Some(s)) => push_array_text(&mut out, s),
            Value::Bool(Some(b)) => out.push(if *b { 't' } else { 'f' }),
            Value::TinyInt(Some(n)) => push_int(&mut out, i64::from(*n)),
            Value::SmallInt(Some(n)) => push_int(&mut out, i64::from(*n)),
            Value::Int(Some(n)) => push_int(&mut out, i64::from(*n)),
            Value::BigInt(Some(n)) => push_int(&mut out, *n),
            _ => out.push_str("NULL"),
        }
    }
    out.push('}');
    out
}

/// A value of a record's cell, as read.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
}

/// A record as read: its id, its sort key, and the asked columns' cells.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub sort: SortValue,
    pub cells: Vec<Cell>,
}

/// What a list reads.
pub struct ListSpec<'a> {
    pub query: &'a Query,
    /// The orgs the list may show; `None` when the caller's scope is the whole tree and no org
    /// was asked for.
    pub orgs: Option<Vec<OrgId>>,
    pub after: Option<Cursor>,
    pub limit: usize,
    pub columns: &'a [&'static Column],
}

fn select_expr(c: &Column) -> String {
    match c.ty {
        ColumnType::Int | ColumnType::Day | ColumnType::Instant | ColumnType::Org => {
            format!("CAST({0} AS BIGINT) AS {0}", c.sql)
        }
        ColumnType::Text | ColumnType::Bool => c.sql.to_owned(),
    }
}

fn read_cell(row: &QueryResult, c: &Column) -> Result<Cell, StoreError> {
    Ok(match c.ty {
        ColumnType::Text => row.try_get::<Option<String>>("", c.sql)?.map_or(Cell::Null, Cell::Text),
        ColumnType::Bool => row.try_get::<Option<bool>>("", c.sql)?.map_or(Cell::Null, Cell::Bool),
        _ => row.try_get::<Option<i64>>("", c.sql)?.map_or(Cell::Null, Cell::Int),
    })
}

/// `WHERE ...` of a query (without the keyset condition).
fn push_where(sql: &mut Sql, query: &Query, orgs: Option<&[OrgId]>) {
    sql.push(" WHERE 1 = 1");
    if let Some(orgs) = orgs {
        if orgs.is_empty() {
            sql.push(" AND 1 = 0");
        } else {
            sql.push(" AND org_id IN ");
            sql.list(orgs.iter().copied());
        }
    }
    if let Some(q) = &query.q {
        let pattern = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        sql.push(" AND (");
        for (i, col) in query.kind.search_columns().iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push(col).push(" LIKE ").param(pattern.clone()).push(" ESCAPE '\\'");
        }
        sql.push(")");
    }
    for (f, v) in &query.filters {
        sql.push(" AND ").push(f.sql);
        match (f.ty, v) {
            (FilterType::DayFrom, FilterValue::Day(d)) => {
                sql.push(" >= ").param(*d);
            }
            (FilterType::DayTo, FilterValue::Day(d)) => {
                sql.push(" <= ").param(*d);
            }
            (_, FilterValue::Bool(b)) => {
                sql.push(" = ").param(*b);
            }
            (_, FilterValue::Texts(values)) => {
                sql.push(" IN ").list(values.iter().cloned());
            }
            (_, FilterValue::Day(d)) => {
                sql.push(" = ").param(*d);
            }
        }
    }
}

/// One page: at most `limit` rows after the cursor, and whether more follow.
pub async fn list<C: ConnectionTrait>(db: &C, spec: &ListSpec<'_>) -> Result<(Vec<Row>, bool), StoreError> {
    let query = spec.query;
    let kind = query.kind;
    let sort = query.sort.column(kind).ok_or_else(|| DbErr::Custom("sort column".into()))?;
    let backend = db.get_database_backend();
    let mut sql = Sql::new(backend);
    let dir = if query.sort.descending { "DESC" } else { "ASC" };
    let table = kind.table();
    let completed_index = sqlite_completed_index(backend, query);
    // SQLite reads an org subtree sorted by acceptance from the org's index, every org of it,
    // and sorts all their rows (a city: 90,000 rows for a page of 50): instead, one arm an org
    // under the compound's ORDER BY, which SQLite runs as a merge of co-routines, each reading
    // its org's index (`(org_id, accepted_at, id)`) in order and only as far as the page needs.
    // (A short completion range reads the completion index instead.)
    let merged = spec.orgs.as_deref().filter(|orgs| {
        backend == DbBackend::Sqlite
            && kind == RecordKind::Cases
            && sort.sql == "accepted_at"
            && completed_index.is_none()
            && (2..=SQLITE_MERGED_ORGS).contains(&orgs.len())
    });
    // The merged arms sort by the bare column: an arm sorted by an expression (`CAST(…)`)
    // would sort its org's every row first.
    let sort_key = if merged.is_some() { format!("{table}.{}", sort.sql) } else { select_expr_key(sort) };
    let mut select: Vec<String> = vec!["id".into(), format!("{sort_key} AS sort_key")];
    select.extend(spec.columns.iter().map(|c| select_expr(c)));
    let select = select.join(", ");
    match merged {
        Some(orgs) => {
            for (i, org) in orgs.iter().enumerate() {
                if i > 0 {
                    sql.push(" UNION ALL ");
                }
                sql.push("SELECT ").push(&select).push(" FROM record_cases INDEXED BY ");
                sql.push("idx_record_cases_org_accepted");
                push_where(&mut sql, query, Some(&[*org]));
                push_after(&mut sql, query, sort, spec.after.as_ref());
            }
            sql.push(&format!(" ORDER BY sort_key {dir}, id {dir} LIMIT {}", spec.limit + 1));
        }
        None => {
            let orgs = spec.orgs.as_deref();
            sql.push("SELECT ").push(&select).push(" FROM ").push(table).push(completed_index.unwrap_or_default());
            push_where(&mut sql, query, orgs);
            push_after(&mut sql, query, sort, spec.after.as_ref());
            // Qualified: a bare name would be the selected cell of that name (`CAST(… AS
            // BIGINT) AS accepted_at`), which SQLite sorts in a temporary b-tree, every
            // matching row of it.
            sql.push(&format!(" ORDER BY {table}.{} {dir}, {table}.id {dir} LIMIT {}", sort.sql, spec.limit + 1));
        }
    }
    let rows = db.query_all_raw(sql.build()).await?;
    let more = rows.len() > spec.limit;
    let mut out = Vec::with_capacity(rows.len().min(spec.limit));
    for row in rows.iter().take(spec.limit) {
        let sort_value = match sort.ty {
            ColumnType::Int | ColumnType::Instant => SortValue::Int(row.try_get::<i64>("", "sort_key")?),
            _ => SortValue::Text(row.try_get::<String>("", "sort_key")?),
        };
        let cells = spec.columns.iter().map(|c| read_cell(row, c)).collect::<Result<Vec<_>, _>>()?;
        out.push(Row { id: row.try_get::<String>("", "id")?, sort: sort_value, cells });
    }
    Ok((out, more))
}

/// Orgs up to which SQLite merges a page from each (a compound select has at most 500 terms).
const SQLITE_MERGED_ORGS: usize = 200;

/// Completion ranges up to this many days are read from the completion index on SQLite.
const SQLITE_COMPLETED_SPAN: i32 = 31;

/// On SQLite, the index to read cases completed within a short range from (a card's
/// drill-through: a day's, a week's or a month's completed or overdue cases): a few hundred
/// entries of `(completed_day, org_id)` where SQLite, knowing no better, would walk every case of
/// the orgs. `None` otherwise (and on PostgreSQL, whose planner has statistics).
fn sqlite_completed_index(backend: DbBackend, query: &Query) -> Option<&'static str> {
    if backend != DbBackend::Sqlite || query.kind != RecordKind::Cases {
        return None;
    }
    let bound = |ty: FilterType| {
        query.filters.iter().find_map(|(f, v)| match v {
            FilterValue::Day(d) if f.sql == "completed_day" && f.ty == ty => Some(*d),
            _ => None,
        })
    };
    let (from, to) = (bound(FilterType::DayFrom)?, bound(FilterType::DayTo)?);
    (to - from <= SQLITE_COMPLETED_SPAN).then_some(" INDEXED BY idx_record_cases_completed")
}

/// The keyset condition: after the cursor's row in the list's order.
fn push_after(sql: &mut Sql, query: &Query, sort: &Column, after: Option<&Cursor>) {
    if let Some(after) = after {
        let op = if query.sort.descending { "<" } else { ">" };
        let table = query.kind.table();
        sql.push(&format!(" AND ({table}.{}, {table}.id) {op} (", sort.sql));
        match &after.value {
            SortValue::Int(v) => sql.param(*v),
            SortValue::Text(v) => sql.param(v.clone()),
        };
        sql.push(", ").param(after.id.clone()).push(")");
    }
}

fn select_expr_key(c: &Column) -> String {
    match c.ty {
        ColumnType::Int | ColumnType::Instant => format!("CAST({} AS BIGINT)", c.sql),
        _ => c.sql.to_owned(),
    }
}

/// How many rows the query matches, counted up to `cap + 1` (so "more than `cap`" is known
/// without counting millions).
pub async fn count_capped<C: ConnectionTrait>(
    db: &C,
    query: &Query,
    orgs: Option<&[OrgId]>,
    cap: u64,
) -> Result<u64, StoreError> {
    let backend = db.get_database_backend();
    let mut sql = Sql::new(backend);
    sql.push("SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM ").push(query.kind.table());
    sql.push(sqlite_completed_index(backend, query).unwrap_or_default());
    push_where(&mut sql, query, orgs);
    sql.push(&format!(" LIMIT {}) AS matched", cap + 1));
    let n = match db.query_one_raw(sql.build()).await? {
        Some(row) => row.try_get::<i64>("", "n")?,
        None => 0,
    };
    Ok(n.max(0) as u64)
}

/// One record with every column, and its org.
pub async fn one<C: ConnectionTrait>(
    db: &C,
    kind: RecordKind,
    id: &str,
) -> Result<Option<(OrgId, Vec<Cell>)>, StoreError> {
    let columns: Vec<&'static Column> = kind.columns().iter().collect();
    let mut sql = Sql::new(db.get_database_backend());
    let select: Vec<String> = columns.iter().map(|c| select_expr(c)).collect();
    sql.push("SELECT ")
        .push(&select.join(", "))
        .push(" FROM ")
        .push(kind.table())
        .push(" WHERE id = ")
        .param(id.to_owned());
    let Some(row) = db.query_one_raw(sql.build()).await? else { return Ok(None) };
    let cells = columns.iter().map(|c| read_cell(&row, c)).collect::<Result<Vec<_>, _>>()?;
    let org = OrgId(row.try_get::<i64>("", "org_id")? as i32);
    Ok(Some((org, cells)))
}

/// The id of the record of `kind` with `code`, preferring the one of `org`.
pub async fn id_by_code<C: ConnectionTrait>(
    db: &C,
    kind: RecordKind,
    code: &str,
    org: OrgId,
) -> Result<Option<String>, StoreError> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT id FROM ")
        .push(kind.table())
        .push(" WHERE code = ")
        .param(code.to_owned())
        .push(" ORDER BY CASE WHEN org_id = ")
        .param(org)
        .push(" THEN 0 ELSE 1 END, id LIMIT 1");
    match db.query_one_raw(sql.build()).await? {
        Some(row) => Ok(Some(row.try_get::<String>("", "id")?)),
        None => Ok(None),
    }
}

/// A user's saved column keys for `kind`.
pub async fn saved_columns<C: ConnectionTrait>(
    db: &C,
    user: UserId,
    kind: RecordKind,
) -> Result<Option<Vec<String>>, StoreError> {
    use entities::user_column;
    use sea_orm::EntityTrait;
    let row = user_column::Entity::find_by_id((user, kind)).one(db).await?;
    Ok(row.and_then(|r| serde_json::from_str(&r.columns).ok()))
}

/// Saves a user's column keys for `kind`.
pub async fn save_columns<C: ConnectionTrait>(
    db: &C,
    user: UserId,
    kind: RecordKind,
    keys: &[&str],
) -> Result<(), StoreError> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("INSERT INTO user_columns (user_id, kind, columns, updated_at) VALUES (")
        .param(user)
        .push(", ")
        .param(kind.as_str())
        .push(", ")
        .param(serde_json::to_string(keys).unwrap_or_else(|_| "[]".into()))
        .push(", ")
        .param(chrono::Utc::now().fixed_offset())
        .push(
            ") ON CONFLICT (user_id, kind) DO UPDATE SET columns = excluded.columns, updated_at = excluded.updated_at",
        );
    db.execute_raw(sql.build()).await?;
    Ok(())
}

/// Inserts records known to be new (the demo's history): plain multi-row inserts, no conflict
/// handling.
pub async fn insert_new<C: ConnectionTrait>(db: &C, kind: RecordKind, rows: &[Upsert]) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    let columns = insert_columns(kind);
    let per_statement = (MAX_PARAMS / columns.len()).max(1);
    for chunk in rows.chunks(per_statement) {
        let mut sql = Sql::new(backend);
        sql.push(&format!("INSERT INTO {} ({}) VALUES ", kind.table(), columns.join(", ")));
        for (i, u) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(",");
            }
            sql.list(u.values.iter().cloned());
        }
        db.execute_raw(sql.build()).await?;
    }
    Ok(())
}
