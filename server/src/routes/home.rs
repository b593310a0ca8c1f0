//! `GET /api/v1/home`: the whole home screen in one answer.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::CurrentUser;
use crate::cache::serve;
use crate::error::ApiError;
use crate::routes::extract::Query;
use crate::state::AppState;
use crate::views::cards::Home;
use crate::views::home::{answer_key, render};
use crate::views::params::{self, PointQuery};

/// The caller's cards for an org, grain and period (defaults: first scope, the card set's
/// grain, the latest complete period).
#[utoipa::path(
    get,
    path = "/api/v1/home",
    params(PointQuery),
    responses(
        (status = 200, body = Home),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)
    ),
    security(("bearer" = [])),
    tag = "read"
)]
pub async fn home(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<PointQuery>,
) -> Result<HttpResponse, ApiError> {
    answer(&req, &state, &user, &q).await
}

/// The home screen of `user` — the caller, or the user an administrator previews.
pub async fn answer(
    req: &HttpRequest,
    state: &AppState,
    user: &CurrentUser,
    q: &PointQuery,
) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let org = params::org(&snap, user, q.org)?;
    let set = snap
        .card_sets
        .resolve(user.id, user.scopes.first().copied(), &snap.orgs)
        .ok_or_else(|| ApiError::NotFound("no card set is configured".into()))?;
    let grain = q.grain.unwrap_or(set.default_grain);
    let today = state.today();
    let period = params::period(&snap, q.date, grain, today)?;
    let key = answer_key(&snap, set, org, period, today);
    serve(req, &state.answers, key, || render(state, &snap, set, org, period, today)).await
}
