//! `GET /api/v1/boards` (the boards the caller sees) and `GET /api/v1/boards/{code}` (one
//! board's screen: its sections of cards, in one answer, cached and versioned like `/home`).

use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::CurrentUser;
use crate::cache::{AnswerKey, serve, to_json};
use crate::domain::boards::{self, Hidden};
use crate::domain::period::{Grain, Period};
use crate::error::ApiError;
use crate::routes::extract::Query;
use crate::state::{AppState, Snapshot};
use crate::views::boards::{BoardList, BoardScreen, screen};
use crate::views::params::{self, PointQuery};

/// What the caller's audience (their first scope) does not see.
fn hidden(snap: &Snapshot, user: &CurrentUser) -> Hidden {
    Hidden::for_audience(&snap.board_rules, &snap.orgs, user.scopes.first().copied())
}

/// The boards the caller sees, each with its sections and indicators.
#[utoipa::path(
    get,
    path = "/api/v1/boards",
    responses((status = 200, body = BoardList), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "read"
)]
pub async fn list(req: HttpRequest, state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    user.require_scope()?;
    let hidden = hidden(&snap, &user);
    let today = state.today();
    let key =
        AnswerKey::new("boards", (0, 0), 0, Period::containing(Grain::Day, today), hidden.key(), snap.version, today);
    serve(&req, &state.answers, key, || async { to_json(&BoardList::new(&boards::visible(&snap.catalogue, &hidden))) })
        .await
}

/// One board for an org, grain and period (defaults as for `/home`).
#[utoipa::path(
    get,
    path = "/api/v1/boards/{code}",
    params(("code" = String, Path, description = "Board: collab, service, mobile or governance"), PointQuery),
    responses(
        (status = 200, body = BoardScreen),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)
    ),
    security(("bearer" = [])),
    tag = "read"
)]
pub async fn board(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    code: web::Path<String>,
    q: Query<PointQuery>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let org = params::org(&snap, &user, q.org)?;
    let hidden = hidden(&snap, &user);
    let board = boards::board(&snap.catalogue, &hidden, &code)
        .ok_or_else(|| ApiError::NotFound(format!("no board `{code}`")))?;
    let default = snap
        .card_sets
        .resolve(user.id, user.scopes.first().copied(), &snap.orgs)
        .map_or(Grain::Day, |s| s.default_grain);
    let grain = q.grain.unwrap_or(default);
    let today = state.today();
    let period = params::period(&snap, q.date, grain, today)?;
    let index = boards::BOARDS.iter().position(|b| b.code == board.layout.code).unwrap_or(0);
    let subject = (i32::try_from(index).unwrap_or(0), 0);
    let key = AnswerKey::new("board", subject, org.id.get(), period, hidden.key(), snap.version, today);
    serve(&req, &state.answers, key, || async { to_json(&screen(&state.db, &snap, &board, org, period, today).await?) })
        .await
}
