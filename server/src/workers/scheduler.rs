//! The in-process scheduler: cron expressions in business time, a misfire policy, and
//! leadership so that with several instances only one runs schedules.
//!
//! - Cron parsing is croner's (5 fields, or 6 with seconds first; `@daily` and friends).
//! - Misfire: when a tick finds a job due, the latest missed occurrence decides — late by at
//!   most `misfire_grace`, the job runs once (however many occurrences were missed); later, it
//!   is logged and skipped until the next occurrence.
//! - Leadership: on PostgreSQL, a session advisory lock (`pg_try_advisory_lock`) held on a
//!   dedicated connection; followers try again every `leader_poll` and the leader checks its
//!   connection as often, so a dead leader's lock (released by PostgreSQL with its session) is
//!   taken over within that period. On SQLite there is one instance: always the leader.
//! - Time is passed in: `tick(now)` does one step, so tests drive the scheduler without
//!   sleeping; `run` ticks every second with the clock.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use croner::Cron;
use sea_orm::sqlx::{Connection, PgConnection};
use tokio::task::JoinHandle;

pub use crate::config::parse_cron;
use crate::supervisor::Supervisor;

/// The advisory lock key of the scheduler's leader ("canmou" in ASCII).
pub const LEADER_LOCK_KEY: i64 = 0x0000_6361_6e6d_6f75;

pub type JobFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;
pub type JobFn = Arc<dyn Fn() -> JobFuture + Send + Sync>;

/// A named job on a schedule.
#[derive(Clone)]
pub struct Job {
    pub name: &'static str,
    cron: Cron,
    run: JobFn,
}

impl Job {
    pub fn new<F>(name: &'static str, pattern: &str, run: F) -> anyhow::Result<Job>
    where
        F: Fn() -> JobFuture + Send + Sync + 'static,
    {
        let cron = parse_cron(pattern).map_err(|e| anyhow::anyhow!("schedule of `{name}`: `{pattern}`: {e}"))?;
        Ok(Job { name, cron, run: Arc::new(run) })
    }

    /// The first occurrence strictly after `t`, in business time.
    fn next_after(&self, t: DateTime<Utc>, tz: &chrono_tz::Tz) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&t.with_timezone(tz), false).ok().map(|t| t.with_timezone(&Utc))
    }
}

/// Who runs schedules.
pub enum Leadership {
    /// One instance (SQLite): always the leader.
    Single,
    /// Several instances on PostgreSQL: whoever holds the advisory lock.
    Postgres {
        url: String,
        key: i64,
        poll: Duration,
        conn: Option<PgConnection>,
        checked: Option<tokio::time::Instant>,
    },
}

impl Leadership {
    /// By the database URL: PostgreSQL elects, SQLite does not need to.
    pub fn for_url(url: &str, poll: Duration) -> Leadership {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Leadership::Postgres { url: url.to_owned(), key: LEADER_LOCK_KEY, poll, conn: None, checked: None }
        } else {
            Leadership::Single
        }
    }

    /// Whether we lead now: tries to take the lock (a follower) or checks we still hold it
    /// (the leader), at most once per poll period.
    pub async fn ensure(&mut self) -> bool {
        let Leadership::Postgres { url, key, poll, conn, checked } = self else { return true };
        let now = tokio::time::Instant::now();
        if checked.is_some_and(|c| now.duration_since(c) < *poll) {
            return conn.is_some();
        }
        *checked = Some(now);
        let timeout = Duration::from_secs(10);
        if let Some(c) = conn.as_mut() {
            let alive = tokio::time::timeout(timeout, sea_orm::sqlx::query("SELECT 1").execute(&mut *c)).await;
            if matches!(alive, Ok(Ok(_))) {
                return true;
            }
            tracing::warn!("lost the scheduler's leader connection; no longer the leader");
            *conn = None;
        }
        let attempt = async {
            let mut c = PgConnection::connect(url).await?;
            let got: bool =
                sea_orm::sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(*key).fetch_one(&mut c).await?;
            Ok::<_, sea_orm::sqlx::Error>(got.then_some(c))
        };
        match tokio::time::timeout(timeout, attempt).await {
            Ok(Ok(Some(c))) => {
                tracing::info!("became the scheduler's leader");
                *conn = Some(c);
                true
            }
            Ok(Ok(None)) => false,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not try the scheduler's leader lock");
                false
            }
            Err(_) => {
                tracing::warn!("trying the scheduler's leader lock timed out");
                false
            }
        }
    }

    /// Gives leadership up (on shutdown): another instance takes over at its next poll.
    pub async fn release(&mut self) {
        if let Leadership::Postgres { key, conn, .. } = self
            && let Some(mut c) = conn.take()
        {
            let _ = sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)").bind(*key).execute(&mut c).await;
            let _ = c.close().await;
        }
    }

    pub fn is_leader(&self) -> bool {
        match self {
            Leadership::Single => true,
            Leadership::Postgres { conn, .. } => conn.is_some(),
        }
    }
}

/// What a tick did for one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The job started (late by this much).
    Started { job: &'static str, late: Duration },
    /// Late by more than the misfire window: skipped.
    Skipped { job: &'static str, late: Duration, missed: u32 },
    /// Due, but its previous run is still going.
    StillRunning { job: &'static str },
    /// Due, but another instance leads.
    Follower { job: &'static str },
}

struct Slot {
    job: Job,
    next: Option<DateTime<Utc>>,
    running: Option<JoinHandle<()>>,
}

pub struct Scheduler {
    slots: Vec<Slot>,
    tz: chrono_tz::Tz,
    grace: Duration,
    leader: Leadership,
    /// Runs are spawned under it; its cancellation stops [`Scheduler::run`].
    supervisor: Supervisor,
}

impl Scheduler {
    /// Schedules `jobs` from `now` on: occurrences before `now` are not caught up.
    pub fn new(jobs: Vec<Job>, tz: chrono_tz::Tz, grace: Duration, leader: Leadership, now: DateTime<Utc>) -> Self {
        let slots = jobs
            .into_iter()
            .map(|job| {
                let next = job.next_after(now, &tz);
                Slot { job, next, running: None }
            })
            .collect();
        Scheduler { slots, tz, grace, leader, supervisor: Supervisor::new() }
    }

    /// Spawns runs under `supervisor`, and stops ticking when it cancels.
    pub fn supervised_by(mut self, supervisor: Supervisor) -> Self {
        self.supervisor = supervisor;
        self
    }

    pub fn is_leader(&self) -> bool {
        self.leader.is_leader()
    }

    /// Tries to lead now (at most once per poll period); whether we lead.
    pub async fn ensure_leader(&mut self) -> bool {
        self.leader.ensure().await
    }

    /// The next time each job is due.
    pub fn next_due(&self) -> Vec<(&'static str, Option<DateTime<Utc>>)> {
        self.slots.iter().map(|s| (s.job.name, s.next)).collect()
    }

    /// One step at time `now`: starts the jobs that are due, if we lead.
    pub async fn tick(&mut self, now: DateTime<Utc>) -> Vec<Event> {
        let leader = self.leader.ensure().await;
        let mut events = Vec::new();
        for slot in &mut self.slots {
            let Some(mut due) = slot.next.filter(|n| *n <= now) else { continue };
            // The latest occurrence not after `now` decides; the loop is bounded.
            let mut missed = 0u32;
            while let Some(n) = slot.job.next_after(due, &self.tz).filter(|n| *n <= now) {
                due = n;
                missed += 1;
                if missed >= 100_000 {
                    break;
                }
            }
            slot.next = slot.job.next_after(now, &self.tz);
            let late = (now - due).to_std().unwrap_or_default();
            let name = slot.job.name;
            if !leader {
                events.push(Event::Follower { job: name });
                continue;
            }
            if late > self.grace {
                tracing::warn!(
                    job = name,
                    late_secs = late.as_secs(),
                    missed,
                    "a schedule was missed by more than the misfire window; skipped"
                );
                events.push(Event::Skipped { job: name, late, missed });
                continue;
            }
            if slot.running.as_ref().is_some_and(|h| !h.is_finished()) {
                tracing::warn!(job = name, "due again while its previous run is still going; skipped");
                events.push(Event::StillRunning { job: name });
                continue;
            }
            let fut = (slot.job.run)();
            slot.running = Some(self.supervisor.spawn(async move {
                if let Err(e) = fut.await {
                    tracing::error!(job = name, error = ?e, "scheduled job failed");
                }
            }));
            events.push(Event::Started { job: name, late });
        }
        events
    }

    /// Waits for the runs in progress to end ("run until idle").
    pub async fn until_idle(&mut self) {
        for slot in &mut self.slots {
            if let Some(h) = slot.running.take() {
                let _ = h.await;
            }
        }
    }

    /// Gives leadership up.
    pub async fn stop(&mut self) {
        self.leader.release().await;
    }

    /// Ticks with the clock every second until the supervisor cancels; then gives leadership
    /// up (the runs in progress stop at their own safe points, awaited by the supervisor).
    pub async fn run(mut self) {
        tracing::info!(jobs = ?self.next_due(), "scheduler started");
        let stop = self.supervisor.token();
        while !stop.is_cancelled() {
            self.tick(Utc::now()).await;
            tokio::select! {
                () = stop.cancelled() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
        self.stop().await;
        tracing::info!("scheduler stopped");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn counting(pattern: &str) -> (Job, Arc<AtomicUsize>) {
        let n = Arc::new(AtomicUsize::new(0));
        let c = n.clone();
        let job = Job::new("count", pattern, move || {
            let c = c.clone();
            Box::pin(async move {
                c.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
        })
        .unwrap();
        (job, n)
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(parse_cron("*/5 * * * *").is_ok());
        assert!(parse_cron("0 0 2 * * *").is_ok());
        assert!(parse_cron("every five minutes").is_err());
    }

    #[tokio::test]
    async fn schedules_are_in_business_time() {
        // 02:00 in Shanghai is 18:00 UTC the day before.
        let (job, n) = counting("0 2 * * *");
        let tz = chrono_tz::Asia::Shanghai;
        let mut s =
            Scheduler::new(vec![job], tz, Duration::from_secs(60), Leadership::Single, at("2026-11-26T12:00:00Z"));
        assert_eq!(s.next_due()[0].1, Some(at("2026-11-26T18:00:00Z")));
        assert!(s.tick(at("2026-11-26T17:59:59Z")).await.is_empty());
        let events = s.tick(at("2026-11-26T18:00:10Z")).await;
        s.until_idle().await;
        assert_eq!(events, vec![Event::Started { job: "count", late: Duration::from_secs(10) }]);
        assert_eq!(n.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_run_late_within_the_window_happens_once_and_a_later_one_is_skipped() {
        let (job, n) = counting("*/5 * * * *");
        let tz = chrono_tz::Asia::Shanghai;
        let mut s =
            Scheduler::new(vec![job], tz, Duration::from_secs(120), Leadership::Single, at("2026-11-26T00:00:30Z"));
        // Three occurrences missed (00:05, 00:10, 00:15); the latest is 60 s late: one run.
        let events = s.tick(at("2026-11-26T00:16:00Z")).await;
        s.until_idle().await;
        assert_eq!(events, vec![Event::Started { job: "count", late: Duration::from_secs(60) }]);
        assert_eq!(n.load(Ordering::SeqCst), 1);
        // 00:20 seen at 00:24: four minutes late, beyond the window.
        let events = s.tick(at("2026-11-26T00:24:00Z")).await;
        assert!(matches!(events[..], [Event::Skipped { late, .. }] if late == Duration::from_secs(240)), "{events:?}");
        assert_eq!(n.load(Ordering::SeqCst), 1);
        assert_eq!(s.next_due()[0].1, Some(at("2026-11-26T00:25:00Z")));
    }
}
