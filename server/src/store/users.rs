//! Users, as login and administrators need them.

use std::collections::HashMap;

use crate::store::StoreError;
use chrono::Utc;
use entities::ids::{OrgId, UserId};
use entities::scope::ScopeSource;
use entities::user::Role;
use entities::{scope, user, user_org};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};

/// A user with the roots of their scope, oldest grant first: whom a request acts as.
pub async fn with_scopes<C: ConnectionTrait>(
    db: &C,
    id: UserId,
) -> Result<Option<(user::Model, Vec<OrgId>)>, StoreError> {
    let Some(u) = user::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let scopes = scope::Entity::find()
        .filter(scope::Column::UserId.eq(id))
        .order_by_asc(scope::Column::GrantedAt)
        .order_by_asc(scope::Column::OrgId)
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.org_id)
        .collect();
    Ok(Some((u, scopes)))
}

/// Every active user's home org: the first root of their scope (oldest grant first), where
/// their home screen opens.
pub async fn home_orgs<C: ConnectionTrait>(db: &C) -> Result<Vec<(UserId, OrgId)>, StoreError> {
    let active: std::collections::HashSet<UserId> =
        user::Entity::find().filter(user::Column::Active.eq(true)).all(db).await?.into_iter().map(|u| u.id).collect();
    let mut out: Vec<(UserId, OrgId)> = Vec::new();
    let scopes = scope::Entity::find()
        .order_by_asc(scope::Column::UserId)
        .order_by_asc(scope::Column::GrantedAt)
        .order_by_asc(scope::Column::OrgId)
        .all(db)
        .await?;
    for s in scopes {
        if active.contains(&s.user_id) && out.last().is_none_or(|(u, _)| *u != s.user_id) {
            out.push((s.user_id, s.org_id));
        }
    }
    Ok(out)
}

/// A new, active user with only a name on their profile — for fixtures and benchmarks that
/// make users without a directory sync; set any other field with struct update syntax.
pub fn new_user(userid: &str, name: &str, role: Role) -> user::ActiveModel {
    use sea_orm::NotSet;
    user::ActiveModel {
        id: NotSet,
        dingtalk_userid: Set(userid.into()),
        unionid: Set(None),
        name: Set(name.into()),
        title: Set(None),
        role: Set(role),
        active: Set(true),
        has_name: Set(true),
        has_title: Set(false),
        has_mobile: Set(false),
        has_avatar: Set(false),
        has_email: Set(false),
        has_job_number: Set(false),
        has_position: Set(false),
        last_login_at: Set(None),
        updated_at: Set(Utc::now().fixed_offset()),
    }
}

pub async fn by_userid<C: ConnectionTrait>(db: &C, userid: &str) -> Result<Option<user::Model>, StoreError> {
    user::Entity::find().filter(user::Column::DingtalkUserid.eq(userid)).one(db).await.map_err(Into::into)
}

pub async fn touch_login<C: ConnectionTrait>(db: &C, u: user::Model) -> Result<(), StoreError> {
    let mut m = u.into_active_model();
    m.last_login_at = Set(Some(Utc::now().fixed_offset()));
    m.update(db).await?;
    Ok(())
}

/// A user with where they belong and what they may see, as administrators manage them.
#[derive(Debug, Clone)]
pub struct Managed {
    pub user: user::Model,
    /// Orgs the user is a member of (DingTalk departments).
    pub memberships: Vec<OrgId>,
    pub scopes: Vec<scope::Model>,
}

impl Managed {
    /// Every org the user is attached to: memberships and scope roots.
    pub fn orgs(&self) -> impl Iterator<Item = OrgId> + '_ {
        self.memberships.iter().copied().chain(self.scopes.iter().map(|s| s.org_id))
    }
}

/// Every user with memberships and scopes (a directory is thousands of users, not millions).
pub async fn managed_all<C: ConnectionTrait>(db: &C) -> Result<Vec<Managed>, StoreError> {
    let mut memberships: HashMap<UserId, Vec<OrgId>> = HashMap::new();
    for m in user_org::Entity::find().all(db).await? {
        memberships.entry(m.user_id).or_default().push(m.org_id);
    }
    let mut scopes: HashMap<UserId, Vec<scope::Model>> = HashMap::new();
    for s in
        scope::Entity::find().order_by_asc(scope::Column::GrantedAt).order_by_asc(scope::Column::OrgId).all(db).await?
    {
        scopes.entry(s.user_id).or_default().push(s);
    }
    Ok(user::Entity::find()
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|u| Managed {
            memberships: memberships.remove(&u.id).unwrap_or_default(),
            scopes: scopes.remove(&u.id).unwrap_or_default(),
            user: u,
        })
        .collect())
}

pub async fn managed<C: ConnectionTrait>(db: &C, id: UserId) -> Result<Option<Managed>, StoreError> {
    let Some(u) = user::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let memberships =
        user_org::Entity::find().filter(user_org::Column::UserId.eq(id)).all(db).await?.into_iter().map(|m| m.org_id);
    let scopes = scope::Entity::find()
        .filter(scope::Column::UserId.eq(id))
        .order_by_asc(scope::Column::GrantedAt)
        .order_by_asc(scope::Column::OrgId)
        .all(db)
        .await?;
    Ok(Some(Managed { user: u, memberships: memberships.collect(), scopes }))
}

/// Sets role and status.
pub async fn set_role_and_status<C: ConnectionTrait>(
    db: &C,
    u: user::Model,
    role: Role,
    active: bool,
) -> Result<(), StoreError> {
    let mut m = u.into_active_model();
    m.role = Set(role);
    m.active = Set(active);
    m.updated_at = Set(Utc::now().fixed_offset());
    m.update(db).await?;
    Ok(())
}

/// Grants `orgs` (source `admin`) that the user does not have yet, and revokes `revoke`.
pub async fn change_scopes<C: ConnectionTrait>(
    db: &C,
    user_id: UserId,
    grant: &[OrgId],
    revoke: &[OrgId],
    granted_by: UserId,
) -> Result<(), StoreError> {
    let now = Utc::now().fixed_offset();
    if !revoke.is_empty() {
        scope::Entity::delete_many()
            .filter(scope::Column::UserId.eq(user_id))
            .filter(scope::Column::OrgId.is_in(revoke.iter().copied()))
            .exec(db)
            .await?;
    }
    let have: Vec<OrgId> = scope::Entity::find()
        .filter(scope::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.org_id)
        .collect();
    let mut fresh: Vec<OrgId> = grant.iter().copied().filter(|o| !have.contains(o)).collect();
    fresh.sort_unstable();
    fresh.dedup();
    for org_id in fresh {
        scope::ActiveModel {
            user_id: Set(user_id),
            org_id: Set(org_id),
            source: Set(ScopeSource::Admin),
            granted_by: Set(Some(granted_by)),
            granted_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}
