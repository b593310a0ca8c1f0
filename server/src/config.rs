//! Settings, layered: built-in defaults → an optional TOML file → `CANMOU_…` environment
//! variables (nested keys joined by `__`, e.g. `CANMOU_SERVER__PORT=9000`). Unknown keys and
//! malformed values stop start-up with a message naming the key and where it came from.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The JWT secret used by demo mode. `canmou serve` refuses to start with it.
pub const DEMO_JWT_SECRET: &str = "canmou-demo-secret-do-not-use-in-production";

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub business: BusinessSettings,
    pub auth: AuthSettings,
    pub dingtalk: DingtalkSettings,
    pub feed: FeedSettings,
    pub schedule: ScheduleSettings,
    pub log: LogSettings,
    pub cache: CacheSettings,
    pub briefing: BriefingSettings,
    pub demo: DemoSettings,
    /// The open data API (G+).
    pub open: OpenSettings,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    /// 0 picks a free port (tests do this); the bound port is reported.
    pub port: u16,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Worker threads of the HTTP server; 0 means two per core (see [`Settings::http_workers`]).
    pub workers: usize,
    /// On SIGTERM or SIGINT: seconds for requests in flight and background jobs to finish
    /// (jobs stop at their next safe point) before the process exits anyway. A second signal
    /// exits at once.
    pub shutdown_grace_secs: u64,
    /// The address users reach the service at (`https://canmou.example.gov.cn`): the console's
    /// login callback is built from it, never from a request's `Host`, and the console's cookie
    /// is `Secure` when it is https. Empty: `http://{host}:{port}` (the demo).
    pub public_url: String,
    /// A client that has not sent its request head and body within this many seconds is
    /// dropped (slow senders cannot hold connections).
    pub request_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`. May hold a password: redacted.
    #[serde(serialize_with = "expose")]
    pub url: SecretString,
    pub max_connections: u32,
    /// Seconds to wait for a pooled connection.
    pub acquire_timeout_secs: u64,
    /// SQLite only: the page cache of each connection, in MiB.
    pub sqlite_cache_mb: u32,
    /// SQLite only: the page cache of the one connection the syncs write their pages through,
    /// in MiB; it closes after a minute idle.
    pub sqlite_sync_cache_mb: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessSettings {
    /// IANA time zone of business dates.
    pub timezone: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    #[serde(serialize_with = "expose")]
    pub jwt_secret: SecretString,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    /// Lifetime of an issued token, in seconds.
    pub token_ttl_secs: u64,
    /// How long a mini-program sign-in lasts through refreshes before DingTalk is asked again.
    pub session_ttl_days: u64,
    /// The key id (`kid`) written into tokens signed with `jwt_secret`.
    pub jwt_key_id: String,
    /// During a key rotation: the previous secret, still accepted (never used to sign).
    #[serde(serialize_with = "expose")]
    pub jwt_previous_secret: SecretString,
    pub jwt_previous_key_id: String,
    /// Login attempts allowed per client address and minute.
    pub login_per_minute: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    /// Upper bound of the rendered-answer cache, in MiB.
    pub max_mb: u64,
    /// How often each instance looks for a new data version written by another instance.
    pub version_poll_ms: u64,
    /// How long a signed-in user's role, status and scopes are reused before a reload.
    pub user_ttl_secs: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BriefingSettings {
    /// Local time (`HH:MM`) after which a briefing whose data is still incomplete is replaced
    /// by a "data delayed" notice; no briefing for that date follows it.
    pub deadline: String,
    /// Send attempts per delivery before it is recorded as `failed` (only attempts that
    /// DingTalk surely refused count: a send whose answer was lost is never repeated).
    pub max_attempts: u32,
    /// How long a delivery may stay `sending` before it is taken for a crash and marked
    /// `unknown`, in seconds. Longer than one send call with all its retries.
    pub sending_lease_secs: u64,
    /// Cards listed in a briefing, at most (fewer when the 2048-byte limit is reached).
    pub top_cards: usize,
    /// A card whose move is unfavourable and at least this large (relative, in percent) is
    /// called out as unusual.
    pub unusual_change_pct: f64,
    /// The mini-program page the briefing's button opens (`eapp://{page}?date=…`).
    pub home_page: String,
    /// How often a task's `unread` recipients are checked again for `read`, in seconds.
    pub recheck_unread_secs: u64,
}

impl BriefingSettings {
    /// The deadline in minutes after midnight.
    pub fn deadline_minute(&self) -> Option<u16> {
        crate::domain::briefing::parse_hhmm(&self.deadline)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DingtalkSettings {
    pub app_key: String,
    #[serde(serialize_with = "expose")]
    pub app_secret: SecretString,
    pub agent_id: i64,
    pub corp_id: String,
    /// Old API base (`https://oapi.dingtalk.com`).
    pub oapi_base: String,
    /// New API base (`https://api.dingtalk.com`).
    pub api_base: String,
    /// Where the console's QR login starts (`https://login.dingtalk.com`).
    pub login_base: String,
    /// Calls per second the client allows itself, shared by every caller (DingTalk allows 20
    /// per app per API on the standard edition).
    pub qps: u32,
    /// Time limit of one HTTP call, in milliseconds.
    pub timeout_ms: u64,
    /// Attempts per call, the first included, when DingTalk is busy or throttles.
    pub max_attempts: u32,
    /// Time budget of one call with all its retries, in milliseconds.
    pub retry_budget_ms: u64,
    /// First back-off delay, in milliseconds; doubled at each further retry, with jitter.
    pub retry_base_ms: u64,
    /// How long every call is refused after DingTalk bans our egress IP, in milliseconds.
    pub ip_ban_pause_ms: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSettings {
    /// Base URL of the upstream aggregate feed; empty in demo mode (the sandbox is used).
    pub base_url: String,
    #[serde(serialize_with = "expose")]
    pub token: SecretString,
    /// Rows asked for per page (1..=10000): large pages make large batched upserts.
    pub page_size: u32,
    /// Timeout of one HTTP call to the feed, in seconds.
    pub timeout_secs: u64,
    /// How long one page may be retried (5xx, timeouts, resets, truncated answers, waits on
    /// 429) before the run fails and the watermark stays where it was, in seconds.
    pub retry_budget_secs: u64,
    /// First backoff between retries of a page; doubled each time, with jitter, up to the max.
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    /// Upper bound of pages in one run (a loop bound against a feed that never ends).
    pub max_pages: u32,
    /// A run that has made no progress for this long is considered dead (its process
    /// crashed) and may be replaced by a new one, in seconds.
    pub stale_run_secs: u64,
}

/// The in-process scheduler. Cron expressions (5 fields: minute hour day month weekday, or
/// 6 with seconds first) in business time.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSettings {
    /// Whether `serve` and `demo` run schedules (tests drive jobs directly instead).
    pub enabled: bool,
    /// The upstream feed sync.
    pub feed: String,
    /// The DingTalk directory sync.
    pub directory: String,
    /// The daily briefing: each run sends to the users whose send time has passed.
    pub briefing: String,
    /// Reconciling sent briefings with DingTalk's send results.
    pub briefing_reconcile: String,
    /// A run late by at most this much still happens (once); a later one is skipped, in seconds.
    pub misfire_grace_secs: u64,
    /// How often a follower tries to become the leader (PostgreSQL), in seconds.
    pub leader_poll_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A `tracing` filter, e.g. `info,canmou=debug`. `RUST_LOG` overrides it.
    pub filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DemoScale {
    /// About 600 org nodes: 11 cities, 90 districts, 5 departments under each.
    Standard,
    /// About 2,000 org nodes: 20 departments under each city and district.
    Large,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    /// Where demo mode keeps its SQLite file.
    pub data_dir: PathBuf,
    pub seed: u64,
    pub scale: DemoScale,
    /// Days of history to generate.
    pub days: u32,
    /// The demo's DingTalk sandbox answers every call this many milliseconds late: DingTalk's
    /// own latency, for seeing the demo (its first directory sync, a briefing) at a real pace.
    pub sandbox_delay_ms: u64,
}

fn expose<S: serde::Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    // Only used to feed the defaults into figment; never for display.
    s.serialize_str(secret.expose_secret())
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            server: ServerSettings {
                host: "127.0.0.1".into(),
                port: 8080,
                body_limit: 64 * 1024,
                workers: 0,
                public_url: String::new(),
                request_timeout_secs: 10,
                shutdown_grace_secs: 10,
            },
            database: DatabaseSettings {
                url: SecretString::from("sqlite://data/canmou.db"),
                max_connections: 16,
                acquire_timeout_secs: 5,
                sqlite_cache_mb: 4,
                sqlite_sync_cache_mb: 64,
            },
            business: BusinessSettings { timezone: "Asia/Shanghai".into() },
            auth: AuthSettings {
                jwt_secret: SecretString::from(DEMO_JWT_SECRET),
                jwt_issuer: "canmou".into(),
                jwt_audience: "canmou-miniapp".into(),
                token_ttl_secs: 2 * 3600,
                session_ttl_days: 30,
                jwt_key_id: "k1".into(),
                jwt_previous_secret: SecretString::from(""),
                jwt_previous_key_id: "k0".into(),
                login_per_minute: 20,
            },
            dingtalk: DingtalkSettings {
                app_key: String::new(),
                app_secret: SecretString::from(""),
                agent_id: 0,
                corp_id: String::new(),
                oapi_base: "https://oapi.dingtalk.com".into(),
                api_base: "https://api.dingtalk.com".into(),
                login_base: "https://login.dingtalk.com".into(),
                qps: 20,
                timeout_ms: 5_000,
                max_attempts: 4,
                retry_budget_ms: 20_000,
                retry_base_ms: 1_000,
                ip_ban_pause_ms: 5 * 60 * 1000,
            },
            feed: FeedSettings {
                base_url: String::new(),
                token: SecretString::from(""),
                page_size: 5_000,
                timeout_secs: 30,
                retry_budget_secs: 300,
                backoff_base_ms: 500,
                backoff_max_ms: 30_000,
                max_pages: 100_000,
                stale_run_secs: 30,
            },
            schedule: ScheduleSettings {
                enabled: true,
                feed: "*/5 * * * *".into(),
                directory: "0 2 * * *".into(),
                briefing: "* * * * *".into(),
                briefing_reconcile: "*/5 * * * *".into(),
                misfire_grace_secs: 300,
                leader_poll_secs: 10,
            },
            log: LogSettings { format: LogFormat::Text, filter: "info,sea_orm_migration=warn".into() },
            cache: CacheSettings { max_mb: 32, version_poll_ms: 2000, user_ttl_secs: 30 },
            briefing: BriefingSettings {
                deadline: "10:00".into(),
                max_attempts: 3,
                sending_lease_secs: 120,
                top_cards: 6,
                unusual_change_pct: 10.0,
                home_page: "pages/home/index".into(),
                recheck_unread_secs: 1800,
            },
            demo: DemoSettings {
                data_dir: PathBuf::from("data"),
                seed: 20261127,
                scale: DemoScale::Standard,
                days: 400,
                sandbox_delay_ms: 0,
            },
            open: OpenSettings::default(),
        }
    }
}

/// Why the settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// The HTTP server's worker threads: `server.workers`, or two per core. Each worker runs
    /// its connections on one thread; a worker descheduled while the database (or anything
    /// else on the host) has the core stalls all of them. On the 2-core development machine,
    /// four workers served uncached home screens on PostgreSQL at 2,400 req/s with p99 42–46 ms
    /// against 1,950 req/s and 51–55 ms with two, and no worse anywhere else; eight were worse.
    pub fn http_workers(&self) -> usize {
        match self.server.workers {
            0 => 2 * std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            n => n,
        }
    }

    /// Defaults, then `file` (if given, it must exist), then `CANMOU_…` variables.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError::Invalid(format!("config file {} does not exist", file.display())));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        // `CANMOU_CONFIG` names the file; it is not a setting.
        figment = figment.merge(Env::prefixed("CANMOU_").split("__").ignore(&["config"]));
        let settings: Settings = figment.extract().map_err(Box::new)?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.business.timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "business.timezone: `{}` is not an IANA time zone (e.g. Asia/Shanghai)",
                self.business.timezone
            )));
        }
        let url = self.database.url.expose_secret();
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(ConfigError::Invalid(
                "database.url: expected sqlite://FILE or postgres://… (the value is not shown: it may hold a password)"
                    .into(),
            ));
        }
        if self.auth.token_ttl_secs == 0 || self.auth.token_ttl_secs > 24 * 3600 {
            return Err(ConfigError::Invalid("auth.token_ttl_secs: must be between 1 and 86400".into()));
        }
        if !(1..=365).contains(&self.auth.session_ttl_days) {
            return Err(ConfigError::Invalid("auth.session_ttl_days: must be between 1 and 365".into()));
        }
        if self.server.request_timeout_secs == 0 || self.server.request_timeout_secs > 300 {
            return Err(ConfigError::Invalid("server.request_timeout_secs: must be between 1 and 300".into()));
        }
        let public = self.server.public_url.trim();
        if !(public.is_empty() || public.starts_with("http://") || public.starts_with("https://")) {
            return Err(ConfigError::Invalid(format!(
                "server.public_url: `{public}` must start with http:// or https://"
            )));
        }
        if self.auth.jwt_key_id.is_empty() || self.auth.jwt_key_id == self.auth.jwt_previous_key_id {
            return Err(ConfigError::Invalid(
                "auth.jwt_key_id: must be set and differ from auth.jwt_previous_key_id".into(),
            ));
        }
        let dt = &self.dingtalk;
        if dt.qps == 0 || dt.timeout_ms == 0 || dt.max_attempts == 0 {
            return Err(ConfigError::Invalid(
                "dingtalk.qps / dingtalk.timeout_ms / dingtalk.max_attempts: must be at least 1".into(),
            ));
        }
        if !(1..=10_000).contains(&self.feed.page_size) {
            return Err(ConfigError::Invalid("feed.page_size: must be between 1 and 10000".into()));
        }
        if self.feed.timeout_secs == 0 || self.feed.max_pages == 0 {
            return Err(ConfigError::Invalid("feed.timeout_secs / feed.max_pages: must be at least 1".into()));
        }
        let s = &self.schedule;
        for (key, pattern) in [
            ("schedule.feed", &s.feed),
            ("schedule.directory", &s.directory),
            ("schedule.briefing", &s.briefing),
            ("schedule.briefing_reconcile", &s.briefing_reconcile),
        ] {
            if let Err(e) = parse_cron(pattern) {
                return Err(ConfigError::Invalid(format!("{key}: `{pattern}` is not a cron expression: {e}")));
            }
        }
        if self.schedule.leader_poll_secs == 0 || self.schedule.leader_poll_secs > 60 {
            return Err(ConfigError::Invalid(
                "schedule.leader_poll_secs: must be between 1 and 60 (a dead leader is replaced within a minute)"
                    .into(),
            ));
        }
        let b = &self.briefing;
        if b.deadline_minute().is_none() {
            return Err(ConfigError::Invalid(format!("briefing.deadline: `{}` is not a time HH:MM", b.deadline)));
        }
        if b.max_attempts == 0 || b.top_cards == 0 || b.home_page.is_empty() {
            return Err(ConfigError::Invalid(
                "briefing.max_attempts / briefing.top_cards / briefing.home_page: must be set".into(),
            ));
        }
        if b.sending_lease_secs * 1000 <= self.dingtalk.retry_budget_ms {
            return Err(ConfigError::Invalid(
                "briefing.sending_lease_secs: must be longer than dingtalk.retry_budget_ms".into(),
            ));
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::Invalid("database.max_connections: must be at least 1".into()));
        }
        Ok(())
    }

    /// What `canmou serve` needs beyond what demo mode needs: a real JWT secret and DingTalk
    /// credentials.
    pub fn check_production(&self) -> Result<(), ConfigError> {
        check_signing_key("auth.jwt_secret", "CANMOU_AUTH__JWT_SECRET", self.auth.jwt_secret.expose_secret())?;
        let previous = self.auth.jwt_previous_secret.expose_secret();
        // During a rotation the old key still signs nothing but is still believed: it must be as
        // strong as the current one, and never the public demo secret.
        if !previous.is_empty() {
            check_signing_key("auth.jwt_previous_secret", "CANMOU_AUTH__JWT_PREVIOUS_SECRET", previous)?;
            if previous == self.auth.jwt_secret.expose_secret() {
                return Err(ConfigError::Invalid(
                    "auth.jwt_previous_secret: the same as auth.jwt_secret; leave it empty when not rotating".into(),
                ));
            }
        }
        if self.dingtalk.app_key.is_empty() || self.dingtalk.app_secret.expose_secret().is_empty() {
            return Err(ConfigError::Invalid(
                "dingtalk.app_key / dingtalk.app_secret: DingTalk credentials are required (CANMOU_DINGTALK__APP_KEY, CANMOU_DINGTALK__APP_SECRET)".into(),
            ));
        }
        if self.dingtalk.agent_id <= 0 {
            return Err(ConfigError::Invalid("dingtalk.agent_id: the mini-program's agent id is required".into()));
        }
        if self.dingtalk.corp_id.trim().is_empty() {
            return Err(ConfigError::Invalid(
                "dingtalk.corp_id: the organisation's corp id is required (CANMOU_DINGTALK__CORP_ID): console logins from other organisations are refused by it".into(),
            ));
        }
        Ok(())
    }

    pub fn timezone(&self) -> chrono_tz::Tz {
        self.business.timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
    }
}

/// The strength rules for a signing key: not the demo secret, at least 32 bytes, and not a
/// run of one repeated byte.
fn check_signing_key(key: &str, variable: &str, secret: &str) -> Result<(), ConfigError> {
    if secret == DEMO_JWT_SECRET {
        return Err(ConfigError::Invalid(format!(
            "{key}: the public demo secret; set {variable} to a random string of 32 bytes or more"
        )));
    }
    if secret.len() < 32 {
        return Err(ConfigError::Invalid(format!("{key}: must be at least 32 bytes (set {variable})")));
    }
    let distinct: std::collections::HashSet<u8> = secret.bytes().collect();
    if distinct.len() < 8 {
        return Err(ConfigError::Invalid(format!(
            "{key}: too few distinct characters to be a random key (set {variable} to a random string)"
        )));
    }
    Ok(())
}

/// `[open]` in the settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpenSettings {
    /// The audience of application tokens; must differ from `auth.jwt_audience`, so that a
    /// mini-program token is refused on `/open/` and an application token on `/api/`.
    pub audience: String,
    /// Lifetime of an application token, in seconds.
    pub token_ttl_secs: u64,
    /// How long the previous secret stays valid after a rotation, when the request says
    /// nothing, and the most it may say (seconds).
    pub rotation_overlap_secs: u64,
    pub max_rotation_overlap_secs: u64,
    /// The instances serving the open API: each enforces `ratePerSecond / instances`, so that
    /// the rate holds across them (the daily quota is counted in the database and needs no
    /// such division).
    pub instances: u32,
    /// A rate allows bursts of this many seconds' worth of calls (at least one call).
    pub burst_secs: f64,
    /// The largest quota block an instance reserves from the database at once.
    pub quota_block_max: i64,
    /// Call records are written in batches at least this often (milliseconds).
    pub accounting_flush_ms: u64,
    /// Call records older than this are deleted (days).
    pub accounting_retention_days: u32,
    /// The largest page of `/open/v1/facts`.
    pub max_page: usize,
}

impl Default for OpenSettings {
    fn default() -> OpenSettings {
        OpenSettings {
            audience: "canmou-open".into(),
            token_ttl_secs: 3600,
            rotation_overlap_secs: 24 * 3600,
            max_rotation_overlap_secs: 7 * 24 * 3600,
            instances: 1,
            burst_secs: 0.1,
            quota_block_max: 500,
            accounting_flush_ms: 1000,
            accounting_retention_days: 180,
            max_page: 1000,
        }
    }
}

/// Parses a cron expression (5 fields, or 6 with seconds first): the schedule's settings are
/// checked with it, and the scheduler runs what it returns.
pub fn parse_cron(pattern: &str) -> Result<croner::Cron, String> {
    use std::str::FromStr;
    croner::Cron::from_str(pattern.trim()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    // figment's Jail closures return its (large) error type; that is its API.
    #![allow(clippy::result_large_err)]
    use super::*;
    use figment::Jail;

    #[test]
    fn defaults_are_the_demo_and_not_fit_for_production() {
        Jail::expect_with(|_| {
            let s = Settings::load(None).unwrap();
            assert_eq!(s.server.port, 8080);
            assert_eq!(s.timezone(), chrono_tz::Asia::Shanghai);
            assert!(s.check_production().unwrap_err().to_string().contains("auth.jwt_secret"));
            Ok(())
        });
    }

    #[test]
    fn http_workers_default_to_two_per_core_unless_set() {
        let mut s = Settings::default();
        let cores = std::thread::available_parallelism().unwrap().get();
        assert_eq!(s.http_workers(), 2 * cores);
        s.server.workers = 3;
        assert_eq!(s.http_workers(), 3);
    }

    #[test]
    fn the_environment_overrides_the_file_which_overrides_the_defaults() {
        Jail::expect_with(|jail| {
            jail.create_file("canmou.toml", "[server]\nport = 9000\nhost = \"0.0.0.0\"\n")?;
            jail.set_env("CANMOU_SERVER__PORT", "9100");
            let s = Settings::load(Some(Path::new("canmou.toml"))).unwrap();
            assert_eq!(s.server.port, 9100);
            assert_eq!(s.server.host, "0.0.0.0");
            Ok(())
        });
    }

    #[test]
    fn an_unknown_key_is_named() {
        Jail::expect_with(|jail| {
            jail.create_file("canmou.toml", "[server]\nprot = 9000\n")?;
            let err = Settings::load(Some(Path::new("canmou.toml"))).unwrap_err().to_string();
            assert!(err.contains("prot"), "{err}");
            jail.set_env("CANMOU_SERVR__PORT", "1");
            let err = Settings::load(None).unwrap_err().to_string();
            assert!(err.contains("servr"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn a_malformed_value_is_named() {
        Jail::expect_with(|jail| {
            jail.set_env("CANMOU_SERVER__PORT", "eighty");
            let err = Settings::load(None).unwrap_err().to_string();
            assert!(err.to_lowercase().contains("server.port"), "{err}");
            jail.set_env("CANMOU_SERVER__PORT", "80");
            jail.set_env("CANMOU_BUSINESS__TIMEZONE", "Mars/Olympus");
            let err = Settings::load(None).unwrap_err().to_string();
            assert!(err.contains("business.timezone"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn production_needs_a_real_secret_and_dingtalk_credentials() {
        Jail::expect_with(|jail| {
            jail.set_env("CANMOU_AUTH__JWT_SECRET", "0123456789abcdef0123456789abcdef");
            let err = Settings::load(None).unwrap().check_production().unwrap_err().to_string();
            assert!(err.contains("dingtalk.app_key"), "{err}");
            jail.set_env("CANMOU_DINGTALK__APP_KEY", "key");
            jail.set_env("CANMOU_DINGTALK__APP_SECRET", "secret");
            jail.set_env("CANMOU_DINGTALK__AGENT_ID", "123");
            let err = Settings::load(None).unwrap().check_production().unwrap_err().to_string();
            assert!(err.contains("dingtalk.corp_id"), "{err}");
            jail.set_env("CANMOU_DINGTALK__CORP_ID", "ding123");
            assert!(Settings::load(None).unwrap().check_production().is_ok());
            Ok(())
        });
    }

    #[test]
    fn every_signing_key_in_use_meets_the_same_rules() {
        Jail::expect_with(|jail| {
            jail.set_env("CANMOU_AUTH__JWT_SECRET", "0123456789abcdef0123456789abcdef");
            jail.set_env("CANMOU_DINGTALK__APP_KEY", "key");
            jail.set_env("CANMOU_DINGTALK__APP_SECRET", "secret");
            jail.set_env("CANMOU_DINGTALK__AGENT_ID", "123");
            jail.set_env("CANMOU_DINGTALK__CORP_ID", "ding123");
            for weak in [DEMO_JWT_SECRET, "x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"] {
                jail.set_env("CANMOU_AUTH__JWT_PREVIOUS_SECRET", weak);
                let err = Settings::load(None).unwrap().check_production().unwrap_err().to_string();
                assert!(err.contains("auth.jwt_previous_secret"), "{weak}: {err}");
            }
            jail.set_env("CANMOU_AUTH__JWT_PREVIOUS_SECRET", "fedcba9876543210fedcba9876543210");
            assert!(Settings::load(None).unwrap().check_production().is_ok());
            jail.set_env("CANMOU_AUTH__JWT_SECRET", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
            let err = Settings::load(None).unwrap().check_production().unwrap_err().to_string();
            assert!(err.contains("auth.jwt_secret"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn the_briefing_deadline_is_checked() {
        Jail::expect_with(|jail| {
            jail.set_env("CANMOU_BRIEFING__DEADLINE", "10h");
            let err = Settings::load(None).unwrap_err().to_string();
            assert!(err.contains("briefing.deadline"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn secrets_are_redacted_when_printed() {
        Jail::expect_with(|jail| {
            jail.set_env("CANMOU_DINGTALK__APP_SECRET", "s3cr3t-value");
            let s = Settings::load(None).unwrap();
            assert!(!format!("{s:?}").contains("s3cr3t-value"));
            Ok(())
        });
    }
}
