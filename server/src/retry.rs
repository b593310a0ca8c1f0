//! The one retry policy of the outbound clients (DingTalk, the feed): exponential backoff with
//! jitter from `backon`, a cap on retries, and a wall-clock budget that counts the calls as well
//! as the waits. Each client keeps its own error table — which failures to retry — and hands
//! the waiting to [`backon::Retryable`] with this policy's [`RetryPolicy::backoff`] and
//! [`Budget::allows`].

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first wait; each further one doubles.
    pub base: Duration,
    /// No wait is longer, jitter included.
    pub max_delay: Duration,
    /// Retries after the first attempt; the budget bounds them as well.
    pub max_retries: usize,
    /// Time for a call and all its retries, waits included.
    pub budget: Duration,
}

impl RetryPolicy {
    /// The waits between attempts: each step doubles from `base`, and a wait is its step plus up
    /// to as much again at random (so that callers throttled together do not come back
    /// together) — at least `base`, never more than `max_delay`.
    pub fn backoff(&self) -> ExponentialBackoff {
        // backon's jitter adds up to the step itself: the cap on steps is half the cap on waits.
        let step_cap = (self.max_delay / 2).max(self.base);
        ExponentialBuilder::new()
            .with_min_delay(self.base)
            .with_max_delay(step_cap)
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(self.max_retries)
            .build()
    }

    /// The budget of a call starting now.
    pub fn start(&self) -> Budget {
        let started = Instant::now();
        Budget { started, deadline: started + self.budget }
    }
}

/// What is left of one call's budget.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    started: Instant,
    deadline: Instant,
}

impl Budget {
    /// `wait`, if waiting it still leaves time for another attempt before the deadline.
    pub fn allows(&self, wait: Duration) -> Option<Duration> {
        (Instant::now() + wait < self.deadline).then_some(wait)
    }

    /// The time left (an attempt's timeout is never longer).
    pub fn left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_retries: usize) -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_millis(100),
            max_delay: Duration::from_millis(1_000),
            max_retries,
            budget: Duration::from_secs(60),
        }
    }

    #[test]
    fn waits_double_with_bounded_jitter_up_to_the_cap() {
        let waits: Vec<Duration> = policy(30).backoff().collect();
        assert_eq!(waits.len(), 30);
        for (i, wait) in waits.iter().enumerate() {
            let step = Duration::from_millis((100u64 << i.min(20)).min(500));
            assert!(*wait >= step && *wait <= step * 2, "retry {}: {wait:?} vs step {step:?}", i + 1);
            assert!(*wait <= Duration::from_millis(1_000));
        }
    }

    #[test]
    fn retries_stop_at_the_cap() {
        assert_eq!(policy(3).backoff().count(), 3);
        assert_eq!(policy(0).backoff().count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_refuses_a_wait_past_its_deadline() {
        let budget = RetryPolicy { budget: Duration::from_secs(1), ..policy(3) }.start();
        assert_eq!(budget.allows(Duration::from_millis(900)), Some(Duration::from_millis(900)));
        tokio::time::advance(Duration::from_millis(200)).await;
        assert_eq!(budget.allows(Duration::from_millis(900)), None);
        assert_eq!(budget.left(), Duration::from_millis(800));
        assert_eq!(budget.elapsed(), Duration::from_millis(200));
    }
}
