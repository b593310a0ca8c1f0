//! Directory sync: walks DingTalk's departments from the root and the users of each, paced by
//! the client's rate limiter, then writes the snapshot in one transaction and records the run
//! in `sync_runs`.
//!
//! A failure while walking the departments fails the run and changes nothing. A department
//! whose members cannot be listed makes the run `partial`: what was seen is written, but no
//! user is deactivated, since a user not seen may simply be behind that department.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::Utc;
use entities::sync_run;
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::{ActiveModelTrait, DatabaseConnection};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use anyhow::Context as _;

use super::{Job, RunError, RunTrigger};
use crate::dingtalk::contacts::{Department, MAX_PAGE_SIZE, ROOT_DEPT_ID, User};
use crate::dingtalk::{DingTalkClient, DingTalkError};
use crate::domain::period::business_date;
use crate::state::AppState;
use crate::store::directory::{Changes, Snapshot, apply};
use crate::store::sync::RunStatus;
use crate::supervisor::{Cancelled, unless_cancelled};

/// Bounds of one walk: far above any real organisation, low enough to stop a runaway.
const MAX_DEPARTMENTS: usize = 100_000;
const MAX_PAGES_PER_DEPARTMENT: usize = 10_000;

pub const JOB: Job = Job::Directory;
/// Its `sync_state` key.
pub const SOURCE: &str = JOB.as_str();

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    pub run_id: i64,
    /// `ok`, `partial` (some departments' members unknown), `failed` or `cancelled`.
    pub status: RunStatus,
    pub departments: usize,
    pub users: usize,
    /// Departments whose members could not be listed.
    pub failed_departments: Vec<i64>,
    pub changes: Changes,
    pub error: Option<String>,
}

/// What the walk saw.
struct Walk {
    departments: Vec<Department>,
    users: Vec<User>,
    failed_departments: Vec<(i64, DingTalkError)>,
}

/// Runs one directory sync. DingTalk failures are recorded in the run and reported with
/// status `failed`; `Err` means the run could not start (`Busy`) or the database could not be
/// written.
pub async fn run(
    db: &DatabaseConnection,
    client: &DingTalkClient,
    trigger: RunTrigger,
    tz: &chrono_tz::Tz,
) -> Result<RunReport, RunError> {
    run_until(db, client, trigger, tz, &CancellationToken::new()).await
}

/// As [`run`], stopping when `cancel` is cancelled: the walk only reads, so it is dropped where
/// it stands and the run recorded as `cancelled`; once the snapshot is being written, the
/// write finishes (one transaction).
pub async fn run_until(
    db: &DatabaseConnection,
    client: &DingTalkClient,
    trigger: RunTrigger,
    tz: &chrono_tz::Tz,
    cancel: &CancellationToken,
) -> Result<RunReport, RunError> {
    let run_id = start(db, trigger).await?;
    Ok(execute(db, client, run_id, tz, cancel).await?)
}

/// In the server: claims and runs a directory sync, then makes the server see it
/// ([`execute_in_server`]).
pub async fn run_in_server(state: &AppState, trigger: RunTrigger) -> Result<RunReport, RunError> {
    let run_id = start(&state.db, trigger).await?;
    Ok(execute_in_server(state, run_id).await?)
}

/// Runs a claimed run inside the server until it finishes or the server stops; then the
/// snapshot is reloaded and every cached principal forgotten, since scopes, roles and
/// memberships may have changed.
pub async fn execute_in_server(state: &AppState, run_id: i64) -> anyhow::Result<RunReport> {
    let report = execute(&state.db, &state.dingtalk, run_id, &state.tz, &state.jobs.token()).await?;
    if report.status != RunStatus::Cancelled {
        let reloaded = state.reload().await;
        state.principals.invalidate_all();
        reloaded.context("reloading the snapshot after a directory sync")?;
    }
    Ok(report)
}

/// A directory run whose heartbeat stopped this long ago is taken to be dead.
const STALE_AFTER_SECS: i64 = 60;

/// Claims a directory run (`Busy` while one is going here or on another instance).
pub async fn start(db: &DatabaseConnection, trigger: RunTrigger) -> Result<i64, RunError> {
    super::claim(db, JOB, trigger, chrono::Duration::seconds(STALE_AFTER_SECS)).await
}

/// Runs a claimed directory run to its end and records its outcome.
pub async fn execute(
    db: &DatabaseConnection,
    client: &DingTalkClient,
    run_id: i64,
    tz: &chrono_tz::Tz,
    cancel: &CancellationToken,
) -> anyhow::Result<RunReport> {
    let _heartbeat = super::Heartbeat::start(db.clone(), JOB);
    let walked = match unless_cancelled(cancel, walk(client)).await {
        Ok(walked) => walked,
        Err(Cancelled) => {
            tracing::info!(run_id, "directory sync stopped by the shutdown; the next run starts over");
            let report = RunReport {
                run_id,
                status: RunStatus::Cancelled,
                departments: 0,
                users: 0,
                failed_departments: Vec::new(),
                changes: Changes::default(),
                error: Some(Cancelled.to_string()),
            };
            finish_run(db, &report).await?;
            return Ok(report);
        }
    };
    let walk = match walked {
        Ok(walk) => walk,
        Err(e) => {
            tracing::error!(run_id, error = %e, "directory sync failed while walking DingTalk");
            let report = RunReport {
                run_id,
                status: RunStatus::Failed,
                departments: 0,
                users: 0,
                failed_departments: Vec::new(),
                changes: Changes::default(),
                error: Some(e.to_string()),
            };
            finish_run(db, &report).await?;
            return Ok(report);
        }
    };
    let snapshot = Snapshot {
        departments: &walk.departments,
        users: &walk.users,
        users_complete: walk.failed_departments.is_empty(),
    };
    let today = business_date(tz, Utc::now());
    let txn = crate::store::begin_writer(db).await?;
    let applied = apply(&txn, &snapshot, today).await;
    let changes = match applied {
        Ok(changes) => {
            txn.commit().await?;
            changes
        }
        Err(e) => {
            txn.rollback().await.ok();
            let report = RunReport {
                run_id,
                status: RunStatus::Failed,
                departments: walk.departments.len(),
                users: walk.users.len(),
                failed_departments: Vec::new(),
                changes: Changes::default(),
                error: Some(format!("{e:#}")),
            };
            finish_run(db, &report).await?;
            return Err(anyhow::Error::new(e).context("cannot store the directory"));
        }
    };
    let error = (!walk.failed_departments.is_empty()).then(|| {
        let first = walk.failed_departments.iter().take(5).map(|(d, e)| format!("department {d}: {e}"));
        first.collect::<Vec<_>>().join("; ")
    });
    let report = RunReport {
        run_id,
        status: if error.is_some() { RunStatus::Partial } else { RunStatus::Ok },
        departments: walk.departments.len(),
        users: walk.users.len(),
        failed_departments: walk.failed_departments.iter().map(|(d, _)| *d).collect(),
        changes,
        error,
    };
    finish_run(db, &report).await?;
    tracing::info!(
        run_id,
        status = report.status.as_str(),
        departments = report.departments,
        users = report.users,
        changed = report.changes.total(),
        "directory sync done"
    );
    Ok(report)
}

/// Departments breadth-first from the root (parents before children), then each one's users.
async fn walk(client: &DingTalkClient) -> Result<Walk, DingTalkError> {
    let root = client.department_get(ROOT_DEPT_ID).await?;
    let mut departments = vec![Department { parent_id: None, ..root }];
    let mut seen = HashSet::from([ROOT_DEPT_ID]);
    let mut queue = VecDeque::from([ROOT_DEPT_ID]);
    while let Some(dept_id) = queue.pop_front() {
        if departments.len() >= MAX_DEPARTMENTS {
            return Err(DingTalkError::Protocol(format!("more than {MAX_DEPARTMENTS} departments")));
        }
        for child in client.list_sub_departments(dept_id).await? {
            // A department listed twice would be a cycle: walk it once.
            if seen.insert(child.dept_id) {
                queue.push_back(child.dept_id);
                departments.push(Department { parent_id: Some(dept_id), ..child });
            }
        }
    }
    let mut users: HashMap<String, User> = HashMap::new();
    let mut order = Vec::new();
    let mut failed_departments = Vec::new();
    for dept in &departments {
        match list_members(client, dept.dept_id).await {
            Ok(members) => {
                for user in members {
                    if !users.contains_key(&user.userid) {
                        order.push(user.userid.clone());
                    }
                    users.insert(user.userid.clone(), user);
                }
            }
            Err(e) => {
                tracing::warn!(dept_id = dept.dept_id, error = %e, "cannot list the members of a department");
                failed_departments.push((dept.dept_id, e));
            }
        }
    }
    let users = order.into_iter().filter_map(|id| users.remove(&id)).collect();
    Ok(Walk { departments, users, failed_departments })
}

async fn list_members(client: &DingTalkClient, dept_id: i64) -> Result<Vec<User>, DingTalkError> {
    let mut members = Vec::new();
    let mut cursor = 0;
    for _ in 0..MAX_PAGES_PER_DEPARTMENT {
        let page = client.list_users(dept_id, cursor, MAX_PAGE_SIZE).await?;
        members.extend(page.list);
        match page.next_cursor {
            Some(next) if page.has_more && next > cursor => cursor = next,
            _ => return Ok(members),
        }
    }
    Err(DingTalkError::Protocol(format!("department {dept_id} has more than {MAX_PAGES_PER_DEPARTMENT} pages")))
}

async fn finish_run(db: &DatabaseConnection, report: &RunReport) -> anyhow::Result<()> {
    let detail = serde_json::json!({
        "departments": report.departments,
        "users": report.users,
        "failed_departments": report.failed_departments,
        "changes": report.changes,
    });
    sync_run::ActiveModel {
        id: Unchanged(report.run_id),
        finished_at: Set(Some(Utc::now().fixed_offset())),
        status: Set(report.status),
        rows_stored: Set(report.changes.total() as i64),
        error: Set(report.error.clone()),
        detail: Set(Some(detail)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}
