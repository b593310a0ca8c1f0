//! `GET /api/v1/me/briefing`, `POST /api/v1/me/briefing`: the caller's daily briefing — its
//! time (on the quarter hour, business time), on or off, and whether weekends and holidays
//! get one too.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::me::BriefingDto;
use crate::auth::CurrentUser;
use crate::domain::briefing::{SendTime, Subscription};
use crate::error::ApiError;
use crate::routes::extract::Json;
use crate::state::AppState;
use crate::store::briefings;

impl From<Subscription> for BriefingDto {
    fn from(s: Subscription) -> Self {
        BriefingDto { enabled: s.enabled, time: s.time.to_string(), include_weekends: s.include_weekends }
    }
}

/// A change; fields left out keep their value.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscriptionChange {
    pub enabled: Option<bool>,
    /// `HH:MM` on the quarter hour, business time.
    pub time: Option<String>,
    pub include_weekends: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/me/briefing", responses((status = 200, body = BriefingDto), (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])), tag = "me")]
pub async fn get(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let sub = briefings::subscription(&state.db, user.id).await?;
    Ok(HttpResponse::Ok().json(BriefingDto::from(sub)))
}

#[utoipa::path(post, path = "/api/v1/me/briefing", request_body = SubscriptionChange, responses((status = 200, body = BriefingDto), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])), tag = "me")]
pub async fn set(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: Json<SubscriptionChange>,
) -> Result<HttpResponse, ApiError> {
    let change = body.into_inner();
    let time = change
        .time
        .as_deref()
        .map(SendTime::parse)
        .transpose()
        .map_err(|e| ApiError::invalid("time", e.to_string()))?;
    let mut sub = briefings::subscription(&state.db, user.id).await?;
    if let Some(enabled) = change.enabled {
        sub.enabled = enabled;
    }
    if let Some(time) = time {
        sub.time = time;
    }
    if let Some(weekends) = change.include_weekends {
        sub.include_weekends = weekends;
    }
    briefings::save_subscription(&state.db, user.id, &sub, Utc::now()).await?;
    Ok(HttpResponse::Ok().json(BriefingDto::from(sub)))
}
