//! Per application: a rate (a token bucket in each instance, the setting divided among the
//! instances) and a daily quota (counted in the database, reserved in blocks).
//!
//! The quota's hot path is a decrement in memory: an instance takes a block of calls from the
//! shared counter with one conditional `UPDATE`, and serves from it until it is spent. Blocks
//! shrink as the day's quota runs out (an eighth of what is left), so that the calls stranded
//! in another instance's block at the end of the day are few, and the quota is never exceeded.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicI32, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota as Bucket, RateLimiter};
use sea_orm::DatabaseConnection;

use super::App;

use crate::store::StoreError;

/// What the `RateLimit-*` headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub limit: u64,
    pub remaining: u64,
    /// Seconds until the limit resets (the bucket refills, or the business day ends).
    pub reset_secs: u64,
}

struct Limiter {
    rate: f64,
    bucket: DefaultDirectRateLimiter,
}

/// Token buckets by application.
pub struct Rates {
    instances: u32,
    burst_secs: f64,
    by_app: RwLock<HashMap<i32, Arc<Limiter>>>,
}

impl Rates {
    pub fn new(instances: u32, burst_secs: f64) -> Rates {
        Rates { instances, burst_secs, by_app: RwLock::new(HashMap::new()) }
    }

    fn limiter(&self, app: &App) -> Arc<Limiter> {
        if let Ok(map) = self.by_app.read()
            && let Some(l) = map.get(&app.id)
            && l.rate == app.rate_per_second
        {
            return l.clone();
        }
        let mut map = match self.by_app.write() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let rate = (app.rate_per_second / f64::from(self.instances)).max(0.001);
        let period = Duration::from_secs_f64(1.0 / rate);
        let burst = NonZeroU32::new((rate * self.burst_secs).round().clamp(1.0, 1e6) as u32).unwrap_or(NonZeroU32::MIN);
        let quota =
            Bucket::with_period(period).map_or_else(|| Bucket::per_second(NonZeroU32::MIN), |q| q.allow_burst(burst));
        let l = Arc::new(Limiter { rate: app.rate_per_second, bucket: RateLimiter::direct(quota) });
        map.insert(app.id, l.clone());
        l
    }

    /// Takes one call from the application's bucket; `Err` holds what the 429 says.
    pub fn check(&self, app: &App) -> Result<(), Limits> {
        let l = self.limiter(app);
        let limit = app.rate_per_second.ceil().max(1.0) as u64;
        match l.bucket.check() {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(Limits { limit, remaining: 0, reset_secs: wait.as_secs_f64().ceil().max(1.0) as u64 })
            }
        }
    }

    pub fn forget(&self, app_id: i32) {
        if let Ok(mut map) = self.by_app.write() {
            map.remove(&app_id);
        }
    }
}

/// One application's quota as this instance holds it. Taking a call from a reserved block is
/// a compare-and-swap; only an instance whose block is spent takes the lock and asks the
/// database for the next one.
#[derive(Debug, Default)]
struct Held {
    day: AtomicI32,
    /// Calls reserved and not yet served.
    allowance: AtomicI64,
    /// The shared counter after this instance's last reservation.
    used: AtomicI64,
    /// Held while reserving; holds until when the quota is known to be spent.
    refill: tokio::sync::Mutex<Option<Instant>>,
}

impl Held {
    /// Takes one call from the block, if any is left.
    fn take(&self) -> bool {
        self.allowance.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n > 0).then(|| n - 1)).is_ok()
    }
}

/// The daily quotas held by this instance.
pub struct Quota {
    db: DatabaseConnection,
    block_max: i64,
    by_app: RwLock<HashMap<i32, Arc<Held>>>,
}

/// Whether a call may go ahead, and what the headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub limits: Limits,
}

impl Quota {
    pub fn new(db: DatabaseConnection, block_max: i64) -> Quota {
        Quota { db, block_max, by_app: RwLock::new(HashMap::new()) }
    }

    fn held(&self, app: i32) -> Arc<Held> {
        if let Ok(map) = self.by_app.read()
            && let Some(h) = map.get(&app)
        {
            return h.clone();
        }
        let mut map = match self.by_app.write() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(app).or_default().clone()
    }

    /// Takes one call of `app`'s quota for business day `day`; `reset_secs` is the time to
    /// the end of that day.
    pub async fn take(&self, app: &App, day: i32, reset_secs: u64) -> Result<Verdict, StoreError> {
        let quota = app.daily_quota;
        let h = self.held(app.id);
        let verdict = |allowed: bool| {
            let (used, allowance) = (h.used.load(Ordering::Acquire), h.allowance.load(Ordering::Acquire));
            Verdict {
                allowed,
                limits: Limits {
                    limit: quota.max(0) as u64,
                    remaining: ((quota - used).max(0) + allowance).max(0) as u64,
                    reset_secs,
                },
            }
        };
        if h.day.load(Ordering::Acquire) == day && h.take() {
            return Ok(verdict(true));
        }
        let mut spent_until = h.refill.lock().await;
        if h.day.load(Ordering::Acquire) != day {
            h.allowance.store(0, Ordering::Release);
            h.used.store(0, Ordering::Release);
            h.day.store(day, Ordering::Release);
            *spent_until = None;
        }
        // Another call may have reserved a block while this one waited.
        if h.take() {
            return Ok(verdict(true));
        }
        if spent_until.is_some_and(|t| t > Instant::now()) {
            return Ok(verdict(false));
        }
        let used = h.used.load(Ordering::Acquire);
        let want = if used == 0 { quota / 16 } else { (quota - used) / 8 }.clamp(1, self.block_max);
        match crate::store::open_apps::reserve(&self.db, app.id, day, want, quota).await? {
            Some((granted, used)) => {
                h.used.store(used, Ordering::Release);
                h.allowance.store(granted - 1, Ordering::Release);
                *spent_until = None;
                Ok(verdict(true))
            }
            None => {
                h.used.store(quota, Ordering::Release);
                // A raised quota is seen within a second.
                *spent_until = Some(Instant::now() + Duration::from_secs(1));
                Ok(verdict(false))
            }
        }
    }

    pub fn forget(&self, app_id: i32) {
        if let Ok(mut map) = self.by_app.write() {
            map.remove(&app_id);
        }
    }
}
