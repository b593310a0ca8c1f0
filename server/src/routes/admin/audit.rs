//! `GET /api/v1/admin/audit?actor=&action=&from=&to=&page=&pageSize=`: who changed what, with
//! the state before and after, newest first.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::users::page;
use crate::auth::AdminUser;
use crate::error::ApiError;
use crate::policy;
use crate::routes::extract::Query;
use crate::state::AppState;
use crate::store::audit::{self, Filter};
use crate::views::params;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The acting user's id.
    pub actor: Option<String>,
    /// An action (`card_set.publish`), or a prefix ending in `*` (`card_set.*`).
    pub action: Option<String>,
    /// From this instant (RFC 3339) or business date (`YYYY-MM-DD`), inclusive.
    pub from: Option<String>,
    /// Until this instant or business date, inclusive of the whole day.
    pub to: Option<String>,
    pub page: Option<String>,
    pub page_size: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditItem {
    id: i64,
    actor_id: Option<i32>,
    actor: String,
    action: String,
    target: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    request_id: Option<String>,
    at: String,
}

/// An instant, or the start of a business date (`end`: of the day after).
fn instant(state: &AppState, param: &str, raw: &str, end: bool) -> Result<DateTime<FixedOffset>, ApiError> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        // Through the one date rule, so that no instant near the calendar's ends reaches SQL.
        params::date(param, &t.date_naive().to_string(), state.today())?;
        return Ok(t.with_timezone(&Utc).fixed_offset());
    }
    let day = params::date(param, raw, state.today()).map_err(|_| {
        ApiError::invalid(param, format!("`{raw}`: expected YYYY-MM-DD or an RFC 3339 instant from 2000 on"))
    })?;
    let day = if end { day.succ_opt().unwrap_or(day) } else { day };
    let local = state
        .tz
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .ok_or_else(|| ApiError::invalid(param, format!("`{raw}` does not exist in the business time zone")))?;
    Ok(local.with_timezone(&Utc).fixed_offset())
}

/// The audit log, newest first, filtered by actor, action and time.
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit",
    params(AuditQuery),
    responses((status = 200, description = "`{items: [AuditItem], total, page, pageSize}`, newest first", body = serde_json::Value), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn list(
    state: web::Data<AppState>,
    admin: AdminUser,
    q: Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let (page, size) = page(q.page.as_deref(), q.page_size.as_deref())?;
    let actor_id = match q.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(raw) => Some(raw.parse().map_err(|_| ApiError::invalid("actor", format!("`{raw}` is not a user id")))?),
    };
    let filter = Filter {
        actor_id,
        action: q.action.as_deref().map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned),
        from: q.from.as_deref().map(|r| instant(&state, "from", r, false)).transpose()?,
        to: q.to.as_deref().map(|r| instant(&state, "to", r, true)).transpose()?,
        // A scoped administrator reads the entries filed under their subtree only.
        within: policy::visible_orgs(&state.snapshot(), &admin),
    };
    let (rows, total) = audit::search(&state.db, &filter, page - 1, size).await?;
    let items: Vec<AuditItem> = rows
        .into_iter()
        .map(|r| AuditItem {
            id: r.id,
            actor_id: r.actor_id.map(i32::from),
            actor: r.actor,
            action: r.action,
            target: r.target,
            before: r.before,
            after: r.after,
            request_id: r.request_id,
            at: r.at.with_timezone(&state.tz).to_rfc3339(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items, "total": total, "page": page, "pageSize": size })))
}
