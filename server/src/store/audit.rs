//! The audit log: who did what to what, with the state before and after.

use chrono::Utc;
use entities::audit_log;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, NotSet};

/// One entry to write.
pub struct Entry<'a> {
    pub actor_id: Option<i32>,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
}

pub async fn record<C: ConnectionTrait>(db: &C, e: Entry<'_>) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        id: NotSet,
        actor_id: Set(e.actor_id),
        actor: Set(e.actor.to_owned()),
        action: Set(e.action.to_owned()),
        target: Set(e.target),
        before: Set(e.before),
        after: Set(e.after),
        request_id: Set(e.request_id),
        at: Set(Utc::now().fixed_offset()),
    }
    .insert(db)
    .await?;
    Ok(())
}
