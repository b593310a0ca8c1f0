//! One supervisor for every background job: the scheduler and the runs it starts, runs started
//! by administrators, the demo's first directory sync, cache warming. Each job watches the
//! supervisor's cancellation token and stops at its next safe point (a page boundary, a send
//! batch) once it is cancelled; shutdown cancels, then waits for the jobs up to a grace period.
//!
//! Stopping at a safe point keeps the books right — a page is stored with its resume point in
//! one transaction, a send batch is claimed in the ledger before it goes — and a job dropped
//! after the grace period is no worse than a crash, which the same bookkeeping survives.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A job stopped at a safe point because the process is shutting down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("stopped at a safe point: the service is shutting down")]
pub struct Cancelled;

#[derive(Clone, Default)]
pub struct Supervisor {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    cancel: CancellationToken,
    tracker: TaskTracker,
}

impl Supervisor {
    pub fn new() -> Supervisor {
        Supervisor::default()
    }

    /// The token jobs watch: cancelled when the service shuts down.
    pub fn token(&self) -> CancellationToken {
        self.inner.cancel.clone()
    }

    pub fn is_stopping(&self) -> bool {
        self.inner.cancel.is_cancelled()
    }

    /// Runs `job` under supervision: shutdown waits for it (up to the grace period).
    pub fn spawn<F>(&self, job: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.tracker.spawn(job)
    }

    /// Asks every job to stop at its next safe point; new jobs see the token cancelled at once.
    pub fn cancel(&self) {
        self.inner.cancel.cancel();
    }

    /// Cancels every job and waits up to `grace` for them to stop. Whether they all did.
    pub async fn shutdown(&self, grace: Duration) -> bool {
        self.cancel();
        self.inner.tracker.close();
        let stopped = tokio::time::timeout(grace, self.inner.tracker.wait()).await.is_ok();
        if !stopped {
            tracing::warn!(
                jobs = self.inner.tracker.len(),
                grace_secs = grace.as_secs_f64(),
                "background jobs did not reach a safe point in time; they are dropped"
            );
        }
        stopped
    }

    /// Jobs still running.
    pub fn running(&self) -> usize {
        self.inner.tracker.len()
    }
}

/// Runs `work` unless `token` is cancelled first (then `Err(Cancelled)`, and `work` is
/// dropped). For steps that may be dropped at any await point without harm: reads, calls whose
/// outcome is recorded only after they return, backoff sleeps.
pub async fn unless_cancelled<T>(token: &CancellationToken, work: impl Future<Output = T>) -> Result<T, Cancelled> {
    tokio::select! {
        biased;
        () = token.cancelled() => Err(Cancelled),
        out = work => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn shutdown_waits_for_a_job_that_reaches_its_safe_point() {
        let s = Supervisor::new();
        let token = s.token();
        let (tx, rx) = tokio::sync::oneshot::channel();
        s.spawn(async move {
            let mut pages = 0;
            // A page at a time; the token is checked between pages.
            while !token.is_cancelled() {
                pages += 1;
                tokio::task::yield_now().await;
            }
            tx.send(pages).unwrap();
        });
        tokio::task::yield_now().await;
        assert!(s.shutdown(Duration::from_secs(5)).await);
        assert!(rx.await.unwrap() >= 1);
        assert_eq!(s.running(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_job_that_ignores_the_token_is_given_up_after_the_grace_period() {
        let s = Supervisor::new();
        s.spawn(std::future::pending::<()>());
        let started = tokio::time::Instant::now();
        assert!(!s.shutdown(Duration::from_secs(3)).await);
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }

    #[tokio::test]
    async fn a_cancelled_step_is_dropped() {
        let token = CancellationToken::new();
        assert_eq!(unless_cancelled(&token, async { 7 }).await, Ok(7));
        token.cancel();
        assert_eq!(unless_cancelled(&token, std::future::pending::<()>()).await, Err(Cancelled));
    }
}
