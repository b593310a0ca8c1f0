//! `GET /api/v1/bench/ceiling`: a fixed 1 KB JSON behind the same authentication and
//! middleware as every read — what the read benchmark compares the real endpoints with.
//! Mounted only when `server.bench_ceiling` is on.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use actix_web::http::header;

use crate::auth::CurrentUser;

static BODY: LazyLock<String> = LazyLock::new(|| {
    let filler = "x".repeat(1024 - 20);
    format!("{{\"ok\":true,\"pad\":\"{filler}\"}}")
});

pub async fn ceiling(_user: CurrentUser) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .insert_header((header::CONTENT_ENCODING, "identity"))
        .body(BODY.as_str())
}
