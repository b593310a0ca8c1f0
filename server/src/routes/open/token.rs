//! `POST /open/v1/token`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4). The client
//! authenticates with HTTP Basic (`client_secret_basic`) or in the body (`client_secret_post`),
//! the body being a form or JSON. Errors are RFC 6749's (§5.2), not Canmou's usual shape:
//! client libraries read them.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::note;
use crate::error::ApiError;
use crate::open::App;
use crate::state::AppState;

/// The token request's parameters (RFC 6749 §4.4.2); others are ignored, as the RFC says.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    /// Must be `client_credentials`.
    pub grant_type: Option<String>,
    /// With `client_secret_post`; else in the Basic `Authorization` header.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Accepted and ignored: an application's scope is what its administrator registered.
    pub scope: Option<String>,
}

/// A bearer token for `/open/v1/`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds.
    pub expires_in: i64,
}

/// An RFC 6749 error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `invalid_grant` or `unsupported_grant_type`.
    pub error: &'static str,
    pub error_description: String,
}

/// Why a token request failed: an RFC 6749 refusal, or our own failure.
enum Failure {
    Refused(&'static str, String),
    Internal(ApiError),
}

impl<E: Into<ApiError>> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure::Internal(e.into())
    }
}

fn refuse(error: &'static str, description: impl Into<String>) -> Failure {
    Failure::Refused(error, description.into())
}

fn oauth_error(error: &'static str, description: String) -> HttpResponse {
    let mut res = if error == "invalid_client" {
        let mut r = HttpResponse::Unauthorized();
        r.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"canmou-open\""));
        r
    } else {
        HttpResponse::BadRequest()
    };
    res.insert_header((header::CACHE_CONTROL, "no-store")).json(OAuthError { error, error_description: description })
}

/// The request's parameters, from a form or a JSON body.
fn parse(req: &HttpRequest, body: &[u8]) -> Result<TokenRequest, Failure> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match content_type.as_str() {
        "application/x-www-form-urlencoded" => serde_urlencoded::from_bytes(body)
            .map_err(|e| refuse("invalid_request", format!("malformed form body: {e}"))),
        "application/json" => {
            serde_json::from_slice(body).map_err(|e| refuse("invalid_request", format!("malformed JSON body: {e}")))
        }
        "" if body.is_empty() => Ok(TokenRequest::default()),
        other => Err(refuse(
            "invalid_request",
            format!("unsupported content type `{other}`: send application/x-www-form-urlencoded or application/json"),
        )),
    }
}

/// Client id and secret from `Authorization: Basic` (each form-urlencoded, RFC 6749 §2.3.1).
fn basic(req: &HttpRequest) -> Result<Option<(String, String)>, Failure> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else { return Ok(None) };
    let bad = || refuse("invalid_client", "malformed Basic credentials");
    let value = value.to_str().map_err(|_| bad())?;
    let Some((scheme, encoded)) = value.split_once(' ') else { return Err(bad()) };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(refuse("invalid_client", "only Basic client authentication is accepted in Authorization"));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| -> Result<String, Failure> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={s}")).map_err(|_| bad())?;
        Ok(pairs.into_iter().next().map(|(_, v)| v).unwrap_or_default())
    };
    Ok(Some((unescape(id)?, unescape(secret)?)))
}

/// Exchanges an application's credentials for a short-lived bearer token.
#[utoipa::path(
    post,
    path = "/open/v1/token",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded",
        description = "grant_type=client_credentials; the client's id and secret here or in HTTP Basic"),
    responses(
        (status = 200, body = TokenResponse, description = "A token for the open API"),
        (status = 400, body = OAuthError, description = "invalid_request, invalid_grant or unsupported_grant_type"),
        (status = 401, body = OAuthError, description = "invalid_client"),
    ),
    security((), ("client_basic" = [])),
    tag = "auth"
)]
pub async fn issue(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    match grant(&req, &state, &body).await {
        Ok(res) => Ok(res),
        Err(Failure::Refused(error, description)) => Ok(oauth_error(error, description)),
        Err(Failure::Internal(e)) => Err(e),
    }
}

async fn grant(req: &HttpRequest, state: &AppState, body: &[u8]) -> Result<HttpResponse, Failure> {
    let params = parse(req, body)?;
    let basic = basic(req)?;
    match params.grant_type.as_deref() {
        None => return Err(refuse("invalid_request", "grant_type is required")),
        Some("client_credentials") => {}
        Some(other) => {
            return Err(refuse("unsupported_grant_type", format!("`{other}`: only client_credentials is supported")));
        }
    }
    let (client_id, secret) = match (basic, params.client_id, params.client_secret) {
        (Some(_), _, Some(_)) => {
            return Err(refuse("invalid_request", "use one client authentication method, not Basic and the body"));
        }
        (Some((id, secret)), None, None) => (id, secret),
        (Some((id, secret)), Some(body_id), None) if body_id == id => (id, secret),
        (Some(_), Some(_), None) => return Err(refuse("invalid_request", "client_id differs from the Basic user")),
        (None, Some(id), Some(secret)) => (id, secret),
        (None, _, _) => {
            return Err(refuse(
                "invalid_client",
                "client authentication is required (Basic, or client_id and client_secret)",
            ));
        }
    };
    let Some(model) = crate::store::open_apps::by_client_id(&state.db, &client_id).await? else {
        // The same Argon2 cost as a known client: response times do not tell which ids exist.
        let _ = crate::open::secret::verify_blocking(secret, DUMMY_HASH.to_owned()).await;
        return Err(refuse("invalid_client", "unknown client or wrong secret"));
    };
    let app = App::from(model);
    note(req, |n| n.app_id = Some(app.id));
    let now = chrono::Utc::now();
    let mut ok = false;
    for stored in app.accepted_hashes(now) {
        if state.open.verified.check(&client_id, &secret, stored).await {
            ok = true;
            break;
        }
    }
    if !ok {
        return Err(refuse("invalid_client", "unknown client or wrong secret"));
    }
    if !app.active {
        return Err(refuse("invalid_grant", "this application has been suspended"));
    }
    let (token, exp) = state
        .open
        .keys
        // Not a mini-program session: `/api/` refuses it on the audience, and would on the session.
        .issue(app.id, &format!("open-app:{}", app.id), now)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("signing an application token: {e}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(TokenResponse { access_token: token, token_type: "Bearer", expires_in: (exp - now).num_seconds() }))
}

/// An Argon2id hash of a random string, with the same parameters as real ones.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Q0+5kq5Qv3yJ7kF1e2l3cQm0mJk3pQ3GZ2X8mC2x9sM";
