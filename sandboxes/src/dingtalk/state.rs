//! The sandbox's world: the directory, tokens and login codes, sent notifications, injected
//! faults and call counts, under one lock (never held across an await).

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU32;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::fixture::Directory;

/// What the sandbox pretends to be: the app's credentials and DingTalk's limits.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    pub app_key: String,
    pub app_secret: String,
    pub agent_id: i64,
    pub corp_id: String,
    /// Calls per second per API path before 90018; 0 turns the limiter off.
    pub qps: u32,
    /// Lifetime of an app token, in seconds.
    pub token_ttl_secs: i64,
    /// Work notifications one user may receive a day (143105 beyond).
    pub daily_cap_per_user: usize,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            app_key: "sandbox-app-key".into(),
            app_secret: "sandbox-app-secret".into(),
            agent_id: 4_000_001,
            corp_id: "dingsandboxcorp".into(),
            qps: 20,
            token_ttl_secs: 7200,
            daily_cap_per_user: 500,
        }
    }
}

/// A login code, as `dd.getAuthCode` (mini-program) or the QR scan (web) would give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeKind {
    Miniapp,
    Web,
}

#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    pub userid: String,
    pub kind: CodeKind,
    pub expires_at: DateTime<Utc>,
}

/// An injected fault: the next `times` calls to `path` (every path when absent) are delayed
/// by `delay_ms`, then answered with `body` (a JSON value, or a string sent as an HTML page),
/// or with `errcode`, or with an empty `status`; a fault with only a delay lets the call
/// through afterwards.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub errcode: Option<i64>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub delay_ms: Option<u64>,
    #[serde(default)]
    pub body: Option<Value>,
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

/// Calls per path, and how many were answered with a throttling code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub calls: BTreeMap<String, u64>,
    pub throttled: u64,
}

impl Stats {
    pub fn calls_to(&self, path: &str) -> u64 {
        self.calls.get(path).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.calls.values().sum()
    }
}

/// What happened to one recipient of a work notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxEntry {
    pub task_id: i64,
    pub userid: String,
    pub msg: Value,
    pub at: DateTime<Utc>,
    /// `delivered`, `invalid_user`, `143105` (daily cap) or `143106` (same content today).
    pub outcome: String,
    pub read: bool,
    pub recalled: bool,
}

pub(crate) struct World {
    pub directory: Directory,
    /// The app token and its expiry.
    pub app_token: Option<(String, DateTime<Utc>)>,
    pub codes: HashMap<String, AuthCode>,
    /// User token → (userid, expiry).
    pub user_tokens: HashMap<String, (String, DateTime<Utc>)>,
    pub inbox: Vec<InboxEntry>,
    pub faults: Vec<Fault>,
    pub stats: Stats,
    pub clock_offset: Duration,
    pub limiters: HashMap<String, DefaultDirectRateLimiter>,
    pub next_task_id: i64,
}

pub struct SandboxState {
    pub(crate) options: SandboxOptions,
    world: Mutex<World>,
}

impl SandboxState {
    pub fn new(directory: Directory, options: SandboxOptions) -> SandboxState {
        SandboxState {
            options,
            world: Mutex::new(World {
                directory,
                app_token: None,
                codes: HashMap::new(),
                user_tokens: HashMap::new(),
                inbox: Vec::new(),
                faults: Vec::new(),
                stats: Stats::default(),
                clock_offset: Duration::zero(),
                limiters: HashMap::new(),
                next_task_id: 256_271_667_526,
            }),
        }
    }

    pub fn options(&self) -> &SandboxOptions {
        &self.options
    }

    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        // A panic while holding the lock leaves plain data behind: keep serving it.
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The sandbox's clock: real time, moved on by [`SandboxState::advance_clock`].
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.world().clock_offset
    }

    /// The sandbox's business date (DingTalk counts daily limits in China time).
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
    }

    /// Moves the sandbox's clock on, e.g. past a token's expiry.
    pub fn advance_clock(&self, by: Duration) {
        self.world().clock_offset += by;
    }

    /// Mints a login code for `userid`; `None` when there is no such user.
    pub fn auth_code(&self, userid: &str, kind: CodeKind) -> Option<String> {
        let expires_at = self.now() + Duration::minutes(5);
        let mut world = self.world();
        world.directory.user(userid)?;
        let code = random_id("code");
        world.codes.insert(code.clone(), AuthCode { userid: userid.into(), kind, expires_at });
        Some(code)
    }

    pub fn add_fault(&self, fault: Fault) {
        self.world().faults.push(fault);
    }

    pub fn clear_faults(&self) {
        self.world().faults.clear();
    }

    pub fn stats(&self) -> Stats {
        self.world().stats.clone()
    }

    pub fn reset_stats(&self) {
        self.world().stats = Stats::default();
    }

    /// The notifications for `userid` (all users when `None`) with a task id above `since`.
    pub fn inbox(&self, userid: Option<&str>, since: Option<i64>) -> Vec<InboxEntry> {
        let world = self.world();
        world
            .inbox
            .iter()
            .filter(|e| userid.is_none_or(|u| e.userid == u) && since.is_none_or(|s| e.task_id > s))
            .cloned()
            .collect()
    }

    /// The user opens the notification; returns whether it was there.
    pub fn mark_read(&self, userid: &str, task_id: i64) -> bool {
        let mut world = self.world();
        let entry = world.inbox.iter_mut().find(|e| e.userid == userid && e.task_id == task_id);
        entry.map(|e| e.read = true).is_some()
    }

    /// Changes the directory (move, rename, delete, deactivate, ...).
    pub fn with_directory<R>(&self, change: impl FnOnce(&mut Directory) -> R) -> R {
        change(&mut self.world().directory)
    }

    /// Whether a call to `path` is over the per-path rate.
    pub(crate) fn over_rate(&self, path: &str) -> bool {
        let Some(qps) = NonZeroU32::new(self.options.qps) else {
            return false;
        };
        let mut world = self.world();
        let limiter =
            world.limiters.entry(path.to_owned()).or_insert_with(|| RateLimiter::direct(Quota::per_second(qps)));
        limiter.check().is_err()
    }
}

/// An unguessable id with a readable prefix.
pub(crate) fn random_id(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}
