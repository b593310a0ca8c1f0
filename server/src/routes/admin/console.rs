//! The administrators' web console at `/admin/`: static HTML, CSS and JS compiled into the
//! binary (no build step, no second server). It signs in through DingTalk's QR login and
//! talks to `/api/v1/admin/...` with the session cookie.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

const INDEX: &str = include_str!("../../../console/index.html");
const APP_JS: &str = include_str!("../../../console/app.js");
const APP_CSS: &str = include_str!("../../../console/app.css");

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        // Small files, and a new binary may bring new ones: revalidate every time.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body)
}

/// `/admin` → `/admin/`, so relative asset paths resolve.
#[utoipa::path(
    get,
    path = "/admin",
    responses((status = 302, description = "To `/admin/`")),
    tag = "console"
)]
pub async fn redirect() -> HttpResponse {
    HttpResponse::Found().insert_header((header::LOCATION, "/admin/")).finish()
}

#[utoipa::path(
    get,
    path = "/admin/",
    responses((status = 200, description = "The console's page", content_type = "text/html", body = String)),
    tag = "console"
)]
pub async fn index() -> HttpResponse {
    asset("text/html; charset=utf-8", INDEX)
}

#[utoipa::path(
    get,
    path = "/admin/{file}",
    params(("file" = String, Path, description = "A script or style sheet of the console")),
    responses((status = 200, description = "The file", body = String), (status = 404, description = "No such file")),
    tag = "console"
)]
pub async fn file(name: web::Path<String>) -> HttpResponse {
    match name.as_str() {
        "app.js" => asset("text/javascript; charset=utf-8", APP_JS),
        "app.css" => asset("text/css; charset=utf-8", APP_CSS),
        "index.html" => asset("text/html; charset=utf-8", INDEX),
        _ => HttpResponse::NotFound().finish(),
    }
}
