//! `/api/v1/admin/users`: users inside the administrator's scope — search, role, status and
//! data scopes.

use actix_web::{HttpRequest, HttpResponse, web};
use entities::ids::{OrgId, UserId};
use entities::scope::ScopeSource;
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::{check, org_allowed, publish_change, record, to_json, user_allowed, user_orgs};
use crate::auth::{AdminUser, Role};
use crate::error::ApiError;
use crate::policy::Action;
use crate::routes::extract::{Json, Query};
use crate::state::{AppState, Snapshot};
use crate::store::sessions;
use crate::store::users::{self, Managed};
use crate::views::params;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Part of a name or DingTalk userid.
    pub q: Option<String>,
    /// 1-based, at most 10,000.
    #[serde(default, deserialize_with = "params::bounded::<_, 1, MAX_PAGE>")]
    #[param(value_type = Option<u64>)]
    pub page: Option<u64>,
    /// 1 to 200 (default 50).
    #[serde(default, deserialize_with = "params::bounded::<_, 1, MAX_PAGE_SIZE>")]
    #[param(value_type = Option<u64>)]
    pub page_size: Option<u64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScopeRef {
    id: i32,
    name: String,
    path: String,
    /// `dingtalk` (derived from the directory) or `admin` (granted).
    source: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserItem {
    id: i32,
    userid: String,
    name: String,
    title: Option<String>,
    role: String,
    active: bool,
    last_login_at: Option<String>,
    orgs: Vec<String>,
    scopes: Vec<ScopeRef>,
}

fn item(snap: &Snapshot, m: &Managed) -> UserItem {
    UserItem {
        id: m.user.id.get(),
        userid: m.user.dingtalk_userid.clone(),
        name: m.user.name.clone(),
        title: m.user.title.clone(),
        role: m.user.role.as_str().to_owned(),
        active: m.user.active,
        last_login_at: m.user.last_login_at.map(|t| t.to_rfc3339()),
        orgs: m.memberships.iter().map(|o| snap.orgs.path_names(*o)).filter(|p| !p.is_empty()).collect(),
        scopes: m
            .scopes
            .iter()
            .map(|s| ScopeRef {
                id: s.org_id.get(),
                name: snap.orgs.get(s.org_id).map(|o| o.name.clone()).unwrap_or_default(),
                path: snap.orgs.path_names(s.org_id),
                source: s.source.as_str().to_owned(),
            })
            .collect(),
    }
}

/// The last page a list serves: deeper pages are a search's job, and the offset stays far
/// inside what the databases accept.
pub const MAX_PAGE: u64 = 10_000;
pub const MAX_PAGE_SIZE: u64 = 200;

/// A list's page and page size, defaults filled in (the first page of 50).
pub fn page(page: Option<u64>, size: Option<u64>) -> (u64, u64) {
    (page.unwrap_or(1), size.unwrap_or(50))
}

/// `GET /admin/users?q=&page=&pageSize=`
#[utoipa::path(
    get,
    path = "/api/v1/admin/users",
    params(ListQuery),
    responses((status = 200, description = "`{items: [UserItem], total, page, pageSize}`", body = serde_json::Value), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn list(state: web::Data<AppState>, admin: AdminUser, q: Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let (page, size) = page(q.page, q.page_size);
    let snap = state.snapshot();
    let needle = q.q.as_deref().map(str::trim).unwrap_or("").to_lowercase();
    let all = users::managed_all(&state.db).await?;
    let matching: Vec<&Managed> = all
        .iter()
        .filter(|m| user_allowed(&snap, &admin, Action::View, m).is_ok())
        .filter(|m| {
            needle.is_empty()
                || m.user.name.to_lowercase().contains(&needle)
                || m.user.dingtalk_userid.to_lowercase().contains(&needle)
        })
        .collect();
    let items: Vec<UserItem> = matching
        .iter()
        .skip(usize::try_from((page - 1) * size).unwrap_or(usize::MAX))
        .take(usize::try_from(size).unwrap_or(50))
        .map(|m| item(&snap, m))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "items": items, "total": matching.len(), "page": page, "pageSize": size,
    })))
}

/// The user behind `{id}`, if the policy allows `action` on them.
pub(crate) async fn managed_allowed(
    state: &AppState,
    snap: &Snapshot,
    admin: &AdminUser,
    action: Action,
    id: UserId,
) -> Result<Managed, ApiError> {
    let m =
        users::managed(&state.db, id).await?.ok_or_else(|| ApiError::NotFound(format!("user {id} does not exist")))?;
    user_allowed(snap, admin, action, &m).map_err(|d| d.at("id"))?;
    Ok(m)
}

/// `GET /admin/users/{id}`
#[utoipa::path(
    get,
    path = "/api/v1/admin/users/{id}",
    params(("id" = i32, Path, description = "The user's id")),
    responses((status = 200, body = UserItem), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn get(state: web::Data<AppState>, admin: AdminUser, id: web::Path<i32>) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let m = managed_allowed(&state, &snap, &admin, Action::View, UserId(id.into_inner())).await?;
    Ok(HttpResponse::Ok().json(item(&snap, &m)))
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserBody {
    /// `viewer` or `admin`.
    pub role: Option<String>,
    /// `false` deactivates: the user's tokens stop working at once.
    pub active: Option<bool>,
}

/// `POST /admin/users/{id}` `{role?, active?}`
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}",
    params(("id" = i32, Path, description = "The user's id")),
    request_body = UserBody,
    responses((status = 200, body = UserItem), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    body: Json<UserBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, snap) = (UserId(id.into_inner()), state.snapshot());
    let m = managed_allowed(&state, &snap, &admin, Action::Manage, id).await?;
    let role = match body.role.as_deref() {
        None => m.user.role,
        Some("viewer") => Role::Viewer,
        Some("admin") => Role::Admin,
        Some(other) => return Err(ApiError::invalid("role", format!("`{other}`: expected viewer or admin"))),
    };
    let active = body.active.unwrap_or(m.user.active);
    if id == admin.id && role != Role::Admin {
        return Err(ApiError::invalid("role", "you cannot take away your own administrator role"));
    }
    if id == admin.id && !active {
        return Err(ApiError::invalid("active", "you cannot deactivate yourself"));
    }
    let before = item(&snap, &m);
    let m_before = m.clone();
    users::set_role_and_status(&state.db, m.user, role, active).await?;
    state.principals.invalidate(id).await;
    publish_change(&state).await?;
    let after = users::managed(&state.db, id).await?.map(|m| item(&snap, &m));
    let summary = |u: &UserItem| serde_json::json!({ "role": u.role, "active": u.active });
    record(
        &state,
        &req,
        &admin,
        "user.update",
        format!("user:{id}"),
        &user_orgs(&m_before),
        Some(summary(&before)),
        after.as_ref().map(summary),
    )
    .await?;
    Ok(HttpResponse::Ok().json(after))
}

#[derive(Debug, Default, Deserialize, Serialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScopesBody {
    /// Org subtree roots to grant (source `admin`).
    #[serde(default)]
    #[validate(length(max = 100, message = "at most 100 orgs at once"))]
    pub grant: Vec<i32>,
    /// Org subtree roots to revoke (granted ones; DingTalk-derived scopes follow the directory).
    #[serde(default)]
    #[validate(length(max = 100, message = "at most 100 orgs at once"))]
    pub revoke: Vec<i32>,
}

/// `POST /admin/users/{id}/scopes` `{grant:[…], revoke:[…]}`
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/scopes",
    params(("id" = i32, Path, description = "The user's id")),
    request_body = ScopesBody,
    responses((status = 200, body = UserItem), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn scopes(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    body: Json<ScopesBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, snap) = (UserId(id.into_inner()), state.snapshot());
    check(&*body)?;
    if body.grant.is_empty() && body.revoke.is_empty() {
        return Err(ApiError::invalid("grant", "name at least one org to grant or revoke"));
    }
    let m = managed_allowed(&state, &snap, &admin, Action::Manage, id).await?;
    for (i, org) in body.grant.iter().enumerate() {
        org_allowed(&snap, &admin, Action::Grant, &format!("grant[{i}]"), OrgId(*org))?;
    }
    for (i, org) in body.revoke.iter().enumerate() {
        let param = format!("revoke[{i}]");
        org_allowed(&snap, &admin, Action::Grant, &param, OrgId(*org))?;
        match m.scopes.iter().find(|s| s.org_id == OrgId(*org)) {
            None => return Err(ApiError::invalid(param, format!("the user has no scope on org {org}"))),
            Some(s) if s.source != ScopeSource::Admin => {
                return Err(ApiError::invalid(
                    param,
                    "this scope follows the DingTalk directory (the departments the user leads or belongs to); change it there",
                ));
            }
            Some(_) => {}
        }
    }
    let before = item(&snap, &m);
    let m_before = m;
    let ids = |orgs: &[i32]| orgs.iter().copied().map(OrgId).collect::<Vec<_>>();
    users::change_scopes(&state.db, id, &ids(&body.grant), &ids(&body.revoke), admin.id).await?;
    state.principals.invalidate(id).await;
    publish_change(&state).await?;
    let after = users::managed(&state.db, id).await?.map(|m| item(&snap, &m));
    let scopes_of = |u: &UserItem| to_json(&u.scopes);
    record(
        &state,
        &req,
        &admin,
        "user.scopes",
        format!("user:{id}"),
        &user_orgs(&m_before),
        scopes_of(&before),
        after.as_ref().and_then(scopes_of),
    )
    .await?;
    Ok(HttpResponse::Ok().json(after))
}

/// `POST /admin/users/{id}/sessions/revoke`: signs the user out everywhere, at once on this
/// instance (others within `cache.user_ttl_secs`).
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/sessions/revoke",
    params(("id" = i32, Path, description = "The user's id")),
    responses((status = 200, description = "`{revoked}`: how many sessions ended", body = serde_json::Value), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn revoke_sessions(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let (id, snap) = (UserId(id.into_inner()), state.snapshot());
    let m = managed_allowed(&state, &snap, &admin, Action::Manage, id).await?;
    let ended = sessions::revoke_user(&state.db, id, "revoked by an administrator", chrono::Utc::now()).await?;
    for session in &ended {
        state.sessions.forget(session).await;
    }
    record(
        &state,
        &req,
        &admin,
        "user.sessions.revoke",
        format!("user:{id}"),
        &user_orgs(&m),
        None,
        Some(serde_json::json!({ "sessions": ended.len() })),
    )
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "revoked": ended.len() })))
}
