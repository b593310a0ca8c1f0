//! Background jobs: the scheduler, the DingTalk directory sync, the upstream feed sync and the
//! roll-up after it. Each job also runs by hand (`canmou sync feed|directory`,
//! `POST /api/v1/admin/sync/feed/run`) and, in tests, directly ("run until idle").

pub mod briefing;
pub mod directory;
pub mod feed;
pub mod records;
pub mod rollup;
pub mod scheduler;
pub mod warm;

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::feed::FeedClient;
use crate::state::AppState;
use crate::store::sync::Claim;

/// What a job works with.
#[derive(Clone)]
pub struct Context {
    pub db: DatabaseConnection,
    /// What the syncs write their pages through ([`crate::db::connect_sync_writer`]).
    pub sync_db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub feed: FeedClient,
    /// The running server's state, reloaded and warmed after a sync; `None` from the command
    /// line.
    pub state: Option<Arc<AppState>>,
    /// Cancelled at shutdown: runs stop at their next page boundary.
    pub cancel: CancellationToken,
}

impl Context {
    /// A context for the command line: no server to refresh.
    pub async fn standalone(db: DatabaseConnection, settings: Settings) -> anyhow::Result<Context> {
        let feed = FeedClient::new(&settings.feed)?;
        let sync_db = crate::db::connect_sync_writer(&settings.database, &db).await?;
        Ok(Context { db, sync_db, settings: Arc::new(settings), feed, state: None, cancel: CancellationToken::new() })
    }

    /// Runs stop at their next safe point once `cancel` is cancelled.
    pub fn with_cancel(mut self, cancel: CancellationToken) -> Context {
        self.cancel = cancel;
        self
    }

    /// How long a feed or record run may show no progress before it is taken for dead
    /// (`feed.stale_run_secs`, at most a year).
    pub fn stale_after(&self) -> chrono::Duration {
        chrono::Duration::seconds(self.settings.feed.stale_run_secs.min(366 * 86_400) as i64)
    }

    /// A context inside the server.
    pub fn in_server(state: Arc<AppState>) -> Context {
        Context {
            db: state.db.clone(),
            sync_db: state.sync_db.clone(),
            settings: state.settings.clone(),
            feed: state.feed.clone(),
            cancel: state.jobs.token(),
            state: Some(state),
        }
    }
}

/// How often a running job says it is alive. A run whose process died stops beating, and the
/// next claim closes it once its stale window (a few beats) has passed.
pub const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(5);

/// Touches a job's state every [`HEARTBEAT`] until dropped.
pub(crate) struct Heartbeat(tokio::task::JoinHandle<()>);

impl Heartbeat {
    pub(crate) fn start(db: DatabaseConnection, job: Job) -> Heartbeat {
        Heartbeat(tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                if let Err(e) = crate::store::sync::touch(&db, job.as_str()).await {
                    tracing::warn!(error = %e, %job, "could not record a run's heartbeat");
                }
            }
        }))
    }
}

/// Claims a run of `job`, here or on another instance; `Busy` while one is in progress. A
/// running run silent for `stale_after` belonged to a process that died and is closed first.
pub(crate) async fn claim(
    db: &DatabaseConnection,
    job: Job,
    trigger: RunTrigger,
    stale_after: chrono::Duration,
) -> Result<i64, RunError> {
    match crate::store::sync::claim(db, job, trigger, stale_after).await? {
        Claim::Started(id) => Ok(id),
        Claim::Busy(run) => Err(RunError::Busy(Busy { job, run })),
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What started a run (`sync_runs.trigger`), which job it is, and why it could not start.
pub use entities::sync_run::{Busy, Job, RunTrigger};

/// Why a job could not be run: one of its kind is running already, or its bookkeeping failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for RunError {
    fn from(e: crate::store::StoreError) -> Self {
        RunError::Other(anyhow::Error::new(e).context("sync bookkeeping"))
    }
}

impl From<sea_orm::DbErr> for RunError {
    fn from(e: sea_orm::DbErr) -> Self {
        crate::store::StoreError::from(e).into()
    }
}

/// Starts a sync by hand inside the server: claimed now (`Busy` while one of its kind runs
/// here or on another instance), run in the background under the server's supervisor, so that a
/// shutdown stops it at its next safe point. Polled through its run id.
pub async fn start_by_hand(state: Arc<AppState>, job: Job) -> Result<i64, RunError> {
    let jobs = state.jobs.clone();
    let trigger = RunTrigger::Manual;
    match job {
        Job::Directory => {
            let run_id = directory::start(&state.db, trigger).await?;
            jobs.spawn(async move {
                if let Err(e) = directory::execute_in_server(&state, run_id).await {
                    tracing::error!(run = run_id, error = ?e, "directory sync failed");
                }
            });
            Ok(run_id)
        }
        Job::Feed => {
            let ctx = Context::in_server(state);
            let run_id = feed::start(&ctx, trigger).await?;
            jobs.spawn(async move {
                feed::execute(&ctx, run_id).await;
            });
            Ok(run_id)
        }
        Job::Records => {
            let ctx = Context::in_server(state);
            let run_id = records::start(&ctx, trigger).await?;
            jobs.spawn(async move {
                records::execute(&ctx, run_id).await;
            });
            Ok(run_id)
        }
        Job::Briefing => Err(RunError::Other(anyhow::anyhow!("a briefing run by hand needs its date and audience"))),
    }
}

/// The jobs the scheduler runs, by name, with their cron expressions from `schedule.*`.
pub fn scheduled_jobs(ctx: &Context) -> anyhow::Result<Vec<scheduler::Job>> {
    let s = &ctx.settings.schedule;
    let mut jobs = Vec::new();
    if ctx.feed.base_url().is_empty() {
        tracing::warn!("feed.base_url is not set: the feed sync is not scheduled");
    } else {
        jobs.push(feed_job(ctx, &s.feed)?);
    }
    // The directory sync needs the DingTalk client, which only the server's state holds.
    if let Some(state) = ctx.state.clone() {
        // Briefings claim each (user, date) in the ledger before sending: an overlapping or
        // second run cannot send twice.
        let brief = state.clone();
        jobs.push(scheduler::Job::new("briefing", &s.briefing, move || {
            let state = brief.clone();
            Box::pin(async move {
                briefing::run_once(&state, chrono::Utc::now()).await?;
                Ok(())
            })
        })?);
        let reconcile = state.clone();
        jobs.push(scheduler::Job::new("briefing_reconcile", &s.briefing_reconcile, move || {
            let state = reconcile.clone();
            Box::pin(async move {
                briefing::reconcile(&state, chrono::Utc::now()).await?;
                Ok(())
            })
        })?);
        jobs.push(scheduler::Job::new("directory", &s.directory, move || {
            let state = state.clone();
            Box::pin(async move {
                match directory::run_in_server(&state, RunTrigger::Schedule).await {
                    // Another instance's run is going: this occurrence has nothing to do.
                    Ok(_) | Err(RunError::Busy(_)) => Ok(()),
                    Err(e) => Err(anyhow::Error::new(e)),
                }
            })
        })?);
    }
    Ok(jobs)
}

fn feed_job(ctx: &Context, pattern: &str) -> anyhow::Result<scheduler::Job> {
    let ctx = ctx.clone();
    scheduler::Job::new("feed", pattern, move || {
        let ctx = ctx.clone();
        Box::pin(async move {
            let aggregates = match feed::run(&ctx, RunTrigger::Schedule).await {
                // Another instance's manual run is going: this occurrence has nothing to do.
                Ok(_) | Err(RunError::Busy(_)) => Ok(()),
                Err(e) => Err(anyhow::Error::new(e)),
            };
            // The records behind the numbers come from the same platform, on the same schedule.
            let records = records::run_scheduled(&ctx).await;
            aggregates.and(records)
        })
    })
}

/// Rows a page needs before PostgreSQL writes it as two halves.
const SPLIT_ROWS: usize = 2_000;

/// A run that writes this many rows into a table is a bulk load.
pub const BULK_ROWS: u64 = 100_000;

/// Refreshes PostgreSQL's statistics of `tables` (`ANALYZE`, comma-separated) when a run wrote
/// a bulk load (`rows` ≥ [`BULK_ROWS`]) into them. Stale statistics take a metric or an org
/// loaded since for empty, and the planner then reads a whole metric's rows for a handful of
/// orgs: a breakdown of a records-backed indicator took 130–200 ms instead of 2. Autovacuum
/// would catch up, but only after a tenth of the table changed. Nothing on SQLite; a failure
/// is logged and the run goes on.
pub async fn analyze_after_bulk(db: &DatabaseConnection, tables: &str, rows: u64) {
    if rows < BULK_ROWS || db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return;
    }
    if let Err(e) = sea_orm::ConnectionTrait::execute_unprepared(db, &format!("ANALYZE {tables}")).await {
        tracing::warn!(error = %e, tables, "could not refresh the statistics after a bulk load");
    }
}

/// Whether a sync page of `rows` rows is written as two halves in two transactions at once:
/// on PostgreSQL, where one server process writing a page was the bottleneck and a second
/// one takes the other core (SQLite has one writer). A page holds a key once, so the halves
/// never touch the same row. The first half's transaction also marks what the whole page
/// changed and commits first; the second carries the page's bookkeeping and resume point and
/// commits last: a crash between the two commits leaves the resume point before the page, and
/// a replayed page changes nothing stored (a correction wins only when it is not older).
pub(crate) fn split_page(db: &DatabaseConnection, rows: usize) -> bool {
    db.get_database_backend() == sea_orm::DbBackend::Postgres && rows >= SPLIT_ROWS
}

/// Lets a sync page's transaction commit without waiting for the disk, when another page
/// follows it: on PostgreSQL `SET LOCAL synchronous_commit = off`, for this transaction only
/// (SQLite has no such setting a transaction). A crash may then lose the last few pages'
/// commits, each whole and with its resume point, so the next run fetches them again; nothing
/// is half stored. The run's last page commits durably, and with it every page before it: the
/// log is written in order.
pub(crate) async fn commit_lazily(txn: &sea_orm::DatabaseTransaction) -> Result<(), sea_orm::DbErr> {
    use sea_orm::ConnectionTrait;
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL synchronous_commit = off").await?;
    }
    Ok(())
}
