//! Who is calling, as a request shows it: `CurrentUser` (a valid token of an active user),
//! `AdminUser` (the same, with the administrator role) and the token a request carries. The
//! actix extractors that check the token against the sessions are the HTTP layer's
//! (`routes::extract`): this module knows nothing of the application state.

use entities::ids::OrgId;
use std::ops::Deref;
use std::sync::Arc;

use actix_web::{HttpRequest, http::header};

use super::principal::Principal;
use crate::error::ApiError;

/// The authenticated, active caller, and the session their token belongs to.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub principal: Arc<Principal>,
    pub session: String,
}

impl Deref for CurrentUser {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl CurrentUser {
    /// Refuses a user with no data scope: they get `403 no_scope`, not an empty screen.
    pub fn require_scope(&self) -> Result<&[OrgId], ApiError> {
        if self.scopes.is_empty() { Err(ApiError::NoScope) } else { Ok(&self.scopes) }
    }
}

/// The authenticated caller with the administrator role.
#[derive(Debug, Clone)]
pub struct AdminUser(pub CurrentUser);

impl Deref for AdminUser {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.0.principal
    }
}

/// The cookie holding the web console's token.
pub const SESSION_COOKIE: &str = "canmou_session";

/// Where a request's token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    Bearer,
    Cookie,
}

/// The bearer token of a request, if any; else the console's session cookie.
pub fn bearer(req: &HttpRequest) -> Option<(String, Carrier)> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = value.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| (token.trim().to_owned(), Carrier::Bearer));
    }
    req.cookie(SESSION_COOKIE).map(|c| (c.value().to_owned(), Carrier::Cookie))
}
