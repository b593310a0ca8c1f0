//! Navigating the org tree inside the caller's scope: `GET /api/v1/orgs/{id}`,
//! `/orgs/{id}/children`, `/orgs?q=`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::routes::extract::Query;
use crate::state::AppState;
use crate::views::dto::OrgDto;
use crate::views::params;

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgItem {
    id: i32,
    name: String,
    kind: String,
    level: i16,
    child_count: usize,
    /// `东海省 / 明州市 / 东城区`
    path_names: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrgList {
    items: Vec<OrgItem>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Part of a name, 1 to 50 characters.
    q: Option<String>,
    /// 1 to 50; default 20.
    #[serde(default, deserialize_with = "params::bounded::<_, 1, 50>")]
    #[param(value_type = Option<u64>)]
    limit: Option<u64>,
}

fn item(snap: &crate::state::Snapshot, n: &crate::domain::org_tree::OrgNode) -> OrgItem {
    OrgItem {
        id: n.id.get(),
        name: n.name.clone(),
        kind: n.kind.as_str().to_owned(),
        level: n.level,
        child_count: snap.orgs.child_count(n.id),
        path_names: snap.orgs.path_names(n.id),
    }
}

/// One org, with its breadcrumb.
#[utoipa::path(get, path = "/api/v1/orgs/{id}", params(("id" = i32, Path)), responses((status = 200, body = OrgDto), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])), tag = "read")]
pub async fn get(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let org = params::org(&snap, &user, Some(params::org_id(&id)?))?;
    Ok(HttpResponse::Ok().json(OrgDto::new(org, &snap.orgs)))
}

/// The org's children (all inside the caller's scope, since the org is).
#[utoipa::path(get, path = "/api/v1/orgs/{id}/children", params(("id" = i32, Path)), responses((status = 200, body = OrgList), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])), tag = "read")]
pub async fn children(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let org = params::org(&snap, &user, Some(params::org_id(&id)?))?;
    let items = snap.orgs.children(org.id).map(|n| item(&snap, n)).collect();
    Ok(HttpResponse::Ok().json(OrgList { items }))
}

/// Orgs whose name contains `q`, inside the caller's scope.
#[utoipa::path(get, path = "/api/v1/orgs", params(SearchQuery), responses((status = 200, body = OrgList), (status = 400, body = crate::error::ErrorBody)), security(("bearer" = [])), tag = "read")]
pub async fn search(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let scopes = user.require_scope()?;
    let text = q.q.as_deref().map(str::trim).unwrap_or("");
    let chars = text.chars().count();
    if chars == 0 || chars > 50 {
        return Err(ApiError::invalid("q", "give 1 to 50 characters of a name"));
    }
    let limit = q.limit.unwrap_or(20) as usize;
    let snap = state.snapshot();
    let items = snap.orgs.search(text, scopes, limit).into_iter().map(|n| item(&snap, n)).collect();
    Ok(HttpResponse::Ok().json(OrgList { items }))
}
