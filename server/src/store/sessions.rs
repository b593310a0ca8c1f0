//! Sessions: every sign-in is one, and every access token names it, so that logout or an
//! administrator ends it at once. The mini-program's session renews itself with refresh tokens
//! that rotate on every use; a refresh token presented twice means it was copied, and the whole
//! session (the token family) is revoked.

use crate::store::StoreError;
use chrono::{DateTime, Utc};
use entities::ids::UserId;
use entities::{refresh_token, session};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};
use sha2::{Digest, Sha256};

/// Who signed in where: the mini-program (bearer tokens, refresh tokens) or the web console
/// (a cookie).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    Miniapp,
    Console,
}

impl Client {
    pub fn as_str(self) -> &'static str {
        match self {
            Client::Miniapp => "miniapp",
            Client::Console => "console",
        }
    }
}

/// A new session: its id (the `sid` of its access tokens) and its first refresh token.
#[derive(Debug, Clone)]
pub struct Opened {
    pub id: String,
    pub refresh_token: String,
}

fn digest(token: &str) -> String {
    let hash = Sha256::digest(token.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// 256 random bits, URL-safe.
fn new_secret() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

async fn insert_refresh<C: ConnectionTrait>(
    db: &C,
    session_id: &str,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let token = new_secret();
    refresh_token::ActiveModel {
        hash: Set(digest(&token)),
        session_id: Set(session_id.to_owned()),
        created_at: Set(now.fixed_offset()),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Opens a session for `user_id` lasting until `expires_at`.
pub async fn open<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    user_id: UserId,
    client: Client,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<Opened, StoreError> {
    let txn = super::begin_writer(db).await?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    session::ActiveModel {
        id: Set(id.clone()),
        user_id: Set(user_id),
        client: Set(client.as_str().to_owned()),
        created_at: Set(now.fixed_offset()),
        expires_at: Set(expires_at.fixed_offset()),
        revoked_at: Set(None),
        revoked_reason: Set(None),
    }
    .insert(&txn)
    .await?;
    let refresh_token = insert_refresh(&txn, &id, now).await?;
    txn.commit().await?;
    Ok(Opened { id, refresh_token })
}

/// The user of a live session (not revoked, not expired); `None` otherwise.
pub async fn live_user<C: ConnectionTrait>(db: &C, id: &str, now: DateTime<Utc>) -> Result<Option<UserId>, StoreError> {
    let row = session::Entity::find_by_id(id.to_owned()).one(db).await?;
    Ok(row.filter(|s| s.revoked_at.is_none() && s.expires_at > now.fixed_offset()).map(|s| s.user_id))
}

/// Why a refresh was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Unknown token, or its session is over.
    Invalid,
    /// The token had been used already: its session (this id) is now revoked.
    Reused(String),
}

/// Trades a refresh token for a new one of the same session: `(session id, user id, token)`.
pub async fn rotate<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Result<(String, UserId, String), Refused>, StoreError> {
    let hash = digest(token);
    let Some(row) = refresh_token::Entity::find_by_id(hash.clone()).one(db).await? else {
        return Ok(Err(Refused::Invalid));
    };
    let txn = super::begin_writer(db).await?;
    // Only one caller can move `used_at` from NULL: a second one (a thief or the victim) finds
    // the token used and ends the session for both.
    let taken = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now.fixed_offset()))
        .filter(refresh_token::Column::Hash.eq(hash.as_str()))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    if taken == 0 {
        txn.rollback().await?;
        revoke(db, &row.session_id, "refresh token used twice", now).await?;
        return Ok(Err(Refused::Reused(row.session_id)));
    }
    let Some(user_id) = live_user(&txn, &row.session_id, now).await? else {
        txn.rollback().await?;
        return Ok(Err(Refused::Invalid));
    };
    let next = insert_refresh(&txn, &row.session_id, now).await?;
    txn.commit().await?;
    Ok(Ok((row.session_id, user_id, next)))
}

/// Ends one session; `false` when it was over already.
pub async fn revoke<C: ConnectionTrait>(
    db: &C,
    id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let n = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now.fixed_offset()))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    Ok(n > 0)
}

/// Ends every live session of a user; the ids ended.
pub async fn revoke_user<C: ConnectionTrait>(
    db: &C,
    user_id: UserId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let live: Vec<String> = session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    if !live.is_empty() {
        session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(now.fixed_offset()))
            .col_expr(session::Column::RevokedReason, Expr::value(reason))
            .filter(session::Column::Id.is_in(live.iter().cloned()))
            .exec(db)
            .await?;
    }
    Ok(live)
}
