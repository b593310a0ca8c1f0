//! `/healthz` (the process answers), `/readyz` (the database answers and is migrated) and
//! `/metrics` (Prometheus).

use actix_web::{HttpResponse, web};
use anyhow::Context;
use prometheus::{Encoder, Registry, TEXT_FORMAT, TextEncoder};
use serde::Serialize;

use crate::db;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` on `/readyz` when a check fails.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    database: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    migrations: Option<&'static str>,
}

/// Liveness: the process is up and serving.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)), tag = "operations")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok", database: None, migrations: None })
}

/// Readiness: the database is reachable and every migration is applied.
#[utoipa::path(get, path = "/readyz", responses((status = 200, body = Health), (status = 503, body = Health)), tag = "operations")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = state.db.ping().await.is_ok();
    let migrations = database && db::migrations_current(&state.db).await.unwrap_or(false);
    let body = Health {
        status: if database && migrations { "ok" } else { "unavailable" },
        database: Some(if database { "ok" } else { "unreachable" }),
        migrations: Some(if migrations { "current" } else { "pending" }),
    };
    if database && migrations { HttpResponse::Ok().json(body) } else { HttpResponse::ServiceUnavailable().json(body) }
}

/// Prometheus text: request counts and durations by route pattern, method and status (filled by
/// the actix-web-prom middleware), and whatever else the registry holds.
#[utoipa::path(
    get,
    path = "/metrics",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4", content_type = "text/plain", body = String)),
    tag = "operations"
)]
pub async fn metrics(registry: web::Data<Registry>) -> Result<HttpResponse, ApiError> {
    let mut body = Vec::new();
    TextEncoder::new().encode(&registry.gather(), &mut body).context("cannot encode the Prometheus metrics")?;
    Ok(HttpResponse::Ok().content_type(TEXT_FORMAT).body(body))
}
