//! The actix extractors of who is calling: [`CurrentUser`] (a valid token of an active user,
//! whose session is open) and [`AdminUser`] (the same, with the administrator role). The types
//! are `auth`'s; checking a token against the sessions and users needs the application state,
//! which is why the extractors live in the HTTP layer.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};

use crate::auth::Role;
use crate::auth::extract::{AdminUser, Carrier, CurrentUser, bearer};
use crate::auth::memo;
use crate::error::ApiError;
use crate::state::AppState;

/// A browser sends the console's cookie with any request to this site, even one a hostile page
/// started: a change carried by the cookie must come as JSON (which a plain form or a
/// `text/plain` fetch cannot send without a CORS preflight) from a page of this very origin.
fn check_csrf(req: &HttpRequest, public_url: &str) -> Result<(), ApiError> {
    if req.method().is_safe() {
        return Ok(());
    }
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).unwrap_or("");
    if origin.is_empty() || origin.trim_end_matches('/') != public_url.trim_end_matches('/') {
        return Err(ApiError::Forbidden(format!(
            "a change made with the console's cookie must come from {public_url} (Origin `{origin}`)"
        )));
    }
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
    if !json {
        return Err(ApiError::Forbidden(
            "a change made with the console's cookie must be sent as application/json".into(),
        ));
    }
    Ok(())
}

pub async fn authenticate(req: &HttpRequest) -> Result<CurrentUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
    let (token, carrier) = bearer(req)
        .ok_or_else(|| ApiError::Unauthenticated("sign in: an Authorization: Bearer token is required".into()))?;
    let epoch = state.sessions.epoch();
    let user = match memo::recall(epoch, &token) {
        Some(user) => user,
        None => {
            let seen = epoch.now();
            let (user, expires) = check(state, &token).await?;
            memo::remember(epoch, seen, &token, &user, expires);
            user
        }
    };
    if carrier == Carrier::Cookie {
        check_csrf(req, &state.settings.server.public_url)?;
    }
    Ok(user)
}

/// The full check of a token: signature and claims, a live session, an active user. Returns
/// the caller and the token's expiry.
async fn check(state: &AppState, token: &str) -> Result<(CurrentUser, i64), ApiError> {
    let claims = state.jwt.verify(token).map_err(|e| ApiError::Unauthenticated(e.to_string()))?;
    let id = claims.user_id().ok_or_else(|| ApiError::Unauthenticated("the token names no user".into()))?;
    if state.sessions.user(&state.db, &claims.sid).await? != Some(id) {
        return Err(ApiError::Unauthenticated("this session has ended: sign in again".into()));
    }
    let principal = state
        .principals
        .get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::Unauthenticated("the token's user no longer exists".into()))?;
    if !principal.active {
        return Err(ApiError::Unauthenticated("this account has been deactivated".into()));
    }
    Ok((CurrentUser { principal, session: claims.sid }, claims.exp))
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

impl FromRequest for AdminUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = authenticate(&req).await?;
            if user.role != Role::Admin {
                return Err(ApiError::Forbidden("administrators only".into()));
            }
            Ok(AdminUser(user))
        })
    }
}
