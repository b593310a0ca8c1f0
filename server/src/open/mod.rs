//! Open data (G+): a machine-facing API beside the mini-program's, for applications that an
//! administrator registered. An application exchanges its client id and secret for a
//! short-lived token of its own audience (OAuth 2.0 client credentials), reads the metrics of
//! its allowlist for the orgs of its scope, within a rate and a daily quota, and every call it
//! makes is recorded. The HTTP side is in `routes::open` and `routes::admin::open_apps`.

pub mod accounting;
pub mod apps;
pub mod limits;
pub mod secret;

use crate::auth::JwtKeys;
use crate::config::Settings;

pub use crate::config::OpenSettings;
pub use apps::App;

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
