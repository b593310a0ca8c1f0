//! `/open/openapi.json`: the open API's own document, generated from the handlers'
//! annotations, with its security schemes (OAuth 2.0 client credentials, and the bearer token
//! it yields), so that an application's developers can generate a client.

use actix_web::HttpResponse;
use utoipa::OpenApi;

use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Canmou (参谋) open data API",
        description = "Indicators for registered government applications (G+): exchange the client id and secret for a token at POST /open/v1/token, then read the metrics of your allowlist for the orgs of your scope. Limits: a rate and a daily quota per application (429 with Retry-After and RateLimit-* headers)."
    ),
    paths(super::token::issue, super::reads::metrics, super::reads::facts, super::reads::ranking),
    components(schemas(ErrorBody, super::token::OAuthError, super::token::TokenResponse)),
    modifiers(&Security)
)]
pub struct OpenDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A token from POST /open/v1/token (OAuth 2.0 client credentials)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::new([Flow::ClientCredentials(ClientCredentials::new(
                "/open/v1/token",
                Scopes::new(),
            ))])),
        );
        components.add_security_scheme(
            "client_basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
    }
}

pub async fn spec() -> HttpResponse {
    HttpResponse::Ok().json(OpenDoc::openapi())
}
