//! The feed sandbox: a local emulation of `GET /v1/aggregates` for tests, benchmarks and demo
//! mode, with control endpoints that are not part of the contract (fault injection, a new
//! business day on demand, statistics).
//!
//! The sandbox's data is a change log of *batches*, one per delivery, each stamped with its
//! `updatedAt`: either explicit rows (tests), or the demo province — one batch per business
//! day, generated on demand from the demo model, so a year of history costs nothing until
//! someone asks for it. `since` skips the batches stamped at or before it; the opaque cursor is
//! a position (batch, offset) inside the answer to that `since`.

use std::collections::{BTreeMap, VecDeque};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use chrono::{DateTime, Days, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize, Serializer};

use canmou::domain::period::{Grain, Period};
use canmou::domain::records::RecordKind;
use record_log::RecordLog;

pub mod record_log;

/// The token demo mode's sandbox accepts (and its client sends).
pub const DEMO_TOKEN: &str = "canmou-demo-feed-token";
/// The most rows a page may hold.
pub use canmou::feed::wire::MAX_LIMIT;
/// Demo batches kept generated; older ones are generated again if asked for.
const CACHED_DAYS: usize = 32;

/// A row as the sandbox hands it out.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedRow {
    pub metric: String,
    pub org: String,
    pub grain: Grain,
    pub period: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub den: Option<f64>,
    pub updated_at: String,
}

impl FeedRow {
    /// A row with a value, stamped at `updated_at`.
    pub fn value(
        metric: &str,
        org: &str,
        grain: Grain,
        period: NaiveDate,
        value: f64,
        updated_at: DateTime<Utc>,
    ) -> Self {
        FeedRow {
            metric: metric.into(),
            org: org.into(),
            grain,
            period,
            value: Some(value),
            num: None,
            den: None,
            updated_at: rfc3339(updated_at),
        }
    }

    /// A ratio row.
    pub fn ratio(
        metric: &str,
        org: &str,
        grain: Grain,
        period: NaiveDate,
        (num, den): (f64, f64),
        updated_at: DateTime<Utc>,
    ) -> Self {
        FeedRow {
            value: None,
            num: Some(num),
            den: Some(den),
            ..FeedRow::value(metric, org, grain, period, 0.0, updated_at)
        }
    }
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// When an emulated upstream delivers a business day: 01:10 business time on `day_after`,
/// the morning after (seconds since the epoch).
pub fn stamp(day_after: NaiveDate, tz: &impl chrono::TimeZone) -> i64 {
    day_after.and_hms_opt(1, 10, 0).and_then(|t| tz.from_local_datetime(&t).earliest()).map_or(0, |t| t.timestamp())
}

/// One delivery: rows sharing an `updatedAt`.
#[derive(Debug)]
struct Batch {
    stamp: i64,
    rows: Arc<Vec<FeedRow>>,
}

/// Generates the rows one business day brings, stamped with its delivery (see [`stamp`]).
pub type DayRows = Box<dyn Fn(NaiveDate) -> Vec<FeedRow> + Send>;

/// A generated province as an upstream (the demo's): one batch per business day, made on
/// demand by its generator.
pub struct DemoFeed {
    generate: DayRows,
    tz: chrono_tz::Tz,
    /// The first day of history: the log starts here.
    first_day: NaiveDate,
    /// Days available through this one (moved by `advance`)...
    through: NaiveDate,
    /// ...or through yesterday in business time, whichever is later, when following the clock.
    follow_clock: bool,
    cache: BTreeMap<NaiveDate, Arc<Vec<FeedRow>>>,
}

impl DemoFeed {
    pub fn new(
        generate: DayRows,
        tz: chrono_tz::Tz,
        first_day: NaiveDate,
        through: NaiveDate,
        follow_clock: bool,
    ) -> DemoFeed {
        DemoFeed { generate, tz, first_day, through, follow_clock, cache: BTreeMap::new() }
    }

    fn through(&self) -> NaiveDate {
        let mut through = self.through;
        if self.follow_clock {
            let yesterday = canmou::domain::period::business_date(&self.tz, Utc::now()) - Days::new(1);
            through = through.max(yesterday);
        }
        through
    }

    /// When day `day`'s batch was delivered: 01:10 business time the morning after, as the
    /// generator stamps history.
    pub fn stamp(&self, day: NaiveDate) -> i64 {
        stamp(day + Days::new(1), &self.tz)
    }

    fn rows(&mut self, day: NaiveDate) -> Arc<Vec<FeedRow>> {
        if let Some(rows) = self.cache.get(&day) {
            return rows.clone();
        }
        let rows = Arc::new((self.generate)(day));
        self.cache.insert(day, rows.clone());
        while self.cache.len() > CACHED_DAYS {
            self.cache.pop_first();
        }
        rows
    }
}

enum Source {
    Fixture { batches: Vec<Batch>, pending: VecDeque<Batch>, complete_day: Option<NaiveDate> },
    Demo(Box<DemoFeed>),
}

impl Source {
    fn len(&self) -> usize {
        match self {
            Source::Fixture { batches, .. } => batches.len(),
            Source::Demo(d) => (d.through() - d.first_day).num_days().max(-1).saturating_add(1) as usize,
        }
    }

    fn stamp(&self, i: usize) -> i64 {
        match self {
            Source::Fixture { batches, .. } => batches.get(i).map_or(i64::MAX, |b| b.stamp),
            Source::Demo(d) => d.stamp(d.first_day + Days::new(i as u64)),
        }
    }

    fn rows(&mut self, i: usize) -> Arc<Vec<FeedRow>> {
        match self {
            Source::Fixture { batches, .. } => batches.get(i).map(|b| b.rows.clone()).unwrap_or_default(),
            Source::Demo(d) => {
                let day = d.first_day + Days::new(i as u64);
                d.rows(day)
            }
        }
    }

    fn complete_day(&self) -> Option<NaiveDate> {
        match self {
            Source::Fixture { complete_day, .. } => *complete_day,
            Source::Demo(d) => Some(d.through()),
        }
    }

    /// The first batch stamped after `since`.
    fn first_after(&self, since: Option<i64>) -> usize {
        let Some(since) = since else { return 0 };
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.stamp(mid) <= since { lo = mid + 1 } else { hi = mid }
        }
        lo
    }
}

/// Faults to inject, as posted to `/_sandbox/faults`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultSpec {
    /// Answer with this status instead of a page (with `retryAfter` for a 429).
    pub status: Option<u16>,
    /// How many requests the fault hits (default 1).
    pub times: Option<u32>,
    /// `Retry-After` seconds of a 429.
    pub retry_after: Option<u64>,
    /// Wait this long before answering.
    pub delay_ms: Option<u64>,
    /// Cut the JSON in the middle.
    pub truncate: Option<bool>,
    /// Drop the connection in the middle of the answer.
    pub reset: Option<bool>,
    /// Spoil this many rows of the page, each in a different way.
    pub bad_rows: Option<u32>,
    /// Answer with the previous page again.
    pub duplicate_page: Option<bool>,
    /// Let this many pages through before the fault starts (not in the contract; for tests
    /// that need a fault in the middle of a run).
    pub after_pages: Option<u32>,
}

/// What the sandbox has done, for `GET /_sandbox/stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub requests: u64,
    pub pages: u64,
    pub rows: u64,
    pub faults_injected: u64,
    pub unauthorized: u64,
    pub bad_requests: u64,
}

#[derive(Default)]
struct Faults {
    spec: Option<FaultSpec>,
    remaining: u32,
    wait_pages: u32,
}

/// The sandbox's state, shared by its handlers and the test or demo that drives it.
pub struct Sandbox {
    token: String,
    source: Mutex<Source>,
    faults: Mutex<Faults>,
    stats: Mutex<Stats>,
    last_page: Mutex<Option<Bytes>>,
    /// The detail feed's records (`/v1/records/{kind}`).
    records: Mutex<RecordLog>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Sandbox {
    /// A sandbox serving explicit rows: each `batches` entry is one delivery (all its rows get
    /// the batch's `updatedAt`, taken from its first row); `complete_day` is what `complete.day`
    /// says.
    pub fn with_rows(token: &str, batches: Vec<Vec<FeedRow>>, complete_day: Option<NaiveDate>) -> Sandbox {
        let batches = batches.into_iter().filter(|b| !b.is_empty()).map(batch_of).collect();
        Sandbox::new(token, Source::Fixture { batches, pending: VecDeque::new(), complete_day })
    }

    /// A sandbox serving the demo province.
    pub fn with_demo(token: &str, feed: DemoFeed) -> Sandbox {
        Sandbox::new(token, Source::Demo(Box::new(feed)))
    }

    fn new(token: &str, source: Source) -> Sandbox {
        Sandbox {
            token: token.to_owned(),
            source: Mutex::new(source),
            faults: Mutex::new(Faults::default()),
            stats: Mutex::new(Stats::default()),
            last_page: Mutex::new(None),
            records: Mutex::new(RecordLog::default()),
        }
    }

    /// Serves these records under `/v1/records/{kind}` (replacing any).
    pub fn set_records(&self, log: RecordLog) {
        *lock(&self.records) = log;
    }

    /// Makes a delivery of records available at once (explicit records only): the batch is
    /// stamped with its first record's `updatedAt`.
    pub fn deliver_records(&self, kind: RecordKind, rows: Vec<serde_json::Value>) {
        lock(&self.records).deliver(kind, rows);
    }

    /// One page of records of `kind`.
    fn record_page(&self, kind: RecordKind, since: Option<i64>, position: Position, limit: usize) -> PageOut {
        let mut log = lock(&self.records);
        let len = log.len(kind);
        let mut items = Vec::with_capacity(limit.min(MAX_LIMIT as usize));
        let (mut batch, mut offset) = (position.batch.max(log.first_after(kind, since)), position.offset);
        if batch != position.batch {
            offset = 0;
        }
        while batch < len && items.len() < limit {
            let rows = log.rows(kind, batch);
            while offset < rows.len() && items.len() < limit {
                items.push(Item::Raw(rows[offset].clone()));
                offset += 1;
            }
            if offset >= rows.len() {
                batch += 1;
                offset = 0;
            }
        }
        let more = batch < len;
        let last_stamp = if len > 0 { Some(log.stamp(kind, len - 1)) } else { None };
        let watermark = match (last_stamp, since) {
            (Some(last), Some(since)) => Some(last.max(since)),
            (last, since) => last.or(since),
        };
        PageOut {
            items,
            next_cursor: more.then(|| Position { since, batch, offset }.encode()),
            watermark: watermark.and_then(|t| DateTime::from_timestamp(t, 0)).map(rfc3339),
            complete: None,
        }
    }

    /// Queues a delivery that becomes available on the next `advance` (explicit rows only).
    pub fn queue_day(&self, rows: Vec<FeedRow>) {
        if let Source::Fixture { pending, .. } = &mut *lock(&self.source)
            && !rows.is_empty()
        {
            pending.push_back(batch_of(rows));
        }
    }

    /// Makes a delivery available at once (explicit rows only): a correction, say.
    pub fn deliver(&self, rows: Vec<FeedRow>) {
        if let Source::Fixture { batches, .. } = &mut *lock(&self.source)
            && !rows.is_empty()
        {
            batches.push(batch_of(rows));
        }
    }

    /// A new business day: its rows become available and `complete.day` moves.
    pub fn advance(&self, days: u32) -> Option<NaiveDate> {
        lock(&self.records).advance(days);
        let mut source = lock(&self.source);
        match &mut *source {
            Source::Fixture { batches, pending, complete_day } => {
                for _ in 0..days {
                    if let Some(b) = pending.pop_front() {
                        batches.push(b);
                    }
                    *complete_day = complete_day.map(|d| d + Days::new(1));
                }
            }
            Source::Demo(d) => d.through = d.through() + Days::new(u64::from(days)),
        }
        source.complete_day()
    }

    pub fn set_faults(&self, spec: FaultSpec) {
        let mut f = lock(&self.faults);
        f.remaining = spec.times.unwrap_or(1);
        f.wait_pages = spec.after_pages.unwrap_or(0);
        f.spec = Some(spec);
    }

    pub fn clear_faults(&self) {
        *lock(&self.faults) = Faults::default();
    }

    pub fn stats(&self) -> Stats {
        lock(&self.stats).clone()
    }

    /// Rows available after `since` (everything when `None`).
    pub fn rows_after(&self, since: Option<DateTime<Utc>>) -> usize {
        let mut source = lock(&self.source);
        let first = source.first_after(since.map(|t| t.timestamp()));
        (first..source.len()).map(|i| source.rows(i).len()).sum()
    }

    /// The fault for this request, if one is due.
    fn take_fault(&self) -> Option<FaultSpec> {
        let mut f = lock(&self.faults);
        f.spec.as_ref()?;
        if f.wait_pages > 0 {
            f.wait_pages -= 1;
            return None;
        }
        if f.remaining == 0 {
            f.spec = None;
            return None;
        }
        f.remaining -= 1;
        let spec = f.spec.clone();
        if f.remaining == 0 {
            f.spec = None;
        }
        spec
    }

    /// One page: rows from `position` on, at most `limit`, of the given metrics.
    fn page(&self, since: Option<i64>, position: Position, limit: usize, metrics: &[String]) -> PageOut {
        let mut source = lock(&self.source);
        let len = source.len();
        let mut items = Vec::with_capacity(limit.min(MAX_LIMIT as usize));
        let (mut batch, mut offset) = (position.batch.max(source.first_after(since)), position.offset);
        if batch != position.batch {
            offset = 0;
        }
        while batch < len && items.len() < limit {
            let rows = source.rows(batch);
            while offset < rows.len() && items.len() < limit {
                let row = &rows[offset];
                if metrics.is_empty() || metrics.contains(&row.metric) {
                    items.push(Item::Row(row.clone()));
                }
                offset += 1;
            }
            if offset >= rows.len() {
                batch += 1;
                offset = 0;
            }
        }
        let more = batch < len;
        let last_stamp = if len > 0 { Some(source.stamp(len - 1)) } else { None };
        let watermark = match (last_stamp, since) {
            (Some(last), Some(since)) => Some(last.max(since)),
            (last, since) => last.or(since),
        };
        let complete = source
            .complete_day()
            .map(|day| {
                Grain::ALL
                    .into_iter()
                    .map(|grain| {
                        let mut p = Period::containing(grain, day);
                        if p.last_day() > day {
                            p = p.prev();
                        }
                        (grain.as_str().to_owned(), p.start())
                    })
                    .collect()
            })
            .unwrap_or_default();
        PageOut {
            items,
            next_cursor: more.then(|| Position { since, batch, offset }.encode()),
            watermark: watermark.and_then(|t| DateTime::from_timestamp(t, 0)).map(rfc3339),
            complete: Some(complete),
        }
    }
}

fn batch_of(rows: Vec<FeedRow>) -> Batch {
    let stamp =
        rows.first().and_then(|r| DateTime::parse_from_rfc3339(&r.updated_at).ok()).map_or(0, |t| t.timestamp());
    Batch { stamp, rows: Arc::new(rows) }
}

/// Where a page starts: the cursor's content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Position {
    #[serde(rename = "s")]
    since: Option<i64>,
    #[serde(rename = "b")]
    batch: usize,
    #[serde(rename = "o")]
    offset: usize,
}

impl Position {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(s: &str) -> Option<Position> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).ok()?).ok()
    }
}

/// An item of a page: a row, or a spoiled one (`badRows`).
enum Item {
    Row(FeedRow),
    Raw(serde_json::Value),
}

impl Serialize for Item {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Item::Row(r) => r.serialize(s),
            Item::Raw(v) => v.serialize(s),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageOut {
    items: Vec<Item>,
    next_cursor: Option<String>,
    watermark: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    complete: Option<BTreeMap<String, NaiveDate>>,
}

/// Spoils row `i` of a page in the `i`-th way of seven.
fn spoil(row: &FeedRow, i: u32) -> serde_json::Value {
    let mut v = serde_json::to_value(row).unwrap_or_default();
    let Some(o) = v.as_object_mut() else { return v };
    match i % 7 {
        0 => {
            o.remove("org");
        }
        1 => {
            let field = if o.contains_key("value") { "value" } else { "num" };
            o.insert(field.into(), "NaN".into());
        }
        2 => {
            let field = if o.contains_key("value") { "value" } else { "num" };
            o.insert(field.into(), (-5).into());
        }
        3 => {
            o.insert("grain".into(), "month".into());
            o.insert("period".into(), "2026-10-03".into());
        }
        4 => {
            o.insert("metric".into(), "no.such_metric".into());
        }
        5 => {
            o.insert("org".into(), "999999-x".into());
        }
        _ => {
            if o.remove("value").is_some() {
                o.insert("num".into(), 1.into());
                o.insert("den".into(), 2.into());
            } else {
                o.remove("num");
                o.remove("den");
                o.insert("value".into(), 0.5.into());
            }
        }
    }
    v
}

/// `?since&cursor&limit&metrics`
#[derive(Debug, Deserialize)]
struct Query {
    since: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
    metrics: Option<String>,
}

fn error(status: actix_web::http::StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(serde_json::json!({"error": code, "message": message}))
}

/// What a page request asks for.
enum Wanted {
    Aggregates(Vec<String>),
    Records(RecordKind),
}

async fn aggregates(req: HttpRequest, sandbox: web::Data<Sandbox>, q: web::Query<Query>) -> HttpResponse {
    let metrics: Vec<String> = q
        .metrics
        .as_deref()
        .map(|m| m.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    serve_page(req, sandbox, q.into_inner(), Wanted::Aggregates(metrics)).await
}

async fn records(
    req: HttpRequest,
    sandbox: web::Data<Sandbox>,
    kind: web::Path<String>,
    q: web::Query<Query>,
) -> HttpResponse {
    let Some(kind) = RecordKind::parse(&kind) else {
        return error(actix_web::http::StatusCode::NOT_FOUND, "not_found", "no such kind: catalog, items or cases");
    };
    serve_page(req, sandbox, q.into_inner(), Wanted::Records(kind)).await
}

/// Authorisation, parameters, faults and the page: the same for aggregates and records.
async fn serve_page(req: HttpRequest, sandbox: web::Data<Sandbox>, q: Query, wanted: Wanted) -> HttpResponse {
    use actix_web::http::StatusCode;
    lock(&sandbox.stats).requests += 1;
    let authorized = canmou::auth::extract::bearer(&req).map(|(token, _)| token);
    if authorized.as_deref() != Some(sandbox.token.as_str()) {
        lock(&sandbox.stats).unauthorized += 1;
        return match authorized {
            None => error(StatusCode::UNAUTHORIZED, "unauthorized", "a Bearer token is required"),
            Some(_) => error(StatusCode::FORBIDDEN, "forbidden", "this token is not allowed"),
        };
    }
    let bad = |message: String| {
        lock(&sandbox.stats).bad_requests += 1;
        error(StatusCode::BAD_REQUEST, "invalid_parameter", &message)
    };
    let since = match q.since.as_deref().map(DateTime::parse_from_rfc3339) {
        None => None,
        Some(Ok(t)) => Some(t.timestamp()),
        Some(Err(_)) => return bad("since: expected an RFC 3339 timestamp".into()),
    };
    let limit = match q.limit.as_deref().map(str::parse::<u32>) {
        None => 1_000,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => return bad(format!("limit: expected 1..={MAX_LIMIT}")),
    };
    let position = match q.cursor.as_deref() {
        None => Position { since, ..Position::default() },
        Some(raw) => match Position::decode(raw) {
            Some(p) if p.since == since => p,
            Some(_) => return bad("cursor: it belongs to another `since` (expired)".into()),
            None => return bad("cursor: not one of ours (expired or corrupt)".into()),
        },
    };

    let fault = sandbox.take_fault();
    if let Some(f) = &fault {
        lock(&sandbox.stats).faults_injected += 1;
        if let Some(ms) = f.delay_ms {
            tokio::time::sleep(std::time::Duration::from_millis(ms.min(600_000))).await;
        }
        if let Some(status) = f.status.and_then(|s| StatusCode::from_u16(s).ok()) {
            let mut res = error(status, "injected", "a fault injected by the sandbox");
            if let Some(secs) = f.retry_after
                && let Ok(v) = actix_web::http::header::HeaderValue::from_str(&secs.to_string())
            {
                res.headers_mut().insert(actix_web::http::header::RETRY_AFTER, v);
            }
            return res;
        }
        if f.duplicate_page == Some(true)
            && let Some(last) = lock(&sandbox.last_page).clone()
        {
            return HttpResponse::Ok().content_type("application/json").body(last);
        }
    }

    let sb = sandbox.clone();
    let kind = match &wanted {
        Wanted::Records(kind) => Some(*kind),
        Wanted::Aggregates(_) => None,
    };
    let mut out = match web::block(move || match wanted {
        Wanted::Aggregates(metrics) => sb.page(since, position, limit as usize, &metrics),
        Wanted::Records(kind) => sb.record_page(kind, since, position, limit as usize),
    })
    .await
    {
        Ok(out) => out,
        Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "page generation failed"),
    };
    if let Some(n) = fault.as_ref().and_then(|f| f.bad_rows) {
        for (i, item) in out.items.iter_mut().take(n as usize).enumerate() {
            *item = match (&*item, kind) {
                (Item::Row(row), _) => Item::Raw(spoil(row, i as u32)),
                (Item::Raw(v), Some(kind)) => Item::Raw(record_log::spoil(kind, v, i as u32)),
                (Item::Raw(v), None) => Item::Raw(v.clone()),
            };
        }
    }
    let body = match serde_json::to_vec(&out) {
        Ok(b) => Bytes::from(b),
        Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "cannot render the page"),
    };
    {
        let mut stats = lock(&sandbox.stats);
        stats.pages += 1;
        stats.rows += out.items.len() as u64;
    }
    *lock(&sandbox.last_page) = Some(body.clone());
    match fault {
        Some(f) if f.truncate == Some(true) => {
            HttpResponse::Ok().content_type("application/json").body(body.slice(..body.len() / 2))
        }
        Some(f) if f.reset == Some(true) => {
            // Half the body, then the stream fails: the connection is dropped mid-answer.
            HttpResponse::Ok().content_type("application/json").body(Reset(Some(body.slice(..body.len() / 2))))
        }
        _ => HttpResponse::Ok().content_type("application/json").body(body),
    }
}

/// A body that sends its bytes, then fails: actix drops the connection mid-answer.
struct Reset(Option<Bytes>);

impl MessageBody for Reset {
    type Error = std::io::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Bytes, Self::Error>>> {
        std::task::Poll::Ready(Some(match self.0.take() {
            Some(bytes) => Ok(bytes),
            None => Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by the sandbox")),
        }))
    }
}

async fn post_faults(sandbox: web::Data<Sandbox>, spec: web::Json<FaultSpec>) -> HttpResponse {
    sandbox.set_faults(spec.into_inner());
    HttpResponse::NoContent().finish()
}

async fn delete_faults(sandbox: web::Data<Sandbox>) -> HttpResponse {
    sandbox.clear_faults();
    HttpResponse::NoContent().finish()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    days: Option<u32>,
}

async fn advance(sandbox: web::Data<Sandbox>, body: web::Json<Advance>) -> HttpResponse {
    let days = body.days.unwrap_or(1).min(366);
    let complete = sandbox.advance(days);
    HttpResponse::Ok().json(serde_json::json!({"completeDay": complete}))
}

async fn stats(sandbox: web::Data<Sandbox>) -> HttpResponse {
    HttpResponse::Ok().json(sandbox.stats())
}

/// Registers the sandbox's routes (relative: mount them under a scope such as
/// `/sandbox/feed`).
pub fn configure(cfg: &mut web::ServiceConfig, sandbox: web::Data<Sandbox>) {
    cfg.app_data(sandbox)
        .app_data(web::JsonConfig::default().limit(4 * 1024))
        .route("/v1/aggregates", web::get().to(aggregates))
        .route("/v1/records/{kind}", web::get().to(records))
        .route("/_sandbox/faults", web::post().to(post_faults))
        .route("/_sandbox/faults", web::delete().to(delete_faults))
        .route("/_sandbox/advance", web::post().to(advance))
        .route("/_sandbox/stats", web::get().to(stats));
}

/// A sandbox serving on its own port.
pub struct Spawned {
    /// `http://127.0.0.1:PORT`: the feed's base URL.
    pub base_url: String,
    pub sandbox: web::Data<Sandbox>,
    handle: ServerHandle,
}

impl Spawned {
    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

/// Serves `sandbox` on 127.0.0.1 at a free port (tests and benchmarks).
pub async fn spawn(sandbox: Sandbox) -> anyhow::Result<Spawned> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot bind the feed sandbox")?;
    let port = listener.local_addr()?.port();
    let sandbox = web::Data::new(sandbox);
    let data = sandbox.clone();
    let server = HttpServer::new(move || App::new().configure(|cfg| configure(cfg, data.clone())))
        .workers(2)
        .disable_signals()
        .listen(listener)?
        .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok(Spawned { base_url: format!("http://127.0.0.1:{port}"), sandbox, handle })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at(h: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + i64::from(h) * 3600, 0).unwrap()
    }

    fn rows(n: usize, h: u32) -> Vec<FeedRow> {
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        (0..n).map(|i| FeedRow::value("collab.msg_total", &format!("o{i}"), Grain::Day, day, i as f64, at(h))).collect()
    }

    #[test]
    fn pages_walk_the_batches_and_since_skips_old_ones() {
        let s = Sandbox::with_rows("t", vec![rows(3, 1), rows(4, 2)], None);
        let p1 = s.page(None, Position::default(), 5, &[]);
        assert_eq!(p1.items.len(), 5);
        let next = Position::decode(p1.next_cursor.as_deref().unwrap()).unwrap();
        let p2 = s.page(None, next, 5, &[]);
        assert_eq!(p2.items.len(), 2);
        assert!(p2.next_cursor.is_none());
        assert_eq!(p2.watermark, Some(rfc3339(at(2))));
        let since = Some(at(1).timestamp());
        let p = s.page(since, Position { since, ..Position::default() }, 10, &[]);
        assert_eq!(p.items.len(), 4);
        let none = s.page(Some(at(2).timestamp()), Position::default(), 10, &[]);
        assert!(none.items.is_empty());
        assert_eq!(none.watermark, Some(rfc3339(at(2))));
    }

    #[test]
    fn faults_wait_their_turn_and_run_out() {
        let s = Sandbox::with_rows("t", vec![], None);
        s.set_faults(FaultSpec { status: Some(503), times: Some(2), after_pages: Some(1), ..FaultSpec::default() });
        assert!(s.take_fault().is_none());
        assert!(s.take_fault().is_some());
        assert!(s.take_fault().is_some());
        assert!(s.take_fault().is_none());
    }

    #[test]
    fn spoiled_rows_are_spoiled_in_seven_ways() {
        let r = &rows(1, 1)[0];
        let spoiled: Vec<String> = (0..7).map(|i| spoil(r, i).to_string()).collect();
        assert!(!spoiled[0].contains("\"org\""));
        assert!(spoiled[1].contains("NaN"));
        assert!(spoiled[6].contains("\"num\""));
    }
}
