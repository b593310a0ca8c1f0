//! `canmou bench-ceiling`: what the read benchmark measures Canmou against — a bare actix-web
//! server on the same machine, two workers per core, no middleware at all, one handler that
//! verifies an HS256 bearer token with jsonwebtoken and answers a precomputed 1 KB JSON.
//! Nothing of Canmou's request path (error shaping, Prometheus, logging, compression, caches)
//! is in it, so a ratio to it shows what that path costs.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

struct Ceiling {
    key: DecodingKey,
    validation: Validation,
    body: web::Bytes,
}

#[derive(Deserialize)]
struct Claims {
    #[allow(dead_code)]
    sub: serde_json::Value,
}

async fn answer(req: HttpRequest, ceiling: web::Data<Arc<Ceiling>>) -> HttpResponse {
    let token =
        req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match token.map(|t| jsonwebtoken::decode::<Claims>(t, &ceiling.key, &ceiling.validation)) {
        Some(Ok(_)) => HttpResponse::Ok().content_type("application/json").body(ceiling.body.clone()),
        _ => HttpResponse::Unauthorized().finish(),
    }
}

pub async fn run(port: u16, secret: &str) -> anyhow::Result<()> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let filler = "x".repeat(1024 - 20);
    let ceiling = Arc::new(Ceiling {
        key: DecodingKey::from_secret(secret.as_bytes()),
        validation,
        body: web::Bytes::from(format!("{{\"ok\":true,\"pad\":\"{filler}\"}}")),
    });
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get() * 2);
    println!("bare ceiling on http://127.0.0.1:{port}/ ({workers} workers)");
    HttpServer::new(move || App::new().app_data(web::Data::new(ceiling.clone())).default_service(web::to(answer)))
        .workers(workers)
        .bind(("127.0.0.1", port))?
        .run()
        .await?;
    Ok(())
}
