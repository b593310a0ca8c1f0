//! The signed-in user as requests see it: role, status and data scope, cached briefly so that
//! a request does not query the database to learn who is calling.

use std::sync::Arc;
use std::time::Duration;

use entities::ids::{OrgId, UserId};
use moka::future::Cache;
use sea_orm::DatabaseConnection;

use super::memo::Epoch;
use crate::store::StoreError;

/// What a user may do: stored through sea-orm as `users.role`.
pub use entities::user::Role;

/// A user with what authorisation needs.
#[derive(Debug, Clone)]
pub struct Principal {
    pub id: UserId,
    pub userid: String,
    pub name: String,
    pub title: Option<String>,
    pub role: Role,
    pub active: bool,
    /// Roots of the org subtrees the user may see, in grant order.
    pub scopes: Vec<OrgId>,
}

/// Users by id, reloaded after `ttl`, and dropped at once when they change here.
#[derive(Clone)]
pub struct PrincipalCache {
    cache: Cache<UserId, Option<Arc<Principal>>>,
    /// Bumped with every change, for the threads' memos of verified callers.
    epoch: Epoch,
}

impl PrincipalCache {
    pub fn new(ttl: Duration, epoch: Epoch) -> PrincipalCache {
        PrincipalCache { cache: Cache::builder().max_capacity(100_000).time_to_live(ttl).build(), epoch }
    }

    /// The user, from the cache or the database; `None` for an unknown id.
    pub async fn get(&self, db: &DatabaseConnection, id: UserId) -> Result<Option<Arc<Principal>>, StoreError> {
        if let Some(hit) = self.cache.get(&id).await {
            return Ok(hit);
        }
        let loaded = load(db, id).await?.map(Arc::new);
        self.cache.insert(id, loaded.clone()).await;
        Ok(loaded)
    }

    /// Forgets a user whose role, status or scopes just changed.
    pub async fn invalidate(&self, id: UserId) {
        self.cache.invalidate(&id).await;
        self.epoch.bump();
    }

    pub fn invalidate_all(&self) {
        self.cache.invalidate_all();
        self.epoch.bump();
    }
}

/// The user `id` as requests see them; `None` for an unknown id.
pub async fn load(db: &DatabaseConnection, id: UserId) -> Result<Option<Principal>, StoreError> {
    let Some((u, scopes)) = crate::store::users::with_scopes(db, id).await? else {
        return Ok(None);
    };
    Ok(Some(Principal {
        id: u.id,
        userid: u.dingtalk_userid,
        name: u.name,
        title: u.title,
        role: u.role,
        active: u.active,
        scopes,
    }))
}

/// Live sessions by id (the user they belong to), rechecked after `ttl`, and forgotten at once
/// here when revoked here (other instances notice within `ttl`).
#[derive(Clone)]
pub struct SessionCache {
    cache: Cache<String, Option<UserId>>,
    epoch: Epoch,
}

impl SessionCache {
    pub fn new(ttl: Duration, epoch: Epoch) -> SessionCache {
        SessionCache { cache: Cache::builder().max_capacity(200_000).time_to_live(ttl).build(), epoch }
    }

    /// The user of session `id` while it is live; `None` once it is revoked or over.
    pub async fn user(&self, db: &DatabaseConnection, id: &str) -> Result<Option<UserId>, StoreError> {
        if let Some(hit) = self.cache.get(id).await {
            return Ok(hit);
        }
        let live = crate::store::sessions::live_user(db, id, chrono::Utc::now()).await?;
        self.cache.insert(id.to_owned(), live).await;
        Ok(live)
    }

    pub async fn forget(&self, id: &str) {
        self.cache.invalidate(id).await;
        self.epoch.bump();
    }

    pub fn forget_all(&self) {
        self.cache.invalidate_all();
        self.epoch.bump();
    }

    /// The epoch shared with the user cache: what a memo of verified callers is valid in.
    pub fn epoch(&self) -> &Epoch {
        &self.epoch
    }
}
