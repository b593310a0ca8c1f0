//! The records behind the numbers: `GET /api/v1/records/{catalog|items|cases}` (filters,
//! search, sort, keyset pages, a capped total, chosen columns), `GET /api/v1/records/{kind}/{id}`
//! (one record with its item and catalogue entry), `GET`/`PUT /api/v1/me/columns/{kind}` (the
//! saved column set, 自定义表头) and the record exports
//! (`GET /api/v1/exports/records-{kind}.{csv|xlsx}`). Every list is scoped like the read path:
//! an org outside the caller's scope is `403`, and nothing outside it is ever listed.

use entities::ids::OrgId;
use std::collections::HashSet;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, SecondsFormat};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::auth::CurrentUser;
use crate::domain::period::from_day_number;
use crate::domain::records::{
    self, COUNT_CAP, Column, ColumnType, Cursor, Invalid, KindSchema, Query, RecordKind, Sort, SortValue,
};
use crate::error::ApiError;
use crate::routes::extract::Json;
use crate::state::{AppState, Snapshot};
use crate::store::records::{self as store, Cell, ListSpec};

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        ApiError::invalid(e.param, e.reason)
    }
}

pub fn kind(raw: &str) -> Result<RecordKind, ApiError> {
    RecordKind::parse(raw).ok_or_else(|| ApiError::NotFound(format!("no records `{raw}`: catalog, items or cases")))
}

/// A list request, parsed: the query, the page and the columns.
pub struct ListRequest {
    pub query: Query,
    pub cursor: Option<String>,
    pub limit: usize,
    pub columns: Option<String>,
}

/// Parses a list's query string: every parameter must be known to the kind, given once.
pub fn parse_list(kind: RecordKind, query_string: &str) -> Result<ListRequest, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query_string).map_err(|e| ApiError::invalid("query", e.to_string()))?;
    let mut seen = HashSet::new();
    let (mut org, mut q, mut sort, mut cursor, mut limit, mut columns) = (None, None, None, None, None, None);
    let mut filters = Vec::new();
    for (key, value) in pairs {
        if !seen.insert(key.clone()) {
            return Err(ApiError::invalid(&key, "given twice"));
        }
        match key.as_str() {
            "org" => {
                org = Some(value.parse::<OrgId>().map_err(|e| ApiError::invalid("org", e.to_string()))?);
            }
            "q" => {
                let t = value.trim();
                if t.chars().count() > 100 {
                    return Err(ApiError::invalid("q", "at most 100 characters"));
                }
                q = (!t.is_empty()).then(|| t.to_owned());
            }
            "sort" => sort = Some(Sort::parse(kind, &value)?),
            "cursor" => cursor = Some(value),
            "limit" => limit = Some(value),
            "columns" => columns = Some(value),
            other => {
                let def = kind.filters().iter().find(|f| f.param == other).ok_or_else(|| {
                    let known: Vec<&str> = ["org", "q", "sort", "cursor", "limit", "columns"]
                        .into_iter()
                        .chain(kind.filters().iter().map(|f| f.param))
                        .collect();
                    ApiError::invalid(other, format!("unknown parameter for {kind}; known: {}", known.join(", ")))
                })?;
                filters.push((*def, def.parse(&value)?));
            }
        }
    }
    // Declaration order: the same filters in another order are the same query.
    filters.sort_by_key(|(f, _)| kind.filters().iter().position(|d| d.param == f.param));
    let query = Query { kind, org, q, filters, sort: sort.unwrap_or_else(|| kind.default_sort()) };
    Ok(ListRequest { query, cursor, limit: records::parse_limit(limit.as_deref())?, columns })
}

/// The orgs a query may list: the asked org's subtree (in scope, else `403`), or the caller's
/// whole scope (`None` when that is the whole tree).
pub fn scoped_orgs(snap: &Snapshot, user: &CurrentUser, org: Option<OrgId>) -> Result<Option<Vec<OrgId>>, ApiError> {
    let scopes = user.require_scope()?;
    match org {
        Some(id) => {
            snap.orgs.get(id).ok_or_else(|| ApiError::NotFound(format!("org {id} does not exist")))?;
            if !snap.orgs.in_scope(id, scopes) {
                return Err(ApiError::OutOfScope(id));
            }
            Ok(Some(snap.orgs.subtree(id)))
        }
        None if snap.orgs.covers_all(scopes) => Ok(None),
        None => {
            let mut ids: Vec<OrgId> = scopes.iter().flat_map(|s| snap.orgs.subtree(*s)).collect();
            ids.sort_unstable();
            ids.dedup();
            Ok(Some(ids))
        }
    }
}

/// The columns to show: asked for, else saved, else the kind's default.
pub async fn columns_for(
    state: &AppState,
    user: &CurrentUser,
    kind: RecordKind,
    asked: Option<&str>,
) -> Result<Vec<&'static Column>, ApiError> {
    if let Some(raw) = asked {
        return Ok(records::parse_columns(kind, raw)?);
    }
    if let Some(saved) = store::saved_columns(&state.db, user.id, kind).await? {
        // A saved set naming a column that no longer exists keeps the others.
        let cols: Vec<&'static Column> = saved.iter().filter_map(|k| kind.column(k)).collect();
        if !cols.is_empty() {
            return Ok(cols);
        }
    }
    Ok(kind.default_columns().iter().filter_map(|k| kind.column(k)).collect())
}

/// A cell for JSON.
pub fn json_cell(snap: &Snapshot, tz: &chrono_tz::Tz, c: &Column, cell: &Cell) -> Value {
    match (c.ty, cell) {
        (_, Cell::Null) => Value::Null,
        (ColumnType::Org, Cell::Int(id)) => {
            snap.orgs.get(OrgId(*id as i32)).map_or_else(|| Value::from(*id), |o| Value::from(o.name.clone()))
        }
        (ColumnType::Day, Cell::Int(d)) => {
            i32::try_from(*d).ok().and_then(from_day_number).map_or(Value::Null, |d| Value::from(d.to_string()))
        }
        (ColumnType::Instant, Cell::Int(t)) => DateTime::from_timestamp(*t, 0)
            .map_or(Value::Null, |t| Value::from(t.with_timezone(tz).to_rfc3339_opts(SecondsFormat::Secs, false))),
        (_, Cell::Int(n)) => Value::from(*n),
        (_, Cell::Bool(b)) => Value::from(*b),
        (_, Cell::Text(s)) => Value::from(s.clone()),
    }
}

/// A cell for a file: dates and times in business time, yes/no in Chinese.
pub fn text_cell(snap: &Snapshot, tz: &chrono_tz::Tz, c: &Column, cell: &Cell) -> String {
    match (c.ty, cell) {
        (_, Cell::Null) => String::new(),
        (ColumnType::Instant, Cell::Int(t)) => DateTime::from_timestamp(*t, 0)
            .map(|t| t.with_timezone(tz).format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default(),
        (_, Cell::Bool(b)) => if *b { "是" } else { "否" }.to_owned(),
        (ColumnType::Text, Cell::Text(s)) => records::value_label(c.key, s).unwrap_or(s).to_owned(),
        _ => match json_cell(snap, tz, c, cell) {
            Value::String(s) => s,
            other => other.to_string(),
        },
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ColumnDto {
    key: &'static str,
    label: &'static str,
    sortable: bool,
    /// An enumerated column's values by their Chinese names (`{"completed": "办结"}`).
    #[serde(skip_serializing_if = "Map::is_empty")]
    values: Map<String, Value>,
}

fn column_dtos(cols: &[&'static Column]) -> Vec<ColumnDto> {
    cols.iter()
        .map(|c| ColumnDto {
            key: c.key,
            label: c.label,
            sortable: c.sortable,
            values: records::value_labels(c.key).iter().map(|(v, l)| ((*v).to_owned(), Value::from(*l))).collect(),
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Total {
    /// Exact up to the cap; the cap when `more` is set.
    count: u64,
    /// More rows match than the cap: "more than `count`".
    more: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListBody {
    kind: RecordKind,
    sort: String,
    columns: Vec<ColumnDto>,
    items: Vec<Map<String, Value>>,
    next_cursor: Option<String>,
    /// On the first page only (so a later page costs what the first does).
    total: Option<Total>,
}

/// A page of records.
#[utoipa::path(
    get,
    path = "/api/v1/records/{kind}",
    params(("kind" = String, Path, description = "`catalog`, `items` or `cases`"), ("org" = Option<String>, Query, description = "An org of your scope (default: all of it)"), ("q" = Option<String>, Query, description = "A substring of the name, code or case number"), ("sort" = Option<String>, Query, description = "A whitelisted key, `-` first for descending"), ("cursor" = Option<String>, Query, description = "The `nextCursor` of the previous page of the same query"), ("limit" = Option<u32>, Query, description = "At most 200"), ("columns" = Option<String>, Query, description = "Comma-separated columns (default: your saved set)")),
    responses((status = 200, description = "`{kind, sort, columns, items, nextCursor, total?}`; the kind's own filters (`status`, `level`, ...) are query parameters too", body = serde_json::Value), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "read"
)]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let kind = kind(&path)?;
    let ListRequest { query, cursor, limit, columns } = parse_list(kind, req.query_string())?;
    let snap = state.snapshot();
    let orgs = scoped_orgs(&snap, &user, query.org)?;
    let after = cursor.as_deref().map(|c| Cursor::decode(c, &query)).transpose()?;
    let cols = columns_for(&state, &user, kind, columns.as_deref()).await?;
    let total = match after {
        None => {
            let n = store::count_capped(&state.db, &query, orgs.as_deref(), COUNT_CAP).await?;
            Some(Total { count: n.min(COUNT_CAP), more: n > COUNT_CAP })
        }
        Some(_) => None,
    };
    let spec = ListSpec { query: &query, orgs, after, limit, columns: &cols };
    let (rows, more) = store::list(&state.db, &spec).await?;
    let next_cursor = if more {
        rows.last().map(|r| Cursor { hash: query.hash(), value: r.sort.clone(), id: r.id.clone() }.encode())
    } else {
        None
    };
    let items = rows
        .iter()
        .map(|r| {
            let mut o = Map::new();
            o.insert("id".into(), Value::from(r.id.clone()));
            for (c, cell) in cols.iter().zip(&r.cells) {
                o.insert(c.key.into(), json_cell(&snap, &state.tz, c, cell));
            }
            o
        })
        .collect();
    let sort = format!("{}{}", if query.sort.descending { "-" } else { "" }, query.sort.key);
    Ok(HttpResponse::Ok().json(ListBody { kind, sort, columns: column_dtos(&cols), items, next_cursor, total }))
}

fn record_json(
    snap: &Snapshot,
    tz: &chrono_tz::Tz,
    kind: RecordKind,
    org: OrgId,
    cells: &[Cell],
) -> Map<String, Value> {
    let mut o = Map::new();
    for (c, cell) in kind.columns().iter().zip(cells) {
        o.insert(c.key.into(), json_cell(snap, tz, c, cell));
    }
    o.insert("orgId".into(), Value::from(org.get()));
    o
}

fn text_of(kind: RecordKind, cells: &[Cell], key: &str) -> Option<String> {
    let i = kind.columns().iter().position(|c| c.key == key)?;
    match cells.get(i)? {
        Cell::Text(s) => Some(s.clone()),
        _ => None,
    }
}

#[derive(Deserialize)]
pub struct OnePath {
    kind: String,
    id: String,
}

/// One record, with its item (a case's) and its catalogue entry (a case's or an item's).
#[utoipa::path(
    get,
    path = "/api/v1/records/{kind}/{id}",
    params(("kind" = String, Path, description = "`catalog`, `items` or `cases`"), ("id" = String, Path, description = "The record's code or case number")),
    responses((status = 200, description = "`{record, item?, catalog?}`", body = serde_json::Value), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "read"
)]
pub async fn one(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<OnePath>,
) -> Result<HttpResponse, ApiError> {
    let kind = kind(&path.kind)?;
    let scopes = user.require_scope()?;
    let snap = state.snapshot();
    let not_found = || ApiError::NotFound(format!("no {kind} record `{}`", path.id));
    let (org, cells) = store::one(&state.db, kind, &path.id).await?.ok_or_else(not_found)?;
    if !snap.orgs.in_scope(org, scopes) {
        return Err(ApiError::OutOfScope(org));
    }
    let tz = &state.tz;
    let mut body = Map::new();
    body.insert("kind".into(), Value::from(kind.as_str()));
    body.insert(
        "columns".into(),
        serde_json::to_value(column_dtos(&kind.columns().iter().collect::<Vec<_>>())).unwrap_or_default(),
    );
    body.insert("record".into(), Value::Object(record_json(&snap, tz, kind, org, &cells)));
    let mut catalog_code = text_of(kind, &cells, "catalogCode");
    if kind == RecordKind::Cases {
        let mut item = Value::Null;
        if let Some(code) = text_of(kind, &cells, "itemCode")
            && let Some(id) = store::id_by_code(&state.db, RecordKind::Items, &code, org).await?
            && let Some((item_org, item_cells)) = store::one(&state.db, RecordKind::Items, &id).await?
        {
            catalog_code = text_of(RecordKind::Items, &item_cells, "catalogCode");
            item = Value::Object(record_json(&snap, tz, RecordKind::Items, item_org, &item_cells));
        }
        body.insert("item".into(), item);
    }
    if kind != RecordKind::Catalog {
        let mut catalog = Value::Null;
        if let Some(code) = catalog_code
            && let Some(id) = store::id_by_code(&state.db, RecordKind::Catalog, &code, org).await?
            && let Some((cat_org, cat_cells)) = store::one(&state.db, RecordKind::Catalog, &id).await?
        {
            catalog = Value::Object(record_json(&snap, tz, RecordKind::Catalog, cat_org, &cat_cells));
        }
        body.insert("catalog".into(), catalog);
    }
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ColumnsBody {
    kind: RecordKind,
    /// The columns the lists show, in order.
    columns: Vec<&'static str>,
    /// Whether they are the user's own choice (else the default).
    saved: bool,
    /// Every column of the kind.
    available: Vec<ColumnDto>,
}

async fn columns_body(state: &AppState, user: &CurrentUser, kind: RecordKind) -> Result<ColumnsBody, ApiError> {
    let saved = store::saved_columns(&state.db, user.id, kind).await?;
    let cols = columns_for(state, user, kind, None).await?;
    Ok(ColumnsBody {
        kind,
        columns: cols.iter().map(|c| c.key).collect(),
        saved: saved.is_some(),
        available: column_dtos(&kind.columns().iter().collect::<Vec<_>>()),
    })
}

/// The caller's column set for a kind.
#[utoipa::path(
    get,
    path = "/api/v1/me/columns/{kind}",
    params(("kind" = String, Path, description = "`catalog`, `items` or `cases`")),
    responses((status = 200, description = "`{columns, saved, available}`", body = serde_json::Value), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "me"
)]
pub async fn get_columns(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let kind = kind(&path)?;
    Ok(HttpResponse::Ok().json(columns_body(&state, &user, kind).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnsInput {
    columns: Vec<String>,
}

/// Saves the caller's column set for a kind (`PUT`, or `POST` from the mini-program).
#[utoipa::path(
    method(put, post),
    path = "/api/v1/me/columns/{kind}",
    params(("kind" = String, Path, description = "`catalog`, `items` or `cases`")),
    request_body = ColumnsInput,
    responses((status = 200, description = "`{columns, saved, available}`", body = serde_json::Value), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "me"
)]
pub async fn put_columns(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: Json<ColumnsInput>,
) -> Result<HttpResponse, ApiError> {
    let kind = kind(&path)?;
    if body.columns.len() > kind.columns().len() {
        return Err(ApiError::invalid("columns", "more columns than the kind has"));
    }
    let cols = records::parse_columns(kind, &body.columns.join(","))?;
    let keys: Vec<&str> = cols.iter().map(|c| c.key).collect();
    store::save_columns(&state.db, user.id, kind, &keys).await?;
    Ok(HttpResponse::Ok().json(columns_body(&state, &user, kind).await?))
}

/// Which value of a row a later page starts after (exports page through the whole query).
pub fn cursor_after(query: &Query, sort: &SortValue, id: &str) -> Cursor {
    Cursor { hash: query.hash(), value: sort.clone(), id: id.to_owned() }
}

/// Rows read per statement while exporting.
const EXPORT_PAGE: usize = 2_000;

/// A response body fed by a channel: the export's producer writes, actix sends as it comes.
struct ChannelBody(tokio::sync::mpsc::Receiver<Result<bytes::Bytes, std::io::Error>>);

impl actix_web::body::MessageBody for ChannelBody {
    type Error = std::io::Error;

    fn size(&self) -> actix_web::body::BodySize {
        actix_web::body::BodySize::Stream
    }

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<bytes::Bytes, Self::Error>>> {
        self.0.poll_recv(cx)
    }
}

/// Everything an export's producer needs, owned.
pub struct ExportJob {
    pub db: sea_orm::DatabaseConnection,
    pub snap: std::sync::Arc<Snapshot>,
    pub tz: chrono_tz::Tz,
    pub query: Query,
    pub orgs: Option<Vec<OrgId>>,
    pub cols: Vec<&'static Column>,
    pub cap: usize,
}

impl ExportJob {
    /// Pages through the query, sending each page's rows (as text) to `out`; stops at the cap.
    async fn run(&self, out: tokio::sync::mpsc::Sender<Vec<Vec<String>>>) -> anyhow::Result<usize> {
        let mut after: Option<Cursor> = None;
        let mut written = 0usize;
        // Bounded by the cap: each turn writes a page or ends.
        while written < self.cap {
            let limit = EXPORT_PAGE.min(self.cap - written);
            let spec = ListSpec {
                query: &self.query,
                orgs: self.orgs.clone(),
                after: after.take(),
                limit,
                columns: &self.cols,
            };
            let (rows, more) = store::list(&self.db, &spec).await?;
            written += rows.len();
            after = rows.last().map(|r| cursor_after(&self.query, &r.sort, &r.id));
            let text: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    self.cols.iter().zip(&r.cells).map(|(c, cell)| text_cell(&self.snap, &self.tz, c, cell)).collect()
                })
                .collect();
            // The reader is slower than the database: wait for room rather than buffer.
            out.send(text).await.map_err(|_| anyhow::anyhow!("the export's reader stopped"))?;
            if !more {
                break;
            }
        }
        Ok(written)
    }

    /// The CSV (UTF-8 with a BOM, the header row, then the rows page by page) into `body`, as
    /// it is read; a failure midway ends the body with an error.
    pub async fn csv(self, header_row: Vec<&'static str>, body: BodySender) {
        let (rows_tx, mut rows_rx) = tokio::sync::mpsc::channel::<Vec<Vec<String>>>(2);
        let out = body.clone();
        let write = async move {
            let mut buf = Vec::from("\u{feff}".as_bytes());
            let mut first = Some(header_row.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>());
            loop {
                let rows = match first.take() {
                    Some(h) => vec![h],
                    None => match rows_rx.recv().await {
                        Some(rows) => rows,
                        None => break,
                    },
                };
                {
                    let mut w = csv::Writer::from_writer(&mut buf);
                    for r in &rows {
                        // Text that a spreadsheet would run as a formula is shown as text;
                        // numbers (a negative one included) stay numbers.
                        let cells = r.iter().map(|v| match v.parse::<f64>() {
                            Ok(_) => std::borrow::Cow::Borrowed(v.as_str()),
                            Err(_) => crate::export::neutralise(v),
                        });
                        for cell in cells {
                            if w.write_field(cell.as_bytes()).is_err() {
                                return;
                            }
                        }
                        if w.write_record(None::<&[u8]>).is_err() {
                            return;
                        }
                    }
                    if w.flush().is_err() {
                        return;
                    }
                }
                if out.send(Ok(std::mem::take(&mut buf).into())).await.is_err() {
                    return;
                }
            }
        };
        let (result, ()) = tokio::join!(self.run(rows_tx), write);
        if let Err(e) = result {
            tracing::error!(error = ?e, "record export failed midway");
            let _ = body.send(Err(std::io::Error::other("export failed"))).await;
        }
    }
}

/// Where an export's bytes go (the response body).
pub type BodySender = tokio::sync::mpsc::Sender<Result<bytes::Bytes, std::io::Error>>;

/// `GET /api/v1/exports/records-{kind}.{csv|xlsx}` with a list's parameters: the whole query
/// (up to [`records::EXPORT_CAP`] rows) in the chosen columns, streamed as it is read; the
/// headers say how many rows and whether the cap cut it. Audited.
pub async fn export(
    req: &HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    kind_raw: &str,
    ext: &str,
) -> Result<HttpResponse, ApiError> {
    use actix_web::http::header::{
        self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
    };
    let kind = kind(kind_raw)?;
    if ext != "csv" && ext != "xlsx" {
        return Err(ApiError::NotFound(format!("no export format `{ext}`: csv or xlsx")));
    }
    let ListRequest { query, columns, .. } = parse_list(kind, req.query_string())?;
    let snap = state.snapshot();
    let orgs = scoped_orgs(&snap, &user, query.org)?;
    let cols = columns_for(&state, &user, kind, columns.as_deref()).await?;
    let cap = records::EXPORT_CAP;
    let matched = store::count_capped(&state.db, &query, orgs.as_deref(), cap as u64).await? as usize;
    let rows = matched.min(cap);
    let request_id =
        actix_web::HttpMessage::extensions(req).get::<tracing_actix_web::RequestId>().map(|id| id.to_string());
    crate::store::audit::record(
        &state.db,
        crate::store::audit::Entry {
            actor_id: Some(user.id),
            actor: &user.name,
            action: "export",
            target: format!("records-{kind}.{ext}"),
            before: None,
            after: Some(serde_json::json!({
                "query": req.query_string(),
                "rows": rows,
                "truncated": matched > cap,
            })),
            request_id,
            // Filed under the org asked for, else the caller's first scope.
            scope_org: query.org.or_else(|| user.scopes.first().copied()),
        },
    )
    .await?;
    let header_row: Vec<&'static str> = cols.iter().map(|c| c.label).collect();
    let org_name = query.org.and_then(|o| snap.orgs.get(o)).map_or_else(|| "全部".to_owned(), |o| o.name.clone());
    let job = ExportJob { db: state.db.clone(), snap: snap.clone(), tz: state.tz, query, orgs, cols, cap };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(8);
    let mime = if ext == "csv" {
        tokio::spawn(job.csv(header_row, tx));
        "text/csv; charset=utf-8"
    } else {
        let file = build_xlsx(job, header_row, kind).await?;
        tokio::task::spawn_blocking(move || stream_file(file, tx));
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    };
    let file_name = format!("{}明细_{org_name}.{ext}", kind.label());
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(format!("records-{kind}.{ext}")),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: file_name.into_bytes(),
            }),
        ],
    };
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CONTENT_TYPE, mime))
        .insert_header(disposition)
        .insert_header(("X-Export-Rows", rows.to_string()))
        .insert_header(("X-Export-Row-Cap", cap.to_string()));
    if matched > cap {
        res.insert_header(("X-Export-Truncated", "true"));
    }
    Ok(res.body(ChannelBody(rx)))
}

/// Writes the workbook row by row into a temporary file (constant memory), fed page by page
/// from the database.
async fn build_xlsx(job: ExportJob, header: Vec<&'static str>, kind: RecordKind) -> Result<std::fs::File, ApiError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Vec<String>>>(4);
    let writer = tokio::task::spawn_blocking(move || -> anyhow::Result<std::fs::File> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet_with_constant_memory()?;
        sheet.set_name(format!("{}明细", kind.label()))?;
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (c, h) in header.iter().enumerate() {
            sheet.write_string_with_format(0, u16::try_from(c)?, *h, &bold)?;
        }
        let mut r: u32 = 1;
        while let Some(rows) = rx.blocking_recv() {
            for row in rows {
                for (c, v) in row.iter().enumerate() {
                    if !v.is_empty() {
                        sheet.write_string(r, u16::try_from(c)?, v)?;
                    }
                }
                r += 1;
            }
        }
        let mut file = tempfile::tempfile()?;
        book.save_to_writer(&mut file)?;
        use std::io::Seek;
        file.rewind()?;
        Ok(file)
    });
    let fed = job.run(tx).await;
    let file = writer.await.map_err(|e| ApiError::Internal(anyhow::anyhow!("workbook writer: {e}")))??;
    fed?;
    Ok(file)
}

fn stream_file(mut file: std::fs::File, tx: tokio::sync::mpsc::Sender<Result<bytes::Bytes, std::io::Error>>) {
    use std::io::Read;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if tx.blocking_send(Ok(bytes::Bytes::copy_from_slice(&buf[..n]))).is_err() {
                    break;
                }
            }
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                break;
            }
        }
    }
}
