//! `GET /api/v1/me`: who the caller is, what they may see, their card set and briefing.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    pub id: i32,
    pub userid: String,
    pub name: String,
    pub title: Option<String>,
    /// `viewer` or `admin`.
    pub role: &'static str,
}

impl From<&crate::auth::Principal> for UserDto {
    fn from(p: &crate::auth::Principal) -> Self {
        UserDto {
            id: p.id.get(),
            userid: p.userid.clone(),
            name: p.name.clone(),
            title: p.title.clone(),
            role: p.role.as_str(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScopeDto {
    id: i32,
    name: String,
    path: String,
    kind: String,
    level: i16,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CardSetDto {
    id: i32,
    name: String,
    version: i32,
    default_grain: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BriefingDto {
    pub enabled: bool,
    /// Local send time, `HH:MM` on the quarter hour.
    pub time: String,
    pub include_weekends: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    user: UserDto,
    scopes: Vec<ScopeDto>,
    card_set: Option<CardSetDto>,
    briefing: BriefingDto,
}

#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = Me), (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])), tag = "me")]
pub async fn me(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let scopes = user
        .scopes
        .iter()
        .filter_map(|id| snap.orgs.get(*id))
        .map(|n| ScopeDto {
            id: n.id.get(),
            name: n.name.clone(),
            path: n.path.clone(),
            kind: n.kind.as_str().to_owned(),
            level: n.level,
        })
        .collect();
    let card_set = snap.card_sets.resolve(user.id, user.scopes.first().copied(), &snap.orgs).map(|s| CardSetDto {
        id: s.id,
        name: s.name.clone(),
        version: s.version,
        default_grain: s.default_grain.as_str(),
    });
    let briefing = BriefingDto::from(crate::store::briefings::subscription(&state.db, user.id).await?);
    Ok(HttpResponse::Ok().json(Me { user: UserDto::from(&*user.principal), scopes, card_set, briefing }))
}
