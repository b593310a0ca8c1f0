//! The pace of the client: a token bucket shared by every caller (governor's GCRA), and the
//! pause that follows an IP ban.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
// tokio's clock: tests pause and advance it instead of sleeping through a ban.
use tokio::time::Instant;

use super::error::DingTalkError;

pub(crate) struct Limiter {
    bucket: DefaultDirectRateLimiter,
    pause: Duration,
    banned_until: Mutex<Option<(Instant, DateTime<Utc>)>>,
}

impl Limiter {
    /// `qps` calls a second, evenly spaced: a burst of one. DingTalk counts calls per second
    /// window, so a full burst at the start of a window followed by the steady rate could put
    /// nearly twice the limit into one window.
    pub fn new(qps: u32, pause: Duration) -> Limiter {
        let qps = NonZeroU32::new(qps).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_second(qps).allow_burst(NonZeroU32::MIN);
        Limiter { bucket: RateLimiter::direct(quota), pause, banned_until: Mutex::new(None) }
    }

    /// Waits for the next slot; refuses at once while a ban lasts.
    pub async fn acquire(&self) -> Result<(), DingTalkError> {
        self.check_ban()?;
        self.bucket.until_ready().await;
        self.check_ban()
    }

    /// Starts (or extends) the pause after DingTalk banned our IP; returns the error to report.
    pub fn ban(&self) -> DingTalkError {
        let until = (Instant::now() + self.pause, Utc::now() + self.pause);
        *self.banned_until.lock().unwrap_or_else(|e| e.into_inner()) = Some(until);
        tracing::error!(pause_ms = self.pause.as_millis() as u64, "DingTalk banned our egress IP; pausing every call");
        DingTalkError::IpBanned { until: until.1 }
    }

    fn check_ban(&self) -> Result<(), DingTalkError> {
        let mut slot = self.banned_until.lock().unwrap_or_else(|e| e.into_inner());
        match *slot {
            Some((until, at)) if Instant::now() < until => Err(DingTalkError::IpBanned { until: at }),
            Some(_) => {
                *slot = None;
                Ok(())
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_are_spaced_at_the_configured_rate() {
        let limiter = Limiter::new(50, Duration::from_secs(1));
        // The bucket keeps governor's own clock: real time.
        let start = std::time::Instant::now();
        for _ in 0..6 {
            assert!(limiter.acquire().await.is_ok());
        }
        // Six calls at 50/s: the first at once, then one every 20 ms.
        assert!(start.elapsed() >= Duration::from_millis(95), "{:?}", start.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn a_ban_refuses_calls_until_the_pause_ends() {
        let limiter = Limiter::new(100, Duration::from_millis(50));
        assert!(matches!(limiter.ban(), DingTalkError::IpBanned { .. }));
        assert!(matches!(limiter.acquire().await, Err(DingTalkError::IpBanned { .. })));
        tokio::time::advance(Duration::from_millis(49)).await;
        assert!(matches!(limiter.acquire().await, Err(DingTalkError::IpBanned { .. })));
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(limiter.acquire().await.is_ok());
    }
}
