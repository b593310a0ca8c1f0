//! `/openapi.json`, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::OpenApi;

use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(title = "Canmou (参谋) API", description = "The mobile KPI backend for government DingTalk."),
    paths(
        super::health::healthz,
        super::health::readyz,
        super::catalogue::list,
        super::auth::login,
        super::auth::refresh,
        super::auth::web_start,
        super::me::me,
        super::subscription::get,
        super::subscription::set,
        super::calendar::list,
        super::calendar::change,
        super::deliveries::list,
        super::deliveries::run,
        super::deliveries::resend,
        super::home::home,
        super::boards::list,
        super::boards::board,
        super::metric::detail,
        super::metric::series,
        super::metric::breakdown,
        super::orgs::get,
        super::orgs::children,
        super::orgs::search,
        super::exports::export,
        super::sync::runs,
        super::sync::rejected,
        super::sync::run,
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

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

pub async fn spec() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
