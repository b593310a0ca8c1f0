//! The daily briefing (DESIGN §7): every minute, for users whose send time has passed today,
//! on working days, and whose data for the business date is complete — or, past the deadline,
//! a "data delayed" notice instead — render the briefing from the home screen's card DTOs,
//! record each (user, date) in the ledger **before** sending, send identical contents together
//! (≤ 100 users a call), and later reconcile with `getsendresult`.
//!
//! A user gets at most one message per business date whatever happens:
//! - the ledger's unique (user, business date) makes a second recording a no-op, in this run,
//!   a retry, a restart or another instance;
//! - rows are taken for sending by one atomic update (`FOR UPDATE SKIP LOCKED` on PostgreSQL),
//!   so two workers never send the same row;
//! - a row taken but not settled (the run crashed, or DingTalk's answer was lost) becomes
//!   `unknown` and is never sent again without an administrator forcing it.
//!
//! Scheduling (the scheduler calls these; tests call them with explicit times):
//! ```ignore
//! // every minute, in business time
//! workers::briefing::run_once(&state, Utc::now()).await?;
//! // every five minutes or so: read / unread / forbidden
//! workers::briefing::reconcile(&state, Utc::now()).await?;
//! ```

use entities::ids::{OrgId, UserId};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, bail};
use chrono::{DateTime, Days, Duration, NaiveDate, Timelike, Utc};
use entities::{scope, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::dingtalk::DingTalkError;
use crate::dingtalk::messages::{MAX_RECIPIENTS, Message};
use crate::domain::briefing::reported_date;
use crate::domain::period::{Grain, Period};
use crate::state::AppState;
use crate::store::briefings::{self as ledger, DeliveryKind, NewDelivery, Outcome, Status};
use crate::store::sync;
use crate::views::briefing::{self as render, Layout};
use crate::views::cards;

/// Bound of one run's send loop (each batch is up to 100 users).
const MAX_BATCHES: usize = 10_000;
/// Send lanes: enough to keep the client's rate limiter busy while the ledger is written.
const LANES: usize = 4;
/// Tasks reconciled per run, at most.
const MAX_TASKS: u64 = 2_000;

/// A test seam: where a run stops as if the process had died.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crash {
    /// After the deliveries are recorded, before anything is sent.
    AfterRecord,
    /// After DingTalk accepted a send, before its task id is recorded.
    AfterSend,
}

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// A run by hand for this business date: every enabled subscriber now, whatever their send
    /// time and the calendar. The data must be complete.
    pub date: Option<NaiveDate>,
    /// Only these users (a scoped administrator's run reaches their subtree alone); `None`:
    /// everyone due.
    pub audience: Option<HashSet<UserId>>,
    pub crash: Option<Crash>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BriefingReport {
    pub business_date: Option<NaiveDate>,
    /// Whether the feed calls the business date complete.
    pub ready: bool,
    /// Users whose briefing (or notice) was due and not yet recorded.
    pub due: usize,
    /// Deliveries this run recorded (others may have won the race for some).
    pub recorded: u64,
    /// Distinct contents rendered.
    pub contents: usize,
    /// Whether this run's deliveries are "data delayed" notices.
    pub delayed: bool,
    pub send_calls: usize,
    /// Recipients DingTalk accepted.
    pub sent: usize,
    /// Recipients whose send may or may not have gone out.
    pub unknown: usize,
    pub failed: usize,
    /// Recipients put back to wait for the next run (DingTalk refused for now).
    pub deferred: usize,
    /// Deliveries found `sending` past their lease and marked `unknown`.
    pub expired: u64,
    /// Why sending stopped early, if it did.
    pub stopped: Option<String>,
    /// Time spent finding due users, rendering and recording, in milliseconds.
    pub prepare_ms: u64,
    /// Time spent sending, in milliseconds.
    pub send_ms: u64,
}

/// Briefing runs started by hand (`sync_runs.source`).
pub const JOB: super::Job = super::Job::Briefing;

/// Claims a run by hand of `date`'s briefing (`Busy` while one is going), recording who may
/// follow it: the subtree it reaches (`None`: the province).
pub async fn start_by_hand(
    db: &sea_orm::DatabaseConnection,
    date: NaiveDate,
    scope_org: Option<OrgId>,
) -> Result<i64, super::RunError> {
    let run_id = super::claim(db, JOB, sync::RunTrigger::Manual, Duration::seconds(60)).await?;
    sync::describe(db, run_id, serde_json::json!({ "date": date, "scopeOrg": scope_org })).await?;
    Ok(run_id)
}

/// Runs a claimed run by hand to its end and records its outcome; the report (with its
/// `scopeOrg`) is the run's `detail`, returned with its status.
pub async fn execute_by_hand(
    state: &AppState,
    run_id: i64,
    date: NaiveDate,
    audience: Option<HashSet<UserId>>,
    scope_org: Option<OrgId>,
) -> (sync::RunStatus, serde_json::Value) {
    let _heartbeat = super::Heartbeat::start(state.db.clone(), JOB);
    let outcome = run_for_date(state, date, audience, Utc::now()).await;
    let (status, error) = match &outcome {
        Ok(r) if r.stopped.is_some() && state.jobs.is_stopping() => (sync::RunStatus::Cancelled, r.stopped.clone()),
        Ok(r) => (sync::RunStatus::Ok, r.stopped.clone()),
        Err(e) => (sync::RunStatus::Failed, Some(format!("{e:#}"))),
    };
    let mut detail = outcome.ok().and_then(|r| serde_json::to_value(r).ok()).unwrap_or_else(|| serde_json::json!({}));
    if let Some(d) = detail.as_object_mut() {
        d.insert("date".into(), serde_json::json!(date));
        d.insert("scopeOrg".into(), serde_json::json!(scope_org));
    }
    if let Err(e) = sync::finish(&state.db, run_id, status, error, detail.clone()).await {
        tracing::error!(run = run_id, error = ?e, "could not record the end of a briefing run");
    }
    (status, detail)
}

/// The scheduled run: what is due at `now`.
pub async fn run_once(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<BriefingReport> {
    run(state, now, RunOptions::default()).await
}

/// A run by hand for business date `date` (`canmou brief`, the admin API).
pub async fn run_for_date(
    state: &AppState,
    date: NaiveDate,
    audience: Option<HashSet<UserId>>,
    now: DateTime<Utc>,
) -> anyhow::Result<BriefingReport> {
    run(state, now, RunOptions { date: Some(date), audience, ..RunOptions::default() }).await
}

pub async fn run(state: &AppState, now: DateTime<Utc>, opts: RunOptions) -> anyhow::Result<BriefingReport> {
    let settings = &state.settings.briefing;
    let db = &state.db;
    let local = now.with_timezone(&state.tz);
    let today = local.date_naive();
    let minute = (local.hour() * 60 + local.minute()) as u16;
    let manual = opts.date.is_some();
    let date = opts.date.unwrap_or_else(|| reported_date(today, &state.snapshot().calendar));
    let mut report = BriefingReport { business_date: Some(date), ..BriefingReport::default() };
    let started = std::time::Instant::now();

    report.expired = expire(state, now).await?;
    if !manual {
        ledger::expire_pending(db, date, now).await?;
    }
    let complete = ledger::complete_day(db).await?;
    report.ready = complete.is_some_and(|c| c >= date);
    if manual && !report.ready {
        bail!("the data for {date} is not complete yet (complete through {complete:?})");
    }
    let deadline_passed = !manual && settings.deadline_minute().is_some_and(|d| minute >= d);
    if report.ready || deadline_passed {
        let due = due_users(state, date, today, minute, manual, opts.audience.as_ref()).await?;
        report.due = due.len();
        if !due.is_empty() {
            let layout = layout(state);
            let rendered = if report.ready {
                render_briefings(state, date, today, &due, layout).await?
            } else {
                report.delayed = true;
                let msg = render::delayed(date, layout);
                let hash = render::content_hash(&msg);
                Rendered {
                    contents: vec![(hash.clone(), serde_json::to_string(&msg)?)],
                    recipients: due.iter().map(|d| (d.user_id, DeliveryKind::Delayed, hash.clone())).collect(),
                }
            };
            report.contents = rendered.contents.len();
            ledger::save_contents(db, date, &rendered.contents, now).await?;
            let deliveries: Vec<NewDelivery<'_>> = rendered
                .recipients
                .iter()
                .map(|(user_id, kind, hash)| NewDelivery { user_id: *user_id, kind: *kind, content_hash: hash })
                .collect();
            report.recorded = ledger::record(db, date, &deliveries, now).await?;
        }
    }
    if opts.crash == Some(Crash::AfterRecord) {
        bail!("simulated crash after recording the deliveries");
    }
    report.prepare_ms = started.elapsed().as_millis() as u64;
    let started = std::time::Instant::now();
    // Recorded but not sent: the next run sends them (the ledger holds them as pending).
    if state.jobs.is_stopping() {
        report.stopped = Some(crate::supervisor::Cancelled.to_string());
        return Ok(report);
    }
    send_pending(state, date, now, opts.crash, &mut report).await?;
    report.send_ms = started.elapsed().as_millis() as u64;
    tracing::info!(%date, ready = report.ready, due = report.due, recorded = report.recorded, calls = report.send_calls, sent = report.sent, unknown = report.unknown, failed = report.failed, "briefing run");
    Ok(report)
}

/// Sends what is pending for `date` (after a resend, or left by a crashed run).
pub async fn send_pending(
    state: &AppState,
    date: NaiveDate,
    now: DateTime<Utc>,
    crash: Option<Crash>,
    report: &mut BriefingReport,
) -> anyhow::Result<()> {
    // Each content goes to one lane, so that its recipients leave in as few calls as possible.
    let queue = Mutex::new(VecDeque::from(ledger::pending_contents(&state.db, date).await?));
    let stop = AtomicBool::new(false);
    let lane = || send_lane(state, date, now, crash, &queue, &stop);
    let lanes = tokio::try_join!(lane(), lane(), lane(), lane())?;
    for l in [lanes.0, lanes.1, lanes.2, lanes.3].into_iter().take(LANES) {
        report.send_calls += l.calls;
        report.sent += l.sent;
        report.unknown += l.unknown;
        report.failed += l.failed;
        report.deferred += l.deferred;
        report.stopped = report.stopped.take().or(l.stopped);
    }
    Ok(())
}

fn layout(state: &AppState) -> Layout<'_> {
    let b = &state.settings.briefing;
    Layout { top_cards: b.top_cards, unusual_change_pct: b.unusual_change_pct, home_page: &b.home_page }
}

async fn expire(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<u64> {
    let lease = Duration::seconds(i64::try_from(state.settings.briefing.sending_lease_secs).unwrap_or(i64::MAX / 2));
    let expired = ledger::expire_sending(&state.db, now - lease, now).await?;
    if expired > 0 {
        tracing::warn!(expired, "briefing deliveries left sending by a stopped run are now unknown (never resent)");
    }
    Ok(expired)
}

/// A user whose briefing is due, with what their home screen shows.
#[derive(Debug, Clone, Copy)]
struct Due {
    user_id: UserId,
    org_id: OrgId,
    card_set_id: i32,
}

/// Active users with a scope and a card set, subscribed and due, and not yet recorded for
/// `date`.
async fn due_users(
    state: &AppState,
    date: NaiveDate,
    today: NaiveDate,
    minute: u16,
    manual: bool,
    audience: Option<&HashSet<UserId>>,
) -> anyhow::Result<Vec<Due>> {
    let db = &state.db;
    let working = crate::store::calendar::around(db, today).await?.is_working_day(today);
    let subscriptions = ledger::subscriptions(db).await?;
    let recorded = ledger::recorded_users(db, date).await?;
    let users: Vec<UserId> = user::Entity::find()
        .filter(user::Column::Active.eq(true))
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .filter(|id| !recorded.contains(id))
        .filter(|id| audience.is_none_or(|a| a.contains(id)))
        .filter(|id| {
            let sub = subscriptions.get(id).copied().unwrap_or_default();
            if manual { sub.enabled } else { sub.due(minute, working) }
        })
        .collect();
    if users.is_empty() {
        return Ok(Vec::new());
    }
    // Scopes in grant order, as the home screen picks its default org.
    let mut scopes: HashMap<UserId, Vec<OrgId>> = HashMap::new();
    for s in
        scope::Entity::find().order_by_asc(scope::Column::GrantedAt).order_by_asc(scope::Column::OrgId).all(db).await?
    {
        scopes.entry(s.user_id).or_default().push(s.org_id);
    }
    let snap = fresh_snapshot(state, date).await?;
    Ok(users
        .into_iter()
        .filter_map(|user_id| {
            let scopes = scopes.get(&user_id)?;
            let org = scopes.iter().find_map(|id| snap.orgs.get(*id))?;
            let set = snap.card_sets.resolve(user_id, scopes.first().copied(), &snap.orgs)?;
            Some(Due { user_id, org_id: org.id, card_set_id: set.id })
        })
        .collect())
}

/// The snapshot, reloaded first when it does not know yet that `date` is complete.
async fn fresh_snapshot(state: &AppState, date: NaiveDate) -> anyhow::Result<std::sync::Arc<crate::state::Snapshot>> {
    let snap = state.snapshot();
    if snap.complete.as_of().is_some_and(|d| d >= date) {
        return Ok(snap);
    }
    state.reload().await.context("cannot reload the snapshot")?;
    Ok(state.snapshot())
}

struct Rendered {
    /// (hash, message JSON).
    contents: Vec<(String, String)>,
    /// (user, kind, hash).
    recipients: Vec<(UserId, DeliveryKind, String)>,
}

/// One home-screen computation per (card set, org): users who share both get the same
/// content.
async fn render_briefings(
    state: &AppState,
    date: NaiveDate,
    today: NaiveDate,
    due: &[Due],
    layout: Layout<'_>,
) -> anyhow::Result<Rendered> {
    let snap = fresh_snapshot(state, date).await?;
    let mut groups: BTreeMap<(i32, OrgId), Vec<UserId>> = BTreeMap::new();
    for d in due {
        groups.entry((d.card_set_id, d.org_id)).or_default().push(d.user_id);
    }
    let period = Period::containing(Grain::Day, date);
    let mut contents: HashMap<String, String> = HashMap::new();
    let mut recipients = Vec::with_capacity(due.len());
    for ((set_id, org_id), users) in groups {
        let (Some(set), Some(org)) = (snap.card_sets.get(set_id), snap.orgs.get(org_id)) else {
            continue;
        };
        let specs = cards::specs(&snap, set);
        let cards = cards::compute(&state.db, &snap, &specs, org, period, today)
            .await
            .with_context(|| format!("cannot compute the cards of org {org_id} for {date}"))?;
        let msg = render::briefing(date, &org.name, &cards, layout);
        let hash = render::content_hash(&msg);
        if !contents.contains_key(&hash) {
            contents.insert(hash.clone(), serde_json::to_string(&msg)?);
        }
        recipients.extend(users.into_iter().map(|u| (u, DeliveryKind::Briefing, hash.clone())));
    }
    Ok(Rendered { contents: contents.into_iter().collect(), recipients })
}

#[derive(Debug, Default)]
struct Lane {
    calls: usize,
    sent: usize,
    unknown: usize,
    failed: usize,
    deferred: usize,
    stopped: Option<String>,
}

async fn send_lane(
    state: &AppState,
    date: NaiveDate,
    now: DateTime<Utc>,
    crash: Option<Crash>,
    queue: &Mutex<VecDeque<String>>,
    stop: &AtomicBool,
) -> anyhow::Result<Lane> {
    let db = &state.db;
    let max_attempts = i32::try_from(state.settings.briefing.max_attempts).unwrap_or(i32::MAX);
    let mut lane = Lane::default();
    let mut hash = None;
    for _ in 0..MAX_BATCHES {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        // A shutdown stops between batches: what is claimed has gone (or is recorded as
        // unknown), the rest stays pending for the next run.
        if state.jobs.is_stopping() {
            lane.stopped = Some(crate::supervisor::Cancelled.to_string());
            break;
        }
        let Some(current) = hash.take().or_else(|| queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front()) else {
            break;
        };
        let claim = uuid::Uuid::new_v4().simple().to_string();
        let batch = ledger::take_batch(db, date, &current, &claim, MAX_RECIPIENTS as u64, now).await?;
        if batch.rows.is_empty() {
            continue; // this content is done: the next one
        }
        // A full batch may have more behind it; a short one was the last of its content.
        if batch.rows.len() >= MAX_RECIPIENTS {
            hash = Some(current);
        }
        let (orphans, rows): (Vec<_>, Vec<_>) = batch.rows.iter().partition(|r| r.2.is_empty());
        if !orphans.is_empty() {
            let ids: Vec<i64> = orphans.iter().map(|r| r.0).collect();
            let error = Outcome { error: Some("the user no longer exists"), ..Outcome::default() };
            ledger::set_status(db, &ids, Status::Failed, error, now).await?;
            lane.failed += ids.len();
        }
        if rows.is_empty() {
            continue;
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let message: Option<Message> =
            ledger::content(db, &batch.content_hash).await?.and_then(|m| serde_json::from_str(&m).ok());
        let Some(message) = message else {
            let error = Outcome { error: Some("the rendered content is missing"), ..Outcome::default() };
            ledger::set_status(db, &ids, Status::Failed, error, now).await?;
            lane.failed += ids.len();
            continue;
        };
        let userids: Vec<String> = rows.iter().map(|r| r.2.clone()).collect();
        let agent = state.dingtalk.agent_id();
        let answer = state.dingtalk.send_work_notification(agent, &userids, &message).await;
        lane.calls += 1;
        match answer {
            Ok(task_id) => {
                if crash == Some(Crash::AfterSend) {
                    bail!("simulated crash after sending, before recording task {task_id}");
                }
                let outcome = Outcome { task_id: Some(task_id), ..Outcome::default() };
                ledger::set_status(db, &ids, Status::Sent, outcome, now).await?;
                lane.sent += ids.len();
            }
            Err(e @ (DingTalkError::OutcomeUnknown(_) | DingTalkError::Protocol(_))) => {
                tracing::error!(error = %e, recipients = ids.len(), "briefing send outcome unknown; not repeating it");
                let text = e.to_string();
                ledger::set_status(
                    db,
                    &ids,
                    Status::Unknown,
                    Outcome { error: Some(&text), ..Outcome::default() },
                    now,
                )
                .await?;
                lane.unknown += ids.len();
            }
            Err(DingTalkError::BadInput { code, msg }) => {
                let text = format!("DingTalk refused the message: {code} {msg}");
                tracing::error!(error = %text, recipients = ids.len(), "briefing refused");
                let outcome = Outcome { error_code: Some(&code), error: Some(&text), ..Outcome::default() };
                ledger::set_status(db, &ids, Status::Failed, outcome, now).await?;
                lane.failed += ids.len();
            }
            Err(e) => {
                // DingTalk surely did not take it (throttled past the budget, busy, banned,
                // quota, permission): try again next run, until the attempts run out.
                let text = e.to_string();
                let (retry, give_up): (Vec<&(i64, UserId, String, i32)>, Vec<_>) =
                    rows.iter().copied().partition(|r| r.3 < max_attempts);
                let retry: Vec<i64> = retry.iter().map(|r| r.0).collect();
                let give_up: Vec<i64> = give_up.iter().map(|r| r.0).collect();
                let outcome = || Outcome { error: Some(&text), ..Outcome::default() };
                ledger::set_status(db, &retry, Status::Pending, outcome(), now).await?;
                ledger::set_status(db, &give_up, Status::Failed, outcome(), now).await?;
                lane.deferred += retry.len();
                lane.failed += give_up.len();
                tracing::warn!(error = %text, "briefing sending stopped until the next run");
                lane.stopped = Some(text);
                stop.store(true, Ordering::Relaxed);
                break;
            }
        }
    }
    Ok(lane)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileReport {
    pub tasks: usize,
    pub read: usize,
    pub unread: usize,
    pub forbidden: usize,
    pub invalid_user: usize,
    pub failed: usize,
    /// Deliveries found `sending` past their lease and marked `unknown`.
    pub expired: u64,
    /// Tasks whose result could not be fetched (tried again next time).
    pub errors: usize,
}

/// Reads `getsendresult` for tasks with recipients not yet settled: read, unread, forbidden
/// (with DingTalk's code, never retried), invalid user.
pub async fn reconcile(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<ReconcileReport> {
    let db = &state.db;
    let mut report = ReconcileReport { expired: expire(state, now).await?, ..ReconcileReport::default() };
    let today = now.with_timezone(&state.tz).date_naive();
    let since = today.checked_sub_days(Days::new(2)).unwrap_or(today);
    let recheck = Duration::seconds(i64::try_from(state.settings.briefing.recheck_unread_secs).unwrap_or(3600));
    let tasks = ledger::tasks_to_check(db, since, now - recheck, MAX_TASKS).await?;
    let agent = state.dingtalk.agent_id();
    for task in tasks {
        let result = match state.dingtalk.send_result(agent, task).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(task, error = %e, "cannot read a briefing's send result");
                report.errors += 1;
                if !matches!(e, DingTalkError::BadInput { .. }) {
                    // DingTalk is unwell: the rest can wait for the next run.
                    break;
                }
                continue;
            }
        };
        report.tasks += 1;
        let rows = ledger::task_rows(db, task).await?;
        let by_userid: HashMap<&str, i64> = rows.iter().map(|(id, u)| (u.as_str(), *id)).collect();
        let pick =
            |list: &[String]| -> Vec<i64> { list.iter().filter_map(|u| by_userid.get(u.as_str()).copied()).collect() };
        let plain = Outcome::default;
        let read = pick(&result.read_user_id_list);
        let unread = pick(&result.unread_user_id_list);
        let invalid = pick(&result.invalid_user_id_list);
        let failed = pick(&result.failed_user_id_list);
        report.read += ledger::set_status(db, &read, Status::Read, plain(), now).await? as usize;
        report.unread += ledger::set_status(db, &unread, Status::Unread, plain(), now).await? as usize;
        let invalid_outcome = Outcome { error: Some("not a user of the organisation"), ..Outcome::default() };
        report.invalid_user +=
            ledger::set_status(db, &invalid, Status::InvalidUser, invalid_outcome, now).await? as usize;
        let failed_outcome = Outcome { error: Some("DingTalk could not deliver it"), ..Outcome::default() };
        report.failed += ledger::set_status(db, &failed, Status::Failed, failed_outcome, now).await? as usize;
        let mut forbidden: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for f in &result.forbidden_list {
            if let Some(id) = by_userid.get(f.userid.as_str()) {
                forbidden.entry(f.code.clone()).or_default().push(*id);
            }
        }
        for u in &result.forbidden_user_id_list {
            if let Some(id) = by_userid.get(u.as_str())
                && !forbidden.values().any(|ids| ids.contains(id))
            {
                forbidden.entry(String::new()).or_default().push(*id);
            }
        }
        for (code, ids) in forbidden {
            let reason = forbidden_reason(&code);
            let outcome = Outcome {
                error_code: (!code.is_empty()).then_some(code.as_str()),
                error: Some(&reason),
                task_id: None,
            };
            report.forbidden += ledger::set_status(db, &ids, Status::Forbidden, outcome, now).await? as usize;
        }
    }
    Ok(report)
}

fn forbidden_reason(code: &str) -> String {
    match code {
        "143105" => "DingTalk's daily limit of messages to this user was reached (143105)".into(),
        "143106" => "the same content was already sent to this user today (143106)".into(),
        "143103" | "143104" => format!("DingTalk's per-minute limit was reached ({code})"),
        "1430002" => "DingTalk refused the content (1430002)".into(),
        "" => "DingTalk refused to deliver it".into(),
        other => format!("DingTalk refused to deliver it ({other})"),
    }
}
