//! `/openapi.json`, generated from the route table and its handlers' annotations.

use actix_web::HttpResponse;
use utoipa::OpenApi;

use crate::error::ErrorBody;

/// What the document says beside its paths, which come from the route table
/// (`routes::table::route_doc`).
#[derive(OpenApi)]
#[openapi(
    info(title = "Canmou (参谋) API", description = "The mobile KPI backend for government DingTalk."),
    components(schemas(ErrorBody)),
    tags(
        (name = "read", description = "The mini-program's reads: home screen, boards, metrics, records"),
        (name = "me", description = "The signed-in user and their settings"),
        (name = "auth", description = "Signing in (DingTalk) and sessions"),
        (name = "admin", description = "The console's administration: administrators only, within their scope"),
        (name = "operations", description = "Probes, metrics and this document"),
        (name = "console", description = "The administration console's static pages"),
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The whole document: every route of the table, described.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(super::table::route_doc());
    doc
}

/// Declares the `bearer` security scheme the read endpoints use.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", responses((status = 200, description = "The OpenAPI 3.1 description of this API", content_type = "application/json")), tag = "operations")]
pub async fn spec() -> HttpResponse {
    HttpResponse::Ok().json(document())
}
