//! Signing in. Officials: the mini-program's login-free flow (免登) — `POST /auth/dingtalk`
//! with the code from `dd.getAuthCode`. Administrators: DingTalk's QR login for the web console
//! — `GET /auth/dingtalk/web` → DingTalk → `GET /auth/dingtalk/callback`, `state` checked, the
//! token kept in an HttpOnly cookie. Both are rate-limited per client address.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use entities::ids::UserId;
use serde::{Deserialize, Serialize};

use crate::auth::extract::SESSION_COOKIE;
use crate::dingtalk::query_value;
use crate::error::ApiError;
use crate::routes::caller::authenticate;
use crate::routes::extract::{Json, Query};
use crate::routes::me::UserDto;
use crate::state::AppState;
use crate::store::sessions::{self, Client};
use crate::store::users;

const STATE_COOKIE: &str = "canmou_oauth_state";

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LoginBody {
    /// What `dd.getAuthCode` returned: single use, valid for 5 minutes.
    auth_code: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// The access token (a bearer token), good until `expiresAt`.
    token: String,
    expires_at: DateTime<Utc>,
    /// Trades once for a new access token and a new refresh token (`POST /auth/refresh`); a
    /// refresh token used twice ends the session.
    refresh_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<UserDto>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RefreshBody {
    refresh_token: String,
}

fn limit(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let ip = req.peer_addr().map(|a| a.ip()).unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
    state.login_limiter.check_key(&ip).map_err(|_| ApiError::RateLimited { retry_after_secs: 60 })
}

/// The Canmou user behind a DingTalk userid, if they may sign in.
async fn admit(state: &AppState, userid: &str) -> Result<UserId, ApiError> {
    let user = users::by_userid(&state.db, userid).await?.ok_or_else(|| {
        ApiError::Forbidden("你的账号尚未同步到参谋，请稍后再试或联系管理员 (not in the synced directory yet)".into())
    })?;
    if !user.active {
        return Err(ApiError::Forbidden("this account has been deactivated".into()));
    }
    let id = user.id;
    users::touch_login(&state.db, user).await?;
    state.principals.invalidate(id).await;
    Ok(id)
}

fn issue(state: &AppState, id: UserId, session: &str) -> Result<(String, DateTime<Utc>), ApiError> {
    state
        .jwt
        .issue(id.get(), session, Utc::now())
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("signing a token")))
}

/// Opens a session for `id`: the mini-program's lasts `auth.session_ttl_days` through
/// refreshes, the console's as long as its one token.
async fn open_session(state: &AppState, id: UserId, client: Client) -> Result<sessions::Opened, ApiError> {
    let now = Utc::now();
    let auth = &state.settings.auth;
    let lasts = match client {
        Client::Miniapp => chrono::Duration::days(i64::try_from(auth.session_ttl_days).unwrap_or(30)),
        Client::Console => chrono::Duration::seconds(i64::try_from(auth.token_ttl_secs).unwrap_or(7200)),
    };
    Ok(sessions::open(&state.db, id, client, now, now + lasts).await?)
}

/// Exchanges a mini-program login code for a Canmou token.
#[utoipa::path(
    post,
    path = "/api/v1/auth/dingtalk",
    request_body = LoginBody,
    responses(
        (status = 200, body = Session),
        (status = 401, description = "invalid_auth_code: expired, used or unknown code", body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody),
        (status = 503, body = crate::error::ErrorBody)
    ),
    tag = "auth"
)]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    limit(&req, &state)?;
    let code = body.auth_code.trim();
    if code.is_empty() || code.len() > 256 {
        return Err(ApiError::invalid("authCode", "a login code from dd.getAuthCode is required"));
    }
    let who = state.dingtalk.user_info_by_code(code).await?;
    let id = admit(&state, &who.userid).await?;
    let session = open_session(&state, id, Client::Miniapp).await?;
    let (token, expires_at) = issue(&state, id, &session.id)?;
    let principal = state.principals.get(&state.db, id).await?;
    Ok(HttpResponse::Ok().json(Session {
        token,
        expires_at,
        refresh_token: session.refresh_token,
        user: principal.as_deref().map(UserDto::from),
    }))
}

/// A fresh token for a still-valid one (or the console's cookie).
#[utoipa::path(post, path = "/api/v1/auth/refresh", request_body = RefreshBody, responses((status = 200, body = Session), (status = 401, body = crate::error::ErrorBody)), tag = "auth")]
pub async fn refresh(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<RefreshBody>,
) -> Result<HttpResponse, ApiError> {
    limit(&req, &state)?;
    let presented = body.refresh_token.trim();
    if presented.is_empty() || presented.len() > 256 {
        return Err(ApiError::invalid("refreshToken", "the refresh token from the last sign-in or refresh"));
    }
    let (session, id, next) = match sessions::rotate(&state.db, presented, Utc::now()).await? {
        Ok(rotated) => rotated,
        Err(sessions::Refused::Invalid) => {
            return Err(ApiError::Unauthenticated("this refresh token is not valid: sign in again".into()));
        }
        Err(sessions::Refused::Reused(session)) => {
            state.sessions.forget(&session).await;
            tracing::warn!(session, "a refresh token was used twice: its session is revoked");
            return Err(ApiError::Unauthenticated("this refresh token was already used: sign in again".into()));
        }
    };
    let principal = state
        .principals
        .get(&state.db, id)
        .await?
        .filter(|p| p.active)
        .ok_or_else(|| ApiError::Unauthenticated("this account has been deactivated".into()))?;
    let (token, expires_at) = issue(&state, id, &session)?;
    Ok(HttpResponse::Ok().json(Session {
        token,
        expires_at,
        refresh_token: next,
        user: Some(UserDto::from(&*principal)),
    }))
}

/// From configuration, never from the request's `Host` (which a client chooses).
fn callback_url(state: &AppState) -> String {
    format!("{}/api/v1/auth/dingtalk/callback", state.settings.server.public_url.trim_end_matches('/'))
}

/// Starts the console's QR login: off to DingTalk with a random `state`.
#[utoipa::path(get, path = "/api/v1/auth/dingtalk/web", responses((status = 302, description = "To DingTalk's QR login")), tag = "auth")]
pub async fn web_start(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    limit(&req, &state)?;
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let settings = &state.settings.dingtalk;
    let location = format!(
        "{}/oauth2/auth?redirect_uri={}&response_type=code&client_id={}&scope=openid%20corpid&state={}&prompt=consent",
        settings.login_base.trim_end_matches('/'),
        query_value(&callback_url(&state)),
        query_value(&settings.app_key),
        nonce
    );
    let cookie = Cookie::build(STATE_COOKIE, nonce)
        .path("/api/v1/auth/dingtalk")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::minutes(10))
        .finish();
    Ok(HttpResponse::Found().insert_header((header::LOCATION, location)).cookie(cookie).finish())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    #[serde(rename = "authCode")]
    auth_code: Option<String>,
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// DingTalk's redirect after the scan: checks `state`, identifies the user, sets the session.
#[utoipa::path(
    get,
    path = "/api/v1/auth/dingtalk/callback",
    params(CallbackQuery),
    responses((status = 302, description = "To the console, with the session cookie"), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)),
    tag = "auth"
)]
pub async fn web_callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query<CallbackQuery>,
) -> Result<HttpResponse, ApiError> {
    limit(&req, &state)?;
    let expected = req.cookie(STATE_COOKIE).map(|c| c.value().to_owned());
    if expected.is_none() || q.state.is_none() || expected != q.state {
        return Err(ApiError::invalid("state", "the login was not started here or has expired; start again"));
    }
    if let Some(error) = &q.error {
        return Err(ApiError::Unauthenticated(format!("DingTalk refused the login: {error}")));
    }
    let code = q.auth_code.as_deref().or(q.code.as_deref()).ok_or_else(|| ApiError::invalid("authCode", "missing"))?;
    let token = state.dingtalk.user_access_token(code).await?;
    let corp = &state.settings.dingtalk.corp_id;
    if !corp.is_empty() && &token.corp_id != corp {
        return Err(ApiError::Forbidden("this DingTalk account belongs to another organisation".into()));
    }
    let me = state.dingtalk.contact_me(&token.access_token).await?;
    let userid = state.dingtalk.userid_by_unionid(&me.union_id).await?;
    let id = admit(&state, &userid).await?;
    let opened = open_session(&state, id, Client::Console).await?;
    let (jwt, _) = issue(&state, id, &opened.id)?;
    let session = Cookie::build(SESSION_COOKIE, jwt)
        .path("/")
        .http_only(true)
        .secure(state.settings.server.public_url.starts_with("https://"))
        .same_site(SameSite::Strict)
        .max_age(CookieDuration::seconds(i64::try_from(state.settings.auth.token_ttl_secs).unwrap_or(7200)))
        .finish();
    let mut clear = Cookie::build(STATE_COOKIE, "").path("/api/v1/auth/dingtalk").finish();
    clear.make_removal();
    Ok(HttpResponse::Found().insert_header((header::LOCATION, "/admin/")).cookie(session).cookie(clear).finish())
}

/// Ends the caller's session (its access and refresh tokens) and clears the console's cookie.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    responses((status = 204, description = "Signed out; the console's cookie is cleared")),
    security((), ("bearer" = [])),
    tag = "auth"
)]
pub async fn logout(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    // Signed out already (no token, or a dead one): only the cookie is left to clear.
    if let Ok(user) = authenticate(&req).await {
        sessions::revoke(&state.db, &user.session, "signed out", Utc::now()).await?;
        state.sessions.forget(&user.session).await;
    }
    let mut clear = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    clear.make_removal();
    Ok(HttpResponse::NoContent().cookie(clear).finish())
}
