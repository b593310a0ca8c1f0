//! Per application: a rate (a token bucket in each instance, the setting divided among the
//! instances) and a daily quota (counted in the database, reserved in blocks).
//!
//! The quota's hot path is a decrement in memory: an instance takes a block of calls from the
//! shared counter with one conditional `UPDATE`, and serves from it until it is spent. Blocks
//! shrink as the day's quota runs out (an eighth of what is left), so that the calls stranded
//! in another instance's block at the end of the day are few, and the quota is never exceeded.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota as Bucket, RateLimiter};
use sea_orm::DatabaseConnection;

use super::App;

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
    by_app: Mutex<HashMap<i32, Arc<Limiter>>>,
}

impl Rates {
    pub fn new(instances: u32, burst_secs: f64) -> Rates {
        Rates { instances, burst_secs, by_app: Mutex::new(HashMap::new()) }
    }

    fn limiter(&self, app: &App) -> Arc<Limiter> {
        let mut map = match self.by_app.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(l) = map.get(&app.id)
            && l.rate == app.rate_per_second
        {
            return l.clone();
        }
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
        if let Ok(mut map) = self.by_app.lock() {
            map.remove(&app_id);
        }
    }
}

/// One application's quota as this instance holds it.
#[derive(Debug, Default)]
struct Held {
    day: i32,
    /// Calls reserved and not yet served.
    allowance: i64,
    /// The shared counter after this instance's last reservation.
    used: i64,
    /// Spent: do not ask the database again before this.
    spent_until: Option<Instant>,
}

/// The daily quotas held by this instance.
pub struct Quota {
    db: DatabaseConnection,
    block_max: i64,
    by_app: Mutex<HashMap<i32, Arc<tokio::sync::Mutex<Held>>>>,
}

/// Whether a call may go ahead, and what the headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub limits: Limits,
}

impl Quota {
    pub fn new(db: DatabaseConnection, block_max: i64) -> Quota {
        Quota { db, block_max, by_app: Mutex::new(HashMap::new()) }
    }

    fn held(&self, app: i32) -> Arc<tokio::sync::Mutex<Held>> {
        let mut map = match self.by_app.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(app).or_default().clone()
    }

    /// Takes one call of `app`'s quota for business day `day`; `reset_secs` is the time to
    /// the end of that day.
    pub async fn take(&self, app: &App, day: i32, reset_secs: u64) -> Result<Verdict, sea_orm::DbErr> {
        let quota = app.daily_quota;
        let held = self.held(app.id);
        let mut h = held.lock().await;
        if h.day != day {
            *h = Held { day, ..Held::default() };
        }
        let verdict = |h: &Held, allowed: bool| Verdict {
            allowed,
            limits: Limits {
                limit: quota.max(0) as u64,
                remaining: ((quota - h.used).max(0) + h.allowance).max(0) as u64,
                reset_secs,
            },
        };
        if h.allowance > 0 {
            h.allowance -= 1;
            return Ok(verdict(&h, true));
        }
        if h.spent_until.is_some_and(|t| t > Instant::now()) {
            return Ok(verdict(&h, false));
        }
        let want = if h.used == 0 { quota / 16 } else { (quota - h.used) / 8 }.clamp(1, self.block_max);
        match crate::store::open_apps::reserve(&self.db, app.id, day, want, quota).await? {
            Some((granted, used)) => {
                h.used = used;
                h.allowance = granted - 1;
                h.spent_until = None;
                Ok(verdict(&h, true))
            }
            None => {
                h.used = quota;
                // A raised quota is seen within a second.
                h.spent_until = Some(Instant::now() + Duration::from_secs(1));
                Ok(verdict(&h, false))
            }
        }
    }

    pub fn forget(&self, app_id: i32) {
        if let Ok(mut map) = self.by_app.lock() {
            map.remove(&app_id);
        }
    }
}
