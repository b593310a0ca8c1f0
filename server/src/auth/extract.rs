//! Extractors: `CurrentUser` (a valid token of an active user) and `AdminUser` (the same, with
//! the administrator role).

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};

use super::principal::{Principal, Role};
use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated, active caller.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Arc<Principal>);

impl Deref for CurrentUser {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl CurrentUser {
    /// Refuses a user with no data scope: they get `403 no_scope`, not an empty screen.
    pub fn require_scope(&self) -> Result<&[i32], ApiError> {
        if self.scopes.is_empty() { Err(ApiError::NoScope) } else { Ok(&self.scopes) }
    }
}

/// The authenticated caller with the administrator role.
#[derive(Debug, Clone)]
pub struct AdminUser(pub CurrentUser);

impl Deref for AdminUser {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.0.0
    }
}

/// The cookie holding the web console's token.
pub const SESSION_COOKIE: &str = "canmou_session";

/// The bearer token of a request, if any; else the console's session cookie.
pub fn bearer(req: &HttpRequest) -> Option<String> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = value.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned());
    }
    req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned())
}

pub async fn authenticate(req: &HttpRequest) -> Result<CurrentUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
    let token = bearer(req)
        .ok_or_else(|| ApiError::Unauthenticated("sign in: an Authorization: Bearer token is required".into()))?;
    let claims = state.jwt.verify(&token).map_err(|e| ApiError::Unauthenticated(e.to_string()))?;
    let id = claims.user_id().ok_or_else(|| ApiError::Unauthenticated("the token names no user".into()))?;
    let principal = state
        .principals
        .get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::Unauthenticated("the token's user no longer exists".into()))?;
    if !principal.active {
        return Err(ApiError::Unauthenticated("this account has been deactivated".into()));
    }
    Ok(CurrentUser(principal))
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
