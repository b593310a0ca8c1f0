//! `/openapi.json`, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::OpenApi;

use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(title = "Canmou (参谋) API", description = "The mobile KPI backend for government DingTalk."),
    paths(super::health::healthz, super::health::readyz, super::catalogue::list),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;

pub async fn spec() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
