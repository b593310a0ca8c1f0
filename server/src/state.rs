//! What every handler can reach: the database, settings, keys, caches, and a snapshot of the
//! slowly-changing data (org tree, catalogue, card sets, complete periods) tagged with the data
//! version. The snapshot is replaced whole when the data version moves — here, after a local
//! commit, or on another instance's commit, seen by polling one row.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::NaiveDate;
use sea_orm::DatabaseConnection;

use crate::auth::JwtKeys;
use crate::auth::principal::PrincipalCache;
use crate::cache::AnswerCache;
use crate::config::Settings;

pub use crate::store::snapshot::{Complete, Snapshot};

/// Login attempts per client address.
pub type LoginLimiter = governor::DefaultKeyedRateLimiter<std::net::IpAddr>;

pub struct AppState {
    pub db: DatabaseConnection,
    /// What the syncs write their pages through ([`crate::db::connect_sync_writer`]).
    pub sync_db: DatabaseConnection,
    pub dingtalk: crate::dingtalk::DingTalkClient,
    pub login_limiter: LoginLimiter,
    pub settings: Arc<Settings>,
    pub tz: chrono_tz::Tz,
    pub jwt: JwtKeys,
    pub principals: PrincipalCache,
    pub sessions: crate::auth::principal::SessionCache,
    pub answers: AnswerCache,
    /// The upstream feed's client (its base URL may be empty: then sync runs fail at once).
    pub feed: crate::feed::FeedClient,
    /// The open data API's keys, caches, limits and call log.
    pub open: crate::open::OpenState,
    /// The background jobs of this instance (the scheduler's runs, runs started by hand,
    /// warming): cancelled at shutdown.
    pub jobs: crate::supervisor::Supervisor,
    snapshot: RwLock<Arc<Snapshot>>,
}

impl AppState {
    pub async fn new(settings: Settings, db: DatabaseConnection) -> anyhow::Result<AppState> {
        AppState::supervised(settings, db, crate::supervisor::Supervisor::new()).await
    }

    /// As [`AppState::new`], with the background jobs under `jobs`.
    pub async fn supervised(
        settings: Settings,
        db: DatabaseConnection,
        jobs: crate::supervisor::Supervisor,
    ) -> anyhow::Result<AppState> {
        let snapshot = crate::store::snapshot::load(&db).await?;
        let per_minute =
            std::num::NonZeroU32::new(settings.auth.login_per_minute.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
        // One epoch for both caches: a change to either forgets the threads' verified callers.
        let callers = crate::auth::memo::Epoch::default();
        let user_ttl = Duration::from_secs(settings.cache.user_ttl_secs);
        Ok(AppState {
            dingtalk: crate::dingtalk::DingTalkClient::new(&settings.dingtalk)?,
            login_limiter: governor::RateLimiter::keyed(governor::Quota::per_minute(per_minute)),
            tz: settings.timezone(),
            jwt: JwtKeys::from_settings(&settings.auth),
            principals: PrincipalCache::new(user_ttl, callers.clone()),
            sessions: crate::auth::principal::SessionCache::new(user_ttl, callers),
            answers: AnswerCache::new(settings.cache.max_mb)?,
            feed: crate::feed::FeedClient::new(&settings.feed)?,
            open: crate::open::OpenState::new(&settings, db.clone())?,
            sync_db: crate::db::connect_sync_writer(&settings.database, &db).await?,
            settings: Arc::new(settings),
            db,
            jobs,
            snapshot: RwLock::new(Arc::new(snapshot)),
        })
    }

    /// The current snapshot; hold on to it for the whole request so that it sees one version.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.snapshot.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reloads the snapshot from the database (after a local change, or when the data version
    /// moved elsewhere).
    pub async fn reload(&self) -> anyhow::Result<()> {
        let fresh = self.load_snapshot().await?;
        self.install(fresh);
        Ok(())
    }

    /// The database's state as a snapshot, not served yet (to warm the cache for it first).
    pub async fn load_snapshot(&self) -> anyhow::Result<Arc<Snapshot>> {
        Ok(Arc::new(crate::store::snapshot::load(&self.db).await?))
    }

    /// Serves `fresh` from now on.
    pub fn install(&self, fresh: Arc<Snapshot>) {
        match self.snapshot.write() {
            Ok(mut s) => *s = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }

    /// Reloads when another instance has moved the data version.
    pub async fn poll_version(&self) -> anyhow::Result<bool> {
        let current = crate::store::snapshot::data_version(&self.db).await?;
        if current != self.snapshot().version {
            self.reload().await?;
            self.principals.invalidate_all();
            self.sessions.forget_all();
            return Ok(true);
        }
        Ok(false)
    }

    /// Today's business date.
    pub fn today(&self) -> NaiveDate {
        crate::domain::period::business_date(&self.tz, chrono::Utc::now())
    }
}

/// Polls the data version until the jobs are cancelled.
pub async fn watch_version(state: Arc<AppState>) {
    let every = Duration::from_millis(state.settings.cache.version_poll_ms.max(10));
    let stop = state.jobs.token();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        if let Err(e) = state.poll_version().await {
            tracing::warn!(error = ?e, "could not check the data version");
        }
    }
}
