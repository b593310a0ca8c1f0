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

use crate::config::Settings;
use crate::feed::FeedClient;
use crate::state::AppState;

/// What a job works with.
#[derive(Clone)]
pub struct Context {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub feed: FeedClient,
    /// The running server's state, reloaded and warmed after a sync; `None` from the command
    /// line.
    pub state: Option<Arc<AppState>>,
}

impl Context {
    /// A context for the command line: no server to refresh.
    pub fn standalone(db: DatabaseConnection, settings: Settings) -> anyhow::Result<Context> {
        let feed = FeedClient::new(&settings.feed)?;
        Ok(Context { db, settings: Arc::new(settings), feed, state: None })
    }

    /// A context inside the server.
    pub fn in_server(state: Arc<AppState>) -> Context {
        Context { db: state.db.clone(), settings: state.settings.clone(), feed: state.feed.clone(), state: Some(state) }
    }
}

/// Why a run happened (`sync_runs.trigger`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Manual,
}

impl Trigger {
    pub const fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Manual => "manual",
        }
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
                directory::run(&state.db, &state.dingtalk, Trigger::Schedule, &state.tz).await?;
                state.reload().await?;
                state.principals.invalidate_all();
                Ok(())
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
            let aggregates = match feed::run(&ctx, Trigger::Schedule).await {
                // Another instance's manual run is going: this occurrence has nothing to do.
                Ok(_) | Err(feed::RunError::Busy(_)) => Ok(()),
                Err(e) => Err(anyhow::Error::new(e)),
            };
            // The records behind the numbers come from the same platform, on the same schedule.
            let records = records::run_scheduled(&ctx).await;
            aggregates.and(records)
        })
    })
}
