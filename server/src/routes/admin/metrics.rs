//! `/api/v1/admin/metrics`: the catalogue's display name, unit, precision, description (口径)
//! and whether a metric is active. Codes and kinds are the contract with the feed: not editable.

use actix_web::{HttpRequest, HttpResponse, web};
use entities::metric;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::{check, publish_change, record, to_json};
use crate::auth::AdminUser;
use crate::error::ApiError;
use crate::policy::{self, Action, Target};
use crate::routes::extract::Json;
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricItem {
    code: String,
    name: String,
    unit: String,
    kind: String,
    direction: String,
    precision: i16,
    category: String,
    description: String,
    active: bool,
}

impl From<&metric::Model> for MetricItem {
    fn from(m: &metric::Model) -> Self {
        MetricItem {
            code: m.code.clone(),
            name: m.name.clone(),
            unit: m.unit.clone(),
            kind: m.kind.as_str().to_owned(),
            direction: m.direction.as_str().to_owned(),
            precision: m.precision,
            category: m.category.clone(),
            description: m.description.clone(),
            active: m.active,
        }
    }
}

/// `GET /admin/metrics` — every metric, inactive ones included.
#[utoipa::path(
    get,
    path = "/api/v1/admin/metrics",
    responses((status = 200, description = "`{items: [MetricItem]}`", body = serde_json::Value), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn list(state: web::Data<AppState>, admin: AdminUser) -> Result<HttpResponse, ApiError> {
    policy::can(&state.snapshot(), &admin, Action::View, Target::Shared)?;
    let all = metric::Entity::find().order_by_asc(metric::Column::Id).all(&state.db).await?;
    let items: Vec<MetricItem> = all.iter().map(MetricItem::from).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricBody {
    #[validate(length(min = 1, max = 32, message = "1 to 32 characters"))]
    pub name: Option<String>,
    #[validate(length(min = 1, max = 8, message = "1 to 8 characters"))]
    pub unit: Option<String>,
    /// Decimal places shown, 0 to 4.
    #[validate(range(min = 0, max = 4, message = "between 0 and 4"))]
    pub precision: Option<i16>,
    /// 口径: how the number is defined.
    #[validate(length(max = 2000, message = "at most 2000 characters"))]
    pub description: Option<String>,
    pub active: Option<bool>,
}

/// `POST /admin/metrics/{code}` `{name?, unit?, precision?, description?, active?}`
#[utoipa::path(
    post,
    path = "/api/v1/admin/metrics/{code}",
    params(("code" = String, Path, description = "Metric code, e.g. collab.active_rate")),
    request_body = MetricBody,
    responses((status = 200, body = MetricItem), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    code: web::Path<String>,
    body: Json<MetricBody>,
) -> Result<HttpResponse, ApiError> {
    check(&*body)?;
    let snap = state.snapshot();
    policy::can(&snap, &admin, Action::Configure, Target::Shared)?;
    let code = code.into_inner();
    let m = metric::Entity::find()
        .filter(metric::Column::Code.eq(code.as_str()))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("metric `{code}` does not exist")))?;
    if body.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(ApiError::invalid("name", "a name is required"));
    }
    let before = MetricItem::from(&m);
    let mut am = m.into_active_model();
    if let Some(v) = &body.name {
        am.name = Set(v.trim().to_owned());
    }
    if let Some(v) = &body.unit {
        am.unit = Set(v.trim().to_owned());
    }
    if let Some(v) = body.precision {
        am.precision = Set(v);
    }
    if let Some(v) = &body.description {
        am.description = Set(v.trim().to_owned());
    }
    if let Some(v) = body.active {
        am.active = Set(v);
    }
    let after = MetricItem::from(&am.update(&state.db).await?);
    publish_change(&state).await?;
    record(&state, &req, &admin, "metric.update", format!("metric:{code}"), &[], to_json(&before), to_json(&after))
        .await?;
    Ok(HttpResponse::Ok().json(after))
}
