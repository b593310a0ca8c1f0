//! Open data (G+): a machine-facing API beside the mini-program's, for applications that an
//! administrator registered. An application exchanges its client id and secret for a
//! short-lived token of its own audience (OAuth 2.0 client credentials), reads the metrics of
//! its allowlist for the orgs of its scope, within a rate and a daily quota, and every call it
//! makes is recorded. The HTTP side is in `routes::open` and `routes::admin::open_apps`.

pub mod accounting;
pub mod apps;
pub mod limits;
pub mod secret;

use serde::{Deserialize, Serialize};

use crate::auth::JwtKeys;
use crate::config::Settings;

pub use apps::App;

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

/// What the open API shares between requests.
pub struct OpenState {
    pub settings: OpenSettings,
    /// Signs and checks application tokens (the mini-program's key, another audience).
    pub keys: JwtKeys,
    pub apps: apps::AppCache,
    pub rates: limits::Rates,
    pub quota: limits::Quota,
    pub calls: accounting::CallLog,
    pub verified: secret::VerifiedCache,
}

impl OpenState {
    /// Starts the accounting writer: call inside the runtime.
    pub fn new(settings: &Settings, db: sea_orm::DatabaseConnection) -> anyhow::Result<OpenState> {
        let open = settings.open.clone();
        if open.audience == settings.auth.jwt_audience {
            anyhow::bail!(
                "open.audience must differ from auth.jwt_audience: the two kinds of token must not be interchangeable"
            );
        }
        let mut auth = settings.auth.clone();
        auth.jwt_audience = open.audience.clone();
        auth.token_ttl_secs = open.token_ttl_secs.clamp(1, 24 * 3600);
        Ok(OpenState {
            keys: JwtKeys::from_settings(&auth),
            apps: apps::AppCache::default(),
            rates: limits::Rates::new(open.instances.max(1), open.burst_secs),
            quota: limits::Quota::new(db.clone(), open.quota_block_max.max(1)),
            calls: accounting::CallLog::start(db, &open),
            verified: secret::VerifiedCache::default(),
            settings: open,
        })
    }

    /// Forgets what this instance knows of an application that just changed.
    pub async fn forget(&self, app_id: i32) {
        self.apps.invalidate(app_id).await;
        self.rates.forget(app_id);
    }
}
