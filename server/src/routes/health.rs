//! `/healthz` (the process answers) and `/readyz` (the database answers and is migrated).

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::db;
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
