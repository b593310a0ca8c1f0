//! `GET /api/v1/admin/preview?user=&org=&grain=&date=`: the home screen exactly as a user
//! inside the administrator's scope gets it (the same answer as their `/api/v1/home`).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use entities::ids::{OrgId, UserId};
use serde::Deserialize;

use super::{org_allowed, user_allowed};
use crate::auth::{AdminUser, CurrentUser};
use crate::domain::period::Grain;
use crate::error::ApiError;
use crate::policy::Action;
use crate::routes::extract::Query;
use crate::state::AppState;
use crate::store::users;
use crate::views::params::PointQuery;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// The user's id, or their DingTalk userid.
    pub user: String,
    #[param(value_type = Option<String>)]
    pub org: Option<OrgId>,
    #[param(value_type = Option<String>)]
    pub grain: Option<Grain>,
    #[serde(default, deserialize_with = "crate::views::params::day")]
    #[param(value_type = Option<String>)]
    pub date: Option<NaiveDate>,
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/preview",
    params(PreviewQuery),
    responses((status = 200, description = "The user's home screen, as they see it", body = crate::views::cards::Home), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn preview(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    q: Query<PreviewQuery>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let raw = q.user.trim();
    let found = match raw.parse::<i32>() {
        Ok(id) => users::managed(&state.db, UserId(id)).await?,
        Err(_) => match users::by_userid(&state.db, raw).await? {
            Some(u) => users::managed(&state.db, u.id).await?,
            None => None,
        },
    };
    let target = found.ok_or_else(|| ApiError::invalid("user", format!("no user `{raw}`")))?;
    user_allowed(&snap, &admin, Action::View, &target).map_err(|d| d.at("user"))?;
    let principal = state
        .principals
        .get(&state.db, target.user.id)
        .await?
        .ok_or_else(|| ApiError::invalid("user", format!("no user `{raw}`")))?;
    // The org shown must be one the administrator may see too.
    let org = q.org.or_else(|| principal.scopes.first().copied());
    if let Some(org) = org.filter(|o| snap.orgs.get(*o).is_some()) {
        org_allowed(&snap, &admin, Action::View, "org", org)?;
    }
    let query = PointQuery { org: q.org, grain: q.grain, date: q.date };
    crate::routes::home::answer(&req, &state, &CurrentUser { principal, session: admin.0.session.clone() }, &query)
        .await
}
