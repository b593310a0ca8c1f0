//! A registered application as the open API sees it, parsed once from its row, and cached by
//! id for the data version it was read at: a change anywhere moves the data version, so every
//! instance reads a changed (suspended, re-scoped, deleted) application on its next call.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use entities::open_app;
use moka::future::Cache;
use sea_orm::DatabaseConnection;

use crate::domain::org_tree::{OrgId, OrgTree};
use crate::domain::period::Grain;
use crate::store::StoreError;

pub use crate::store::open_apps::AppStatus;

#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub id: i32,
    pub name: String,
    pub client_id: String,
    pub owner_org_id: OrgId,
    pub contact: String,
    /// The allowlist: metric codes.
    pub metrics: Vec<String>,
    /// Roots of the org subtrees it may read.
    pub orgs: Vec<OrgId>,
    pub grains: Vec<Grain>,
    /// How many days back a period may start.
    pub history_days: i32,
    pub rate_per_second: f64,
    pub daily_quota: i64,
    pub active: bool,
    pub secret_hash: String,
    pub previous_secret_hash: Option<String>,
    pub previous_expires_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl From<open_app::Model> for App {
    fn from(m: open_app::Model) -> App {
        let metrics = serde_json::from_value(m.metrics).unwrap_or_default();
        let orgs = serde_json::from_value(m.orgs).unwrap_or_default();
        let grains: Vec<String> = serde_json::from_value(m.grains).unwrap_or_default();
        App {
            id: m.id,
            name: m.name,
            client_id: m.client_id,
            owner_org_id: m.owner_org_id,
            contact: m.contact,
            metrics,
            orgs,
            grains: grains.iter().filter_map(|g| g.parse().ok()).collect(),
            history_days: m.history_days,
            rate_per_second: m.rate_per_second,
            daily_quota: m.daily_quota,
            active: m.status == AppStatus::Active,
            secret_hash: m.secret_hash,
            previous_secret_hash: m.previous_secret_hash,
            previous_expires_at: m.previous_expires_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

impl App {
    pub fn allows_metric(&self, code: &str) -> bool {
        self.metrics.iter().any(|m| m == code)
    }

    pub fn allows_grain(&self, grain: Grain) -> bool {
        self.grains.contains(&grain)
    }

    /// Whether `org` lies in one of the application's subtrees.
    pub fn sees(&self, tree: &OrgTree, org: OrgId) -> bool {
        tree.in_scope(org, &self.orgs)
    }

    /// The secrets accepted now: the current one, and the previous one during its overlap.
    pub fn accepted_hashes(&self, now: DateTime<chrono::Utc>) -> Vec<&str> {
        let mut out = vec![self.secret_hash.as_str()];
        if let (Some(prev), Some(until)) = (&self.previous_secret_hash, self.previous_expires_at)
            && until > now
        {
            out.push(prev.as_str());
        }
        out
    }
}

/// Applications by id, each with the data version it was read at: a hit of another version
/// is read again.
#[derive(Clone)]
pub struct AppCache {
    cache: Cache<i32, (i64, Option<Arc<App>>)>,
}

impl Default for AppCache {
    fn default() -> AppCache {
        AppCache { cache: Cache::builder().max_capacity(10_000).time_to_live(Duration::from_secs(60)).build() }
    }
}

impl AppCache {
    pub async fn get(&self, db: &DatabaseConnection, id: i32, version: i64) -> Result<Option<Arc<App>>, StoreError> {
        if let Some((v, hit)) = self.cache.get(&id).await
            && v == version
        {
            return Ok(hit);
        }
        let app = crate::store::open_apps::get(db, id).await?.map(|m| Arc::new(App::from(m)));
        self.cache.insert(id, (version, app.clone())).await;
        Ok(app)
    }

    pub async fn invalidate(&self, id: i32) {
        self.cache.invalidate(&id).await;
    }
}
