//! `GET /api/v1/metrics`: the indicator catalogue.

use actix_web::{HttpResponse, web};
use entities::metric;
use sea_orm::{EntityTrait, QueryOrder};
use serde::Serialize;

use crate::error::ApiError;
use crate::state::AppState;

/// One indicator of the catalogue.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricDto {
    pub code: String,
    /// Chinese name, e.g. 活跃率.
    pub name: String,
    pub unit: String,
    /// `sum`, `last`, `distinct` or `ratio`.
    pub kind: String,
    /// For a ratio: how its parts roll up.
    pub part_kind: Option<String>,
    pub numerator: Option<String>,
    pub denominator: Option<String>,
    /// `up` when a rise is good, `down` when a fall is.
    pub direction: String,
    /// Decimal places shown.
    pub precision: i16,
    /// `collab`, `service`, `mobile` or `governance`.
    pub category: String,
    /// The definition (口径).
    pub description: String,
    pub active: bool,
    /// Day-grain 环比 compares a working day with the previous working day, a rest day with
    /// the previous rest day.
    pub working_days: bool,
}

impl From<metric::Model> for MetricDto {
    fn from(m: metric::Model) -> Self {
        MetricDto {
            code: m.code,
            name: m.name,
            unit: m.unit,
            kind: m.kind.as_str().to_owned(),
            part_kind: m.part_kind.map(|p| p.as_str().to_owned()),
            numerator: m.numerator,
            denominator: m.denominator,
            direction: m.direction.as_str().to_owned(),
            precision: m.precision,
            category: m.category,
            description: m.description,
            active: m.active,
            working_days: m.working_days,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Catalogue {
    metrics: Vec<MetricDto>,
}

/// The indicator catalogue, in catalogue order.
#[utoipa::path(get, path = "/api/v1/metrics", responses((status = 200, body = Catalogue)), tag = "read")]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let metrics = metric::Entity::find()
        .order_by_asc(metric::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(MetricDto::from)
        .collect();
    Ok(HttpResponse::Ok().json(Catalogue { metrics }))
}
