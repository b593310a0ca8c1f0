//! The record sync (`detail-feed.md`): catalogue entries, items and cases, page after page
//! from each kind's stored watermark (or the cursor a crashed run left). Each page is checked
//! record by record and stored in one transaction with its resume point; the watermark moves
//! only with the last page's commit. Storing is an upsert by id where the later `updatedAt`
//! wins, a tombstone deletes, a bad record is a rejected row with its reason, and personal
//! fields are dropped and counted. Then the statistics of the records become facts
//! (`store::record_stats`), rolled up like every metric.
//!
//! It runs beside the aggregate sync, on its schedule, and by hand
//! (`POST /api/v1/admin/sync/records/run`).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate};
use entities::{org, record_item};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QuerySelect, TransactionTrait};
use serde_json::{Value, json};

use super::rollup;
use super::{Context, Job, RunTrigger};
use crate::domain::period::{business_date, day_number};
use crate::domain::records::{
    APPLICANT_KINDS, CATALOG_STATUSES, CHANNELS, IMPLEMENTATIONS, LEVELS, RESULTS, RecordKind, is_overdue,
};
use crate::feed::{FetchError, PageRequest};
use crate::store::StoreError;
use crate::store::record_stats;
use crate::store::records as store;
pub use crate::store::records::Upsert;
use crate::store::sync::{self, RunStatus};
use crate::supervisor::{Cancelled, unless_cancelled};

/// `sync_runs.source` of this job.
pub const JOB: Job = Job::Records;
/// Its `sync_state` key.
pub const SOURCE: &str = JOB.as_str();

/// Fields a record must never carry (no personal data): dropped and counted.
pub const PERSONAL_FIELDS: &[&str] = &[
    "applicantName",
    "applicantIdNumber",
    "applicantPhone",
    "applicantAddress",
    "idNumber",
    "idCard",
    "phone",
    "mobilePhone",
    "address",
];

/// Where each kind resumes (`sync_state.source`).
pub fn state_source(kind: RecordKind) -> String {
    format!("{SOURCE}.{kind}")
}

pub use super::RunError;

/// What a run did.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub run_id: i64,
    pub status: RunStatus,
    pub rows_stored: i64,
    pub rows_deleted: i64,
    pub rows_rejected: i64,
    /// Records that carried personal fields (stored without them).
    pub personal_dropped: i64,
    /// Whether catalogue entries or items changed (their stocks are recounted).
    #[serde(skip)]
    pub stocks_changed: bool,
    pub pages: u32,
    pub attempts: u32,
    pub throttled: u32,
    pub restarts: u32,
    /// Watermarks after the run, by kind.
    pub watermarks: BTreeMap<String, Option<String>>,
    /// Facts computed from the records.
    pub facts: u64,
    pub rollup: Option<rollup::Outcome>,
    pub error: Option<String>,
    pub millis: u64,
    /// Of `millis`, the pages: fetching, checking and storing (without the statistics and
    /// their roll-up).
    #[serde(skip)]
    pub pages_millis: u64,
}

/// Claims and runs a record sync to its end.
pub async fn run(ctx: &Context, trigger: RunTrigger) -> Result<Report, RunError> {
    let id = start(ctx, trigger).await?;
    Ok(execute(ctx, id).await)
}

/// Claims a run (`Busy` if one is in progress here or on another instance).
pub async fn start(ctx: &Context, trigger: RunTrigger) -> Result<i64, RunError> {
    super::claim(&ctx.db, JOB, trigger, ctx.stale_after()).await
}

/// Runs a claimed run to its end and records the outcome; never fails (the failure is the
/// run's status).
pub async fn execute(ctx: &Context, run_id: i64) -> Report {
    let started = std::time::Instant::now();
    let mut report = Report { run_id, ..Report::default() };
    let result = sync_kinds(ctx, &mut report).await;
    report.pages_millis = started.elapsed().as_millis() as u64;
    if let Err(e) = &result {
        report.error = Some(format!("{e:#}"));
    }
    // Stopped by a shutdown: the committed pages' days stay pending; the next run resumes
    // from the saved cursors and counts them.
    let cancelled = result.as_ref().is_err_and(|e| e.downcast_ref::<Cancelled>().is_some());
    // Whatever was committed is counted, even after a failure.
    let as_of = business_date(&ctx.settings.timezone(), chrono::Utc::now()) - chrono::Days::new(1);
    let stocks_changed = report.stocks_changed;
    let refreshed = if cancelled {
        Ok((0, Default::default()))
    } else {
        record_stats::refresh(&ctx.db, as_of, stocks_changed).await
    };
    match refreshed {
        Ok((rows, changes)) => {
            report.facts = rows;
            // Indicators the statistics wrote for the first time are unknown to the planner
            // until then. (The record tables need no such step: autovacuum analyses a table
            // once a tenth of it changed, and a page of an org's records reads an index either
            // way; it cost the first sync a quarter of a second.)
            super::analyze_after_bulk(&ctx.db, "facts", rows).await;
            if !changes.is_empty() {
                match rollup::apply(&ctx.db, &changes).await {
                    Ok(outcome) => report.rollup = Some(outcome),
                    Err(e) => {
                        tracing::error!(error = ?e, run = run_id, "roll-up of record statistics failed");
                        report.error.get_or_insert_with(|| format!("roll-up failed: {e:#}"));
                    }
                }
                if let Some(state) = &ctx.state
                    && let Err(e) = super::warm::reload_warm(state).await
                {
                    tracing::warn!(error = ?e, "could not reload the snapshot after a record sync");
                }
            }
        }
        Err(e) => {
            tracing::error!(error = ?e, run = run_id, "record statistics failed; the next run retries them");
            report.error.get_or_insert_with(|| format!("statistics failed: {e:#}"));
        }
    }
    report.status = if cancelled {
        RunStatus::Cancelled
    } else if report.error.is_some() {
        RunStatus::Failed
    } else if report.rows_rejected > 0 {
        RunStatus::Partial
    } else {
        RunStatus::Ok
    };
    report.millis = started.elapsed().as_millis() as u64;
    let detail = json!({
        "pages": report.pages,
        "attempts": report.attempts,
        "throttled": report.throttled,
        "restarts": report.restarts,
        "deleted": report.rows_deleted,
        "personalDropped": report.personal_dropped,
        "watermarks": report.watermarks,
        "facts": report.facts,
        "rollup": report.rollup,
        "millis": report.millis,
    });
    if let Err(e) = sync::finish(&ctx.db, run_id, report.status, report.error.clone(), detail).await {
        tracing::error!(error = ?e, run = run_id, "could not record the end of a record sync");
    }
    match report.status {
        RunStatus::Failed => tracing::error!(run = run_id, error = report.error.as_deref(), "record sync failed"),
        s => tracing::info!(
            run = run_id,
            status = s.as_str(),
            stored = report.rows_stored,
            deleted = report.rows_deleted,
            rejected = report.rows_rejected,
            personal = report.personal_dropped,
            millis = report.millis,
            "record sync done"
        ),
    }
    report
}

async fn sync_kinds(ctx: &Context, report: &mut Report) -> anyhow::Result<()> {
    let orgs: HashMap<String, i32> =
        org::Entity::find().all(&ctx.db).await?.into_iter().map(|o| (o.code, o.id.get())).collect();
    for kind in RecordKind::ALL {
        let lookups = Lookups { orgs: &orgs, items: item_names(&ctx.db, kind).await?, tz: ctx.settings.timezone() };
        sync_kind(ctx, kind, &lookups, report).await?;
    }
    Ok(())
}

/// Item names by code, for the cases (whose search and exports show them).
async fn item_names(db: &DatabaseConnection, kind: RecordKind) -> anyhow::Result<HashMap<String, String>> {
    if kind != RecordKind::Cases {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String)> = record_item::Entity::find()
        .select_only()
        .column(record_item::Column::Code)
        .column(record_item::Column::Name)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

async fn sync_kind(ctx: &Context, kind: RecordKind, lookups: &Lookups<'_>, report: &mut Report) -> anyhow::Result<()> {
    let db = &ctx.db;
    let source = state_source(kind);
    let state = sync::state(db, &source).await?;
    if state.is_none() {
        // The row each page's resume point is saved in.
        sync::set_watermark(db, &source, None).await?;
    }
    let since = state.as_ref().and_then(|s| s.watermark.clone());
    let mut cursor = state.and_then(|s| s.cursor);
    report.watermarks.insert(kind.as_str().to_owned(), since.clone());
    let limit = ctx.settings.feed.page_size.clamp(1, crate::feed::wire::MAX_LIMIT);
    let mut restarted = false;
    // A page fetched and checked, the next one fetched and checked while this one is stored:
    // the feed's answer, our check and the database's write overlap.
    let fetch_checked = |req: PageRequest| async move {
        let fetched = unless_cancelled(&ctx.cancel, ctx.feed.fetch_records(kind.as_str(), &req)).await;
        fetched.map(|r| {
            r.map(|f| {
                let checked = check_page(kind, &f.page.items, lookups);
                (f, checked)
            })
        })
    };
    let mut prefetched = None;
    for _ in 0..ctx.settings.feed.max_pages {
        let req = PageRequest { since: since.clone(), cursor: cursor.clone(), limit, metrics: Vec::new() };
        if ctx.cancel.is_cancelled() {
            return Err(Cancelled.into());
        }
        let result = match prefetched.take() {
            Some(result) => result,
            None => fetch_checked(req).await,
        };
        let (fetched, checked) = match result? {
            Ok(f) => f,
            Err(FetchError::BadRequest { code, message }) if !restarted && cursor.is_some() => {
                tracing::warn!(code, message, %kind, "the feed refused our cursor; restarting from the stored watermark");
                restarted = true;
                report.restarts += 1;
                cursor = None;
                // The state row exists: it held the cursor.
                sync::save_position(db, &source, None, None).await?;
                continue;
            }
            Err(e) => return Err(anyhow::Error::new(e).context(format!("records/{kind}"))),
        };
        report.pages += 1;
        report.attempts += fetched.attempts;
        report.throttled += fetched.throttled;
        let page = fetched.page;
        let last = page.next_cursor.is_none();
        let watermark = if last { page.watermark.as_deref() } else { None };
        let run_id = report.run_id;
        let (upserts, tombstones, rejected) = (checked.upserts.len(), checked.tombstones.len(), checked.rejected.len());
        let personal = checked.personal;
        // The page is written from a task of its own: its statements' round trips to the
        // database go on while this task parses and checks the next page.
        let store = tokio::spawn({
            let (db, source) = (ctx.sync_db.clone(), source.clone());
            let (cursor, watermark) = (page.next_cursor.clone(), watermark.map(str::to_owned));
            async move {
                let position = Position { source: &source, cursor: cursor.as_deref(), watermark: watermark.as_deref() };
                store_page(&db, kind, &checked, run_id, position).await
            }
        });
        let next = PageRequest { since: since.clone(), cursor: page.next_cursor.clone(), limit, metrics: Vec::new() };
        let fetch_next = async {
            match last {
                true => None,
                false => Some(fetch_checked(next).await),
            }
        };
        let (written, next_page) = tokio::join!(store, fetch_next);
        written.map_err(|e| anyhow::anyhow!("the page's writer stopped: {e}"))??;
        prefetched = next_page;
        report.rows_stored += upserts as i64;
        report.rows_deleted += tombstones as i64;
        report.rows_rejected += rejected as i64;
        report.personal_dropped += personal;
        if kind != RecordKind::Cases && (upserts > 0 || tombstones > 0) {
            report.stocks_changed = true;
        }
        if last {
            if let Some(w) = watermark {
                report.watermarks.insert(kind.as_str().to_owned(), Some(w.to_owned()));
            }
            return Ok(());
        }
        cursor = page.next_cursor;
    }
    anyhow::bail!(
        "records/{kind}: stopped after feed.max_pages ({}) pages; the next run continues from the stored cursor",
        ctx.settings.feed.max_pages
    )
}

/// Where a page leaves its kind's sync: saved with the page.
#[derive(Clone, Copy)]
struct Position<'a> {
    source: &'a str,
    cursor: Option<&'a str>,
    watermark: Option<&'a str>,
}

/// A page's bookkeeping, in the transaction that commits it last: the rejected rows, the run's
/// counts, the resume point and the run's heartbeat (a run making progress is not taken for
/// dead).
async fn bookkeeping(
    txn: &sea_orm::DatabaseTransaction,
    checked: &Checked,
    run_id: i64,
    position: Position<'_>,
) -> Result<(), StoreError> {
    sync::reject(txn, run_id, position.source, &checked.rejected).await?;
    let stored = (checked.upserts.len() + checked.tombstones.len()) as i64;
    sync::add_counts(txn, run_id, stored, checked.rejected.len() as i64).await?;
    sync::save_position(txn, position.source, position.cursor, position.watermark).await?;
    sync::touch(txn, SOURCE).await
}

/// Stores a checked page with its bookkeeping (rejected rows, the run's counts, the resume
/// point, the heartbeat) and marks the completion days it touched for the statistics.
///
/// A large page on PostgreSQL is written as two halves ([`super::split_page`]); the
/// tombstones go with the second.
async fn store_page(
    db: &DatabaseConnection,
    kind: RecordKind,
    checked: &Checked,
    run_id: i64,
    position: Position<'_>,
) -> anyhow::Result<()> {
    let txn = if super::split_page(db, checked.upserts.len()) {
        let (first, second) = checked.upserts.split_at(checked.upserts.len() / 2);
        let (a, b) = tokio::try_join!(db.begin(), db.begin())?;
        // Lazily: the second half commits after it, and a durable commit there covers it.
        super::commit_lazily(&a).await?;
        let (days_a, days_b) =
            tokio::try_join!(store::apply(&a, kind, first, &[]), store::apply(&b, kind, second, &checked.tombstones))?;
        let days = [days_a, days_b].into_iter().flatten().reduce(|(lo, hi), (l, h)| (lo.min(l), hi.max(h)));
        if let Some((lo, hi)) = days {
            record_stats::mark_pending(&a, lo, hi).await?;
        }
        a.commit().await?;
        b
    } else {
        let txn = crate::store::begin_writer(db).await?;
        if let Some((lo, hi)) = store::apply(&txn, kind, &checked.upserts, &checked.tombstones).await? {
            record_stats::mark_pending(&txn, lo, hi).await?;
        }
        txn
    };
    if position.cursor.is_some() {
        super::commit_lazily(&txn).await?;
    }
    bookkeeping(&txn, checked, run_id, position).await?;
    txn.commit().await?;
    Ok(())
}

/// What records are checked against.
pub struct Lookups<'a> {
    pub orgs: &'a HashMap<String, i32>,
    /// Item names by code (cases only).
    pub items: HashMap<String, String>,
    pub tz: chrono_tz::Tz,
}

/// A page, checked.
#[derive(Debug, Default)]
pub struct Checked {
    pub upserts: Vec<Upsert>,
    /// (id, updatedAt) of tombstones.
    pub tombstones: Vec<(String, i64)>,
    pub rejected: Vec<(String, String)>,
    pub personal: i64,
}

/// Checks a page record by record; within a page too, the later `updatedAt` of an id wins.
pub fn check_page(kind: RecordKind, items: &[Value], lookups: &Lookups<'_>) -> Checked {
    let mut out = Checked::default();
    let mut latest: HashMap<String, (i64, Option<Upsert>)> = HashMap::new();
    for raw in items {
        if let Some(o) = raw.as_object()
            && PERSONAL_FIELDS.iter().any(|f| o.contains_key(*f))
        {
            out.personal += 1;
        }
        match check_record(kind, raw, lookups) {
            Ok((id, at, row)) => match latest.get(&id) {
                Some((existing, _)) if *existing > at => {}
                _ => {
                    latest.insert(id, (at, row));
                }
            },
            Err(reason) => {
                let mut kept = raw.clone();
                if let Some(o) = kept.as_object_mut() {
                    for f in PERSONAL_FIELDS {
                        o.remove(*f);
                    }
                }
                out.rejected.push((kept.to_string(), reason));
            }
        }
    }
    let mut ids: Vec<(String, (i64, Option<Upsert>))> = latest.into_iter().collect();
    ids.sort_by(|a, b| a.0.cmp(&b.0));
    for (id, (at, row)) in ids {
        match row {
            Some(row) => out.upserts.push(row),
            None => out.tombstones.push((id, at)),
        }
    }
    out
}

fn text<'a>(o: &'a serde_json::Map<String, Value>, name: &str) -> Result<&'a str, String> {
    match o.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim()),
        None | Some(Value::Null) => Err(format!("missing field `{name}`")),
        Some(Value::String(_)) => Err(format!("empty field `{name}`")),
        Some(other) => Err(format!("`{name}` is not text: {other}")),
    }
}

fn one_of<'a>(o: &'a serde_json::Map<String, Value>, name: &str, allowed: &[&str]) -> Result<&'a str, String> {
    let v = text(o, name)?;
    if allowed.contains(&v) {
        Ok(v)
    } else {
        Err(format!("`{name}`: unknown value `{v}` (expected {})", allowed.join(", ")))
    }
}

fn count(o: &serde_json::Map<String, Value>, name: &str) -> Result<i32, String> {
    let v = o.get(name).filter(|v| !v.is_null()).ok_or_else(|| format!("missing field `{name}`"))?;
    let n = v.as_i64().ok_or_else(|| format!("`{name}` is not a whole number: {v}"))?;
    if n < 0 {
        return Err(format!("`{name}` is negative ({n})"));
    }
    i32::try_from(n).map_err(|_| format!("`{name}` is too large ({n})"))
}

fn optional_count(o: &serde_json::Map<String, Value>, name: &str) -> Result<Option<i32>, String> {
    match o.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => count(o, name).map(Some),
    }
}

fn flag(o: &serde_json::Map<String, Value>, name: &str) -> Result<bool, String> {
    match o.get(name) {
        Some(Value::Bool(b)) => Ok(*b),
        None | Some(Value::Null) => Err(format!("missing field `{name}`")),
        Some(other) => Err(format!("`{name}` is not true or false: {other}")),
    }
}

fn instant(o: &serde_json::Map<String, Value>, name: &str) -> Result<i64, String> {
    let raw = text(o, name)?;
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.timestamp())
        .map_err(|_| format!("`{name}` `{raw}` is not an RFC 3339 timestamp"))
}

fn optional_day(o: &serde_json::Map<String, Value>, name: &str) -> Result<Option<i32>, String> {
    match o.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => {
            let raw = text(o, name)?;
            // A date, or a timestamp whose date is taken.
            let date = NaiveDate::parse_from_str(raw.get(..10).unwrap_or(raw), "%Y-%m-%d")
                .map_err(|_| format!("`{name}` `{raw}` is not a date (YYYY-MM-DD)"))?;
            Ok(Some(day_number(date)))
        }
    }
}

/// One record: (id, updatedAt, the row — `None` for a tombstone), or why not.
pub fn check_record(
    kind: RecordKind,
    raw: &Value,
    lookups: &Lookups<'_>,
) -> Result<(String, i64, Option<Upsert>), String> {
    use sea_orm::Value as V;
    let o = raw.as_object().ok_or("a record must be a JSON object")?;
    let id = match o.get("id") {
        Some(Value::Number(n)) => n.to_string(),
        _ => text(o, "id")?.to_owned(),
    };
    if id.chars().count() > 200 {
        return Err("`id` is longer than 200 characters".into());
    }
    let updated_at = instant(o, "updatedAt")?;
    if o.get("deleted") == Some(&Value::Bool(true)) {
        return Ok((id, updated_at, None));
    }
    let org_code = text(o, "org")?;
    let org_id = *lookups.orgs.get(org_code).ok_or_else(|| format!("unknown org `{org_code}`"))?;
    let mut completed_day = None;
    let values: Vec<V> = match kind {
        RecordKind::Catalog => vec![
            id.clone().into(),
            org_id.into(),
            text(o, "code")?.into(),
            text(o, "name")?.into(),
            one_of(o, "level", LEVELS)?.into(),
            text(o, "category")?.into(),
            one_of(o, "status", CATALOG_STATUSES)?.into(),
            optional_day(o, "statusAt")?.into(),
            updated_at.into(),
        ],
        RecordKind::Items => {
            let online = count(o, "onlineLevel")?;
            if online > 4 {
                return Err(format!("`onlineLevel` is {online}: expected 0 to 4"));
            }
            let (shared_f, total_f) = (count(o, "sharedFields")?, count(o, "totalFields")?);
            let (shared_m, total_m) = (count(o, "sharedMaterials")?, count(o, "totalMaterials")?);
            if shared_f > total_f || shared_m > total_m {
                return Err("more shared fields or materials than there are".into());
            }
            vec![
                id.clone().into(),
                org_id.into(),
                text(o, "code")?.into(),
                text(o, "name")?.into(),
                text(o, "catalogCode")?.into(),
                one_of(o, "implementation", IMPLEMENTATIONS)?.into(),
                (online as i16).into(),
                flag(o, "mobile")?.into(),
                flag(o, "zeroVisit")?.into(),
                shared_f.into(),
                total_f.into(),
                shared_m.into(),
                total_m.into(),
                optional_day(o, "implementedAt")?.into(),
                updated_at.into(),
            ]
        }
        RecordKind::Cases => {
            let item_code = text(o, "itemCode")?;
            let accepted_at = instant(o, "acceptedAt")?;
            let result = one_of(o, "result", RESULTS)?;
            let completed_at = match o.get("completedAt") {
                None | Some(Value::Null) => None,
                Some(_) => Some(instant(o, "completedAt")?),
            };
            if let Some(done) = completed_at
                && done < accepted_at
            {
                return Err("`completedAt` is before `acceptedAt`".into());
            }
            if result != "open" && completed_at.is_none() {
                return Err(format!("a `{result}` case needs `completedAt`"));
            }
            let legal = count(o, "legalDays")?;
            let promised = optional_count(o, "promisedDays")?;
            let working = count(o, "workingDays")?;
            let rating = optional_count(o, "rating")?;
            if rating.is_some_and(|r| !(1..=5).contains(&r)) {
                return Err("`rating` must be 1 to 5".into());
            }
            let day_of = |t: i64| DateTime::from_timestamp(t, 0).map(|t| day_number(business_date(&lookups.tz, t)));
            completed_day = completed_at.and_then(day_of);
            let item_name = lookups.items.get(item_code).cloned().unwrap_or_default();
            vec![
                id.clone().into(),
                org_id.into(),
                text(o, "caseNo")?.into(),
                item_code.into(),
                item_name.into(),
                one_of(o, "channel", CHANNELS)?.into(),
                one_of(o, "applicantKind", APPLICANT_KINDS)?.into(),
                accepted_at.into(),
                day_of(accepted_at).unwrap_or_default().into(),
                completed_at.into(),
                completed_day.into(),
                legal.into(),
                promised.into(),
                working.into(),
                result.into(),
                rating.map(|r| r as i16).into(),
                is_overdue(working, promised, legal).into(),
                updated_at.into(),
            ]
        }
    };
    Ok((id.clone(), updated_at, Some(Upsert { id, updated_at, values, completed_day })))
}

/// The scheduled job's half: runs after the aggregate sync in the same occurrence.
pub async fn run_scheduled(ctx: &Context) -> anyhow::Result<()> {
    match run(ctx, RunTrigger::Schedule).await {
        Ok(_) | Err(RunError::Busy(_)) => Ok(()),
        Err(e) => Err(anyhow::Error::new(e)),
    }
}

/// Marks every kind as synced up to `watermark` (demo start-up: the generated history is in).
pub async fn set_watermarks<C: ConnectionTrait>(db: &C, watermark: Option<&str>) -> Result<(), StoreError> {
    for kind in RecordKind::ALL {
        sync::set_watermark(db, &state_source(kind), watermark).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn lookups(orgs: &HashMap<String, i32>) -> Lookups<'_> {
        Lookups {
            orgs, items: [("S1".to_owned(), "食品经营许可".to_owned())].into(), tz: chrono_tz::Asia::Shanghai
        }
    }

    fn case() -> Value {
        json!({"id":"c1","org":"fx7","updatedAt":"2026-11-20T10:00:00Z","caseNo":"N1","itemCode":"S1",
               "channel":"online","applicantKind":"person","acceptedAt":"2026-11-18T01:00:00Z",
               "completedAt":"2026-11-20T08:00:00Z","legalDays":10,"promisedDays":2,"workingDays":3,
               "result":"completed","rating":5})
    }

    #[test]
    fn a_case_is_checked_and_its_overdue_flag_computed() {
        let orgs = [("fx7".to_owned(), 7)].into();
        let (id, _, row) = check_record(RecordKind::Cases, &case(), &lookups(&orgs)).unwrap();
        let row = row.unwrap();
        assert_eq!(id, "c1");
        assert_eq!(row.values[4], sea_orm::Value::from("食品经营许可"));
        assert_eq!(row.values[16], sea_orm::Value::from(true), "3 working days against a promise of 2");
        assert_eq!(row.completed_day, Some(day_number(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap())));
    }

    #[test]
    fn bad_records_are_refused_with_their_reason_and_personal_fields_counted() {
        let orgs = [("fx7".to_owned(), 7)].into();
        let l = lookups(&orgs);
        let mut spoiled = Vec::new();
        for (field, value, reason) in [
            ("id", Value::Null, "missing field `id`"),
            ("org", json!("nope"), "unknown org"),
            ("channel", json!("fax"), "unknown value `fax`"),
            ("completedAt", json!("2026-11-17T00:00:00Z"), "before `acceptedAt`"),
            ("workingDays", json!(-1), "negative"),
        ] {
            let mut c = case();
            c[field] = value;
            assert!(check_record(RecordKind::Cases, &c, &l).unwrap_err().contains(reason), "{field}");
            spoiled.push(c);
        }
        let mut personal = case();
        personal["applicantName"] = json!("张三");
        personal["id"] = json!("c2");
        spoiled.push(personal);
        let checked = check_page(RecordKind::Cases, &spoiled, &l);
        assert_eq!((checked.upserts.len(), checked.rejected.len(), checked.personal), (1, 5, 1));
        assert!(!checked.upserts[0].values.iter().any(|v| *v == sea_orm::Value::from("张三")));
    }

    #[test]
    fn the_later_correction_and_tombstones_win_within_a_page() {
        let orgs = [("fx7".to_owned(), 7)].into();
        let mut later = case();
        later["updatedAt"] = json!("2026-11-21T10:00:00Z");
        later["workingDays"] = json!(1);
        let tomb = json!({"id":"c9","deleted":true,"updatedAt":"2026-11-21T10:00:00Z"});
        let checked = check_page(RecordKind::Cases, &[later, case(), tomb], &lookups(&orgs));
        assert_eq!(checked.upserts.len(), 1);
        assert_eq!(checked.upserts[0].values[13], sea_orm::Value::from(1));
        assert_eq!(checked.tombstones.len(), 1);
    }
}
