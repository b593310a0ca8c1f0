//! `GET /api/v1/admin/audit?actor=&action=&from=&to=&page=&pageSize=`: who changed what, with
//! the state before and after, newest first.

use std::str::FromStr;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use entities::ids::UserId;
use serde::{Deserialize, Serialize};

use super::users::{MAX_PAGE, MAX_PAGE_SIZE, page};
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
    #[serde(default, deserialize_with = "params::blank_or")]
    #[param(value_type = Option<i32>)]
    pub actor: Option<UserId>,
    /// An action (`card_set.publish`), or a prefix ending in `*` (`card_set.*`).
    pub action: Option<String>,
    /// From this instant (RFC 3339) or business date (`YYYY-MM-DD`), inclusive.
    #[serde(default, deserialize_with = "params::blank_or")]
    #[param(value_type = Option<String>)]
    pub from: Option<Moment>,
    /// Until this instant or business date, inclusive of the whole day.
    #[serde(default, deserialize_with = "params::blank_or")]
    #[param(value_type = Option<String>)]
    pub to: Option<Moment>,
    /// 1-based, at most 10,000.
    #[serde(default, deserialize_with = "params::bounded::<_, 1, MAX_PAGE>")]
    #[param(value_type = Option<u64>)]
    pub page: Option<u64>,
    /// 1 to 200 (default 50).
    #[serde(default, deserialize_with = "params::bounded::<_, 1, MAX_PAGE_SIZE>")]
    #[param(value_type = Option<u64>)]
    pub page_size: Option<u64>,
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

/// An audit filter's bound: an instant, or a business date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    Instant(DateTime<FixedOffset>),
    Day(NaiveDate),
}

impl FromStr for Moment {
    type Err = String;

    fn from_str(raw: &str) -> Result<Moment, String> {
        let raw = raw.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
            return Ok(Moment::Instant(t));
        }
        NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map(Moment::Day)
            .map_err(|_| format!("`{raw}`: expected YYYY-MM-DD or an RFC 3339 instant from 2000 on"))
    }
}

/// The instant a bound stands for: a date's start in the business time zone (`end`: the start
/// of the day after).
fn instant(state: &AppState, param: &str, at: Moment, end: bool) -> Result<DateTime<FixedOffset>, ApiError> {
    // Through the one date rule, so that no instant near the calendar's ends reaches SQL.
    let day = match at {
        Moment::Instant(t) => {
            params::in_range(param, t.date_naive(), state.today())?;
            return Ok(t.with_timezone(&Utc).fixed_offset());
        }
        Moment::Day(d) => params::in_range(param, d, state.today())?,
    };
    let day = if end { day.succ_opt().unwrap_or(day) } else { day };
    let local = state
        .tz
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .ok_or_else(|| ApiError::invalid(param, format!("{day} does not exist in the business time zone")))?;
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
    let (page, size) = page(q.page, q.page_size);
    let filter = Filter {
        actor_id: q.actor,
        action: q.action.as_deref().map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned),
        from: q.from.map(|at| instant(&state, "from", at, false)).transpose()?,
        to: q.to.map(|at| instant(&state, "to", at, true)).transpose()?,
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
