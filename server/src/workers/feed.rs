//! The upstream feed sync (`upstream-feed.md`): page after page from the stored watermark (or
//! the cursor a crashed run left), each page checked row by row and stored in one transaction
//! with the resume point; the watermark moves only with the last page's commit. Then the
//! roll-up of what changed, the data-version bump, and — inside the server — a snapshot
//! reload and warm home screens.
//!
//! Idempotent: storing has the outcome of an upsert where the later `updatedAt` wins, so a
//! page delivered twice (a retry, a resume) changes nothing; a crash at any point loses no row
//! and stores none twice (a page whose commit the crash took back is fetched again:
//! [`super::commit_lazily`]). On PostgreSQL new days are plain inserts; a grain's rows fall
//! back to the upsert at the first key stored already ([`facts::insert_new`]).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate};
use entities::{metric, org, period_status};
use sea_orm::{EntityTrait, TransactionTrait};
use serde_json::json;

use super::rollup::{self, Changes};
use super::{Context, Job, RunTrigger};
use crate::domain::metric::Kind;
use crate::domain::period::{Grain, Period, day_number};
use crate::domain::rollup::Figure;
use crate::feed::client::Fetched;
use crate::feed::wire::{Num, Page, RawRow};
use crate::feed::{FetchError, PageRequest};
use crate::store::facts::{self, FactRow, origin};
use crate::store::sync::{self, RunStatus};
use crate::supervisor::{Cancelled, unless_cancelled};

/// `sync_runs.source` and `sync_state.source` of this job.
pub const JOB: Job = Job::Feed;
/// Its `sync_state` key.
pub const SOURCE: &str = JOB.as_str();

pub use super::RunError;

/// What a run did.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub run_id: i64,
    pub status: RunStatus,
    pub rows_stored: i64,
    pub rows_rejected: i64,
    pub pages: u32,
    pub attempts: u32,
    pub throttled: u32,
    pub restarts: u32,
    pub watermark_before: Option<String>,
    pub watermark_after: Option<String>,
    pub rollup: Option<rollup::Outcome>,
    pub warmed: super::warm::Warmed,
    pub error: Option<String>,
    pub millis: u64,
}

/// Claims and runs a feed sync to its end.
pub async fn run(ctx: &Context, trigger: RunTrigger) -> Result<Report, RunError> {
    let id = start(ctx, trigger).await?;
    Ok(execute(ctx, id).await)
}

pub use super::HEARTBEAT;
use super::Heartbeat;

/// Claims a run (`Busy` if one is in progress here or on another instance).
pub async fn start(ctx: &Context, trigger: RunTrigger) -> Result<i64, RunError> {
    super::claim(&ctx.db, JOB, trigger, ctx.stale_after()).await
}

/// Runs a claimed run to its end and records the outcome; never fails (the failure is the
/// run's status).
pub async fn execute(ctx: &Context, run_id: i64) -> Report {
    let _heartbeat = Heartbeat::start(ctx.db.clone(), JOB);
    let started = std::time::Instant::now();
    let mut report = Report { run_id, ..Report::default() };
    let mut changes = Changes::default();
    let mut complete_moved = false;
    let result = sync_pages(ctx, &mut report, &mut changes, &mut complete_moved).await;
    if let Err(e) = &result {
        report.error = Some(format!("{e:#}"));
    }
    // Stopped by a shutdown: what was committed stays, marked pending; the next run resumes
    // from the saved cursor and rolls the pending days up first.
    let cancelled = result.as_ref().is_err_and(|e| e.downcast_ref::<Cancelled>().is_some());
    // Before the roll-up, whose lookups stale statistics would plan as scans of whole metrics.
    super::analyze_after_bulk(&ctx.db, "facts", report.rows_stored.max(0) as u64).await;
    // Whatever was committed is rolled up, even after a failure.
    if !cancelled && (!changes.is_empty() || complete_moved || report.rows_stored > 0) {
        match rollup::apply(&ctx.db, &changes).await {
            Ok(outcome) => report.rollup = Some(outcome),
            Err(e) => {
                tracing::error!(error = ?e, run = run_id, "roll-up failed; it is retried by the next run");
                report.error.get_or_insert_with(|| format!("roll-up failed: {e:#}"));
            }
        }
        if let Some(state) = &ctx.state {
            match super::warm::reload_warm(state).await {
                Ok(warmed) => report.warmed = warmed,
                Err(e) => tracing::warn!(error = ?e, "could not reload the snapshot after a sync"),
            }
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
        "watermarkBefore": report.watermark_before,
        "watermarkAfter": report.watermark_after,
        "rollup": report.rollup,
        "warmed": report.warmed,
        "millis": report.millis,
    });
    if let Err(e) = sync::finish(&ctx.db, run_id, report.status, report.error.clone(), detail).await {
        tracing::error!(error = ?e, run = run_id, "could not record the end of a feed run");
    }
    match report.status {
        RunStatus::Failed => tracing::error!(run = run_id, error = report.error.as_deref(), "feed sync failed"),
        s => tracing::info!(
            run = run_id,
            status = s.as_str(),
            stored = report.rows_stored,
            rejected = report.rows_rejected,
            pages = report.pages,
            millis = report.millis,
            "feed sync done"
        ),
    }
    report
}

/// The catalogue and org codes rows are checked against.
pub struct Lookups {
    metrics: HashMap<String, (i32, Kind)>,
    orgs: HashMap<String, i32>,
}

impl Lookups {
    pub async fn load(db: &sea_orm::DatabaseConnection) -> anyhow::Result<Lookups> {
        let metrics = metric::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .filter_map(|m| Some((m.code, (m.id.get(), Kind::from_columns(m.kind, m.part_kind).ok()?))))
            .collect();
        let orgs = org::Entity::find().all(db).await?.into_iter().map(|o| (o.code, o.id.get())).collect();
        Ok(Lookups { metrics, orgs })
    }
}

async fn sync_pages(
    ctx: &Context,
    report: &mut Report,
    changes: &mut Changes,
    complete_moved: &mut bool,
) -> anyhow::Result<()> {
    let db = &ctx.db;
    let lookups = Lookups::load(db).await?;
    // Days a crashed run stored but never rolled up.
    if let Some((from, to)) = rollup::pending(db).await? {
        tracing::info!(from, to, "rolling up days a previous run left pending");
        changes.add_whole_days(from, to);
    }
    let state = sync::state(db, SOURCE).await?;
    let since = state.as_ref().and_then(|s| s.watermark.clone());
    let mut cursor = state.and_then(|s| s.cursor);
    report.watermark_before = since.clone();
    report.watermark_after = since.clone();
    let complete_before: HashMap<i16, i32> =
        period_status::Entity::find().all(db).await?.into_iter().map(|s| (s.grain, s.complete_through)).collect();
    let limit = ctx.settings.feed.page_size.clamp(1, crate::feed::wire::MAX_LIMIT);
    let mut restarted = false;
    // The next page, fetched and checked while this one is stored: the feed's answer, our
    // checks and our write overlap.
    let mut prefetched = None;
    for _ in 0..ctx.settings.feed.max_pages {
        let req = PageRequest { since: since.clone(), cursor: cursor.clone(), limit, metrics: Vec::new() };
        if ctx.cancel.is_cancelled() {
            return Err(Cancelled.into());
        }
        // Fetching stores nothing: a shutdown may drop it where it stands (backoff included).
        let result = match prefetched.take() {
            Some(result) => result,
            None => unless_cancelled(&ctx.cancel, fetch_checked(ctx, &req, &lookups)).await,
        };
        let Checked { fetched, rows, rejected } = match result? {
            Ok(f) => f,
            Err(FetchError::BadRequest { code, message }) if !restarted && cursor.is_some() => {
                tracing::warn!(code, message, "the feed refused our cursor; restarting from the stored watermark");
                restarted = true;
                report.restarts += 1;
                cursor = None;
                sync::save_position(db, SOURCE, None, None).await?;
                continue;
            }
            Err(e) => return Err(anyhow::Error::new(e)),
        };
        report.pages += 1;
        report.attempts += fetched.attempts;
        report.throttled += fetched.throttled;
        let page = fetched.page;
        let last = page.next_cursor.is_none();
        let watermark = if last { page.watermark.as_deref() } else { None };
        let run_id = report.run_id;
        let (n_rows, n_rejected) = (rows.len(), rejected.len());
        let days = day_range(&rows);
        let completes = if last { complete_of(&page) } else { Vec::new() };
        let moved = completes.iter().any(|&(grain, start)| {
            complete_before.get(&grain.code()) != Some(&day_number(Period::containing(grain, start).start()))
        });
        let derived: Vec<(i32, i32, i32)> = rows
            .iter()
            .filter(|r| r.grain == Grain::Day.code() && lookups.derivable(r.metric_id))
            .map(|r| (r.metric_id, r.org_id, r.period_start))
            .collect();
        // The page is written from a task of its own: its statements' round trips to the
        // database go on while this task reads the next page.
        let store = tokio::spawn({
            let db = ctx.sync_db.clone();
            let (next_cursor, watermark) = (page.next_cursor.clone(), watermark.map(str::to_owned));
            async move {
                let db = &db;
                // The page's rows and the days the roll-up must redo, then its bookkeeping.
                let (stored, txn) = if super::split_page(db, rows.len()) {
                    let (first, second) = rows.split_at(rows.len() / 2);
                    let (a, b) = tokio::try_join!(db.begin(), db.begin())?;
                    // Lazily: the second half commits after it, and a durable commit there covers it.
                    super::commit_lazily(&a).await?;
                    let (stored_a, stored_b) =
                        tokio::try_join!(facts::insert_new(&a, first), facts::insert_new(&b, second))?;
                    if let Some((from, to)) = days {
                        rollup::mark_pending(&a, from, to).await?;
                    }
                    a.commit().await?;
                    (stored_a + stored_b, b)
                } else {
                    let txn = crate::store::begin_writer(db).await?;
                    let stored = facts::insert_new(&txn, &rows).await?;
                    if let Some((from, to)) = days {
                        rollup::mark_pending(&txn, from, to).await?;
                    }
                    (stored, txn)
                };
                if !last {
                    super::commit_lazily(&txn).await?;
                }
                sync::reject(&txn, run_id, SOURCE, &rejected).await?;
                sync::add_counts(&txn, run_id, rows.len() as i64, rejected.len() as i64).await?;
                sync::save_position(&txn, SOURCE, next_cursor.as_deref(), watermark.as_deref()).await?;
                for (grain, start) in completes {
                    facts::mark_complete(&txn, Period::containing(grain, start)).await?;
                }
                txn.commit().await?;
                anyhow::Ok(stored)
            }
        });
        let next = PageRequest { since: since.clone(), cursor: page.next_cursor.clone(), limit, metrics: Vec::new() };
        let fetch_next = async {
            match last {
                true => None,
                false => Some(unless_cancelled(&ctx.cancel, fetch_checked(ctx, &next, &lookups)).await),
            }
        };
        let (written, next_page) = tokio::join!(store, fetch_next);
        let stored = written.map_err(|e| anyhow::anyhow!("the page's writer stopped: {e}"))??;
        *complete_moved |= moved;
        prefetched = next_page;
        tracing::debug!(rows = n_rows, stored, rejected = n_rejected, last, "feed page committed");
        report.rows_stored += n_rows as i64;
        report.rows_rejected += n_rejected as i64;
        for (metric_id, org_id, period_start) in derived {
            changes.add(metric_id, org_id, period_start);
        }
        if last {
            if let Some(w) = watermark {
                report.watermark_after = Some(w.to_owned());
            }
            return Ok(());
        }
        cursor = page.next_cursor;
    }
    anyhow::bail!(
        "stopped after feed.max_pages ({}) pages; the next run continues from the stored cursor",
        ctx.settings.feed.max_pages
    )
}

impl Lookups {
    fn derivable(&self, metric_id: i32) -> bool {
        // Few metrics: a scan is cheaper than a second map.
        self.metrics.values().any(|(id, kind)| *id == metric_id && kind.derivable())
    }
}

/// A page and its rows checked (see [`check_page`]).
struct Checked {
    fetched: Fetched,
    rows: Vec<FactRow>,
    rejected: Vec<(String, String)>,
}

async fn fetch_checked(ctx: &Context, req: &PageRequest, lookups: &Lookups) -> Result<Checked, FetchError> {
    let fetched = ctx.feed.fetch(req).await?;
    let (rows, rejected) = check_page(&fetched.page, lookups);
    Ok(Checked { fetched, rows, rejected })
}

fn complete_of(page: &Page) -> Vec<(Grain, NaiveDate)> {
    page.complete.iter().filter_map(|(g, d)| Some((g.parse::<Grain>().ok()?, *d))).collect()
}

fn day_range(rows: &[FactRow]) -> Option<(i32, i32)> {
    rows.iter().filter(|r| r.grain == Grain::Day.code()).fold(None, |acc, r| match acc {
        None => Some((r.period_start, r.period_start)),
        Some((lo, hi)) => Some((lo.min(r.period_start), hi.max(r.period_start))),
    })
}

/// Checks a page row by row: the rows to store (one per key: the latest `updatedAt` wins
/// within the page too) and the refused ones with their reasons.
pub fn check_page(page: &Page, lookups: &Lookups) -> (Vec<FactRow>, Vec<(String, String)>) {
    let mut good: BTreeMap<(i32, i32, i16, i32), FactRow> = BTreeMap::new();
    let mut rejected = Vec::new();
    for raw in &page.items {
        match check_row(raw, lookups) {
            Ok(row) => {
                let key = (row.metric_id, row.org_id, row.grain, row.period_start);
                match good.get(&key) {
                    Some(existing) if existing.updated_at > row.updated_at => {}
                    _ => {
                        good.insert(key, row);
                    }
                }
            }
            Err(reason) => rejected.push((serde_json::to_string(raw).unwrap_or_default(), reason)),
        }
    }
    (good.into_values().collect(), rejected)
}

fn field<'a>(v: &'a Option<String>, name: &str) -> Result<&'a str, String> {
    v.as_deref().filter(|s| !s.trim().is_empty()).ok_or_else(|| format!("missing field `{name}`"))
}

fn count(v: &Option<Num>, name: &str) -> Result<f64, String> {
    let n = v.as_ref().ok_or_else(|| format!("missing field `{name}`"))?;
    let x = n.finite().map_err(|e| format!("`{name}`: {e}"))?;
    if x < 0.0 {
        return Err(format!("`{name}` is negative ({x}): counts and amounts cannot be"));
    }
    Ok(x)
}

/// One row: a fact, or why not.
pub fn check_row(raw: &RawRow, lookups: &Lookups) -> Result<FactRow, String> {
    let metric_code = field(&raw.metric, "metric")?;
    let org_code = field(&raw.org, "org")?;
    let grain_raw = field(&raw.grain, "grain")?;
    let period_raw = field(&raw.period, "period")?;
    let updated_raw = field(&raw.updated_at, "updatedAt")?;
    let (metric_id, kind) =
        *lookups.metrics.get(metric_code).ok_or_else(|| format!("unknown metric `{metric_code}`"))?;
    let org_id = *lookups.orgs.get(org_code).ok_or_else(|| format!("unknown org `{org_code}`"))?;
    let grain: Grain = grain_raw.parse().map_err(|e: crate::domain::period::UnknownGrain| e.to_string())?;
    let start = NaiveDate::parse_from_str(period_raw, "%Y-%m-%d")
        .map_err(|_| format!("period `{period_raw}` is not a date (YYYY-MM-DD)"))?;
    let period = Period::starting(grain, start).map_err(|e| format!("unaligned period: {e}"))?;
    let updated_at = DateTime::parse_from_rfc3339(updated_raw)
        .map_err(|_| format!("updatedAt `{updated_raw}` is not an RFC 3339 timestamp"))?
        .timestamp();
    let figure = if kind.is_ratio() {
        if raw.value.is_some() {
            return Err(format!("`value` sent for ratio metric `{metric_code}`: a ratio travels as `num` and `den`"));
        }
        Figure::ratio(count(&raw.num, "num")?, count(&raw.den, "den")?)
    } else {
        if raw.num.is_some() || raw.den.is_some() {
            return Err(format!("`num`/`den` sent for `{metric_code}`, which is not a ratio: send `value`"));
        }
        Figure::single(count(&raw.value, "value")?)
    };
    Ok(FactRow {
        metric_id,
        org_id,
        grain: grain.code(),
        period_start: day_number(period.start()),
        value: figure.value,
        num: figure.num,
        den: figure.den,
        updated_at,
        origin: origin::UPSTREAM,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::metric::Aggregation;

    fn lookups() -> Lookups {
        Lookups {
            metrics: [
                ("collab.msg_total".to_owned(), (1, Kind::Single(Aggregation::Sum))),
                ("collab.activation_rate".to_owned(), (2, Kind::Ratio(Aggregation::Last))),
            ]
            .into(),
            orgs: [("330100".to_owned(), 7)].into(),
        }
    }

    fn row(json: &str) -> Result<FactRow, String> {
        check_row(&serde_json::from_str(json).unwrap(), &lookups())
    }

    const OK: &str = r#"{"metric":"collab.msg_total","org":"330100","grain":"day","period":"2026-11-26","value":18234,"updatedAt":"2026-11-27T01:10:00Z"}"#;

    #[test]
    fn a_good_row_becomes_a_fact() {
        let f = row(OK).unwrap();
        assert_eq!((f.metric_id, f.org_id, f.grain, f.value), (1, 7, 0, Some(18234.0)));
        let r = row(r#"{"metric":"collab.activation_rate","org":"330100","grain":"month","period":"2026-10-01","num":9,"den":10,"updatedAt":"2026-11-27T01:10:00+08:00"}"#).unwrap();
        assert_eq!((r.num, r.den, r.value), (Some(9.0), Some(10.0), Some(0.9)));
    }

    #[test]
    fn every_kind_of_bad_row_is_refused_with_its_reason() {
        let cases = [
            (OK.replace(r#""org":"330100","#, ""), "missing field `org`"),
            (OK.replace("18234", r#""NaN""#), "not a finite number"),
            (OK.replace("18234", "-3"), "negative"),
            (OK.replace(r#""day","period":"2026-11-26""#, r#""month","period":"2026-10-03""#), "unaligned period"),
            (OK.replace("collab.msg_total", "nope"), "unknown metric `nope`"),
            (OK.replace("330100", "999"), "unknown org `999`"),
            (OK.replace(r#""value":18234"#, r#""num":1,"den":2"#), "not a ratio"),
            (OK.replace("collab.msg_total", "collab.activation_rate"), "a ratio travels as `num` and `den`"),
            (OK.replace("2026-11-27T01:10:00Z", "yesterday"), "RFC 3339"),
            (OK.replace(r#""day""#, r#""fortnight""#), "unknown grain"),
        ];
        for (json, reason) in cases {
            let err = row(&json).unwrap_err();
            assert!(err.contains(reason), "{json}: {err}");
        }
    }

    #[test]
    fn within_a_page_the_latest_correction_wins() {
        let later = OK.replace("18234", "20000").replace("01:10", "02:10");
        let page: Page = serde_json::from_str(&format!(r#"{{"items":[{later},{OK}]}}"#)).unwrap();
        let (rows, rejected) = check_page(&page, &lookups());
        assert!(rejected.is_empty());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].value, Some(20000.0));
    }
}
