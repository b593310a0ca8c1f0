//! The audit log: who did what to what, with the state before and after.

use crate::store::StoreError;
use chrono::Utc;
use entities::audit_log;
use entities::ids::{OrgId, UserId};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, NotSet};

/// One entry to write.
pub struct Entry<'a> {
    pub actor_id: Option<UserId>,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    /// The narrowest org holding what the entry is about (`policy::anchor`); `None`:
    /// province-wide, readable by province-level administrators only.
    pub scope_org: Option<OrgId>,
}

pub async fn record<C: ConnectionTrait>(db: &C, e: Entry<'_>) -> Result<(), StoreError> {
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
        scope_org_id: Set(e.scope_org),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Which entries to list.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub actor_id: Option<UserId>,
    /// Exact action, or a prefix when it ends with `*` (`card_set.*`).
    pub action: Option<String>,
    pub from: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub to: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Only entries filed under these orgs (a scoped administrator's subtree); `None`: all.
    pub within: Option<Vec<OrgId>>,
}

/// A page of entries, newest first, and the number of entries matching.
pub async fn search<C: ConnectionTrait>(
    db: &C,
    f: &Filter,
    page: u64,
    page_size: u64,
) -> Result<(Vec<audit_log::Model>, u64), StoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
    let mut q = audit_log::Entity::find();
    if let Some(actor) = f.actor_id {
        q = q.filter(audit_log::Column::ActorId.eq(actor));
    }
    match f.action.as_deref() {
        Some(a) if a.ends_with('*') => q = q.filter(audit_log::Column::Action.starts_with(a.trim_end_matches('*'))),
        Some(a) => q = q.filter(audit_log::Column::Action.eq(a)),
        None => {}
    }
    if let Some(orgs) = &f.within {
        q = q.filter(audit_log::Column::ScopeOrgId.is_in(orgs.iter().copied()));
    }
    if let Some(from) = f.from {
        q = q.filter(audit_log::Column::At.gte(from));
    }
    if let Some(to) = f.to {
        q = q.filter(audit_log::Column::At.lt(to));
    }
    let pages = q.order_by_desc(audit_log::Column::At).order_by_desc(audit_log::Column::Id).paginate(db, page_size);
    let total = pages.num_items().await?;
    Ok((pages.fetch_page(page).await?, total))
}
