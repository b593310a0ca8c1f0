//! `GET/POST /api/v1/admin/calendar`: the working-day calendar's exceptions — public holidays
//! and make-up working days (调休). Briefings go out on working days only (unless a user asks
//! for weekends too).

use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use tracing_actix_web::RequestId;

use crate::auth::AdminUser;
use crate::domain::calendar::DayKind;
use crate::error::ApiError;
use crate::policy::{self, Action, Target};
use crate::routes::extract::{Json, Query};
use crate::state::AppState;
use crate::store::audit;
use crate::store::calendar::{self, Day};

/// Days in one change, at most: a few years of exceptions.
const MAX_DAYS: usize = 1_000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// Default: this year.
    pub year: Option<i32>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DayDto {
    pub date: String,
    /// `holiday` or `workday`.
    pub kind: String,
    pub name: String,
}

impl From<&Day> for DayDto {
    fn from(d: &Day) -> Self {
        DayDto { date: d.date.to_string(), kind: d.kind.as_str().into(), name: d.name.clone() }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CalendarDto {
    pub year: i32,
    pub days: Vec<DayDto>,
}

#[utoipa::path(get, path = "/api/v1/admin/calendar", params(CalendarQuery), responses((status = 200, body = CalendarDto), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])), tag = "admin")]
pub async fn list(
    state: web::Data<AppState>,
    admin: AdminUser,
    q: Query<CalendarQuery>,
) -> Result<HttpResponse, ApiError> {
    policy::can(&state.snapshot(), &admin, Action::View, Target::Shared)?;
    let year = q.year.unwrap_or_else(|| state.today().year());
    if !(2000..=state.today().year() + 1).contains(&year) {
        return Err(ApiError::invalid("year", format!("{year}: expected a year from 2000 to next year")));
    }
    let (Some(from), Some(to)) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) else {
        return Err(ApiError::invalid("year", format!("{year} is out of range")));
    };
    let days = calendar::between(&state.db, from, to).await?;
    Ok(HttpResponse::Ok().json(CalendarDto { year, days: days.iter().map(DayDto::from).collect() }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DayChange {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `holiday`, `workday`, or `normal` to remove the exception.
    pub kind: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CalendarChange {
    pub days: Vec<DayChange>,
}

#[utoipa::path(post, path = "/api/v1/admin/calendar", request_body = CalendarChange, responses((status = 200), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])), tag = "admin")]
pub async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    body: Json<CalendarChange>,
) -> Result<HttpResponse, ApiError> {
    policy::can(&state.snapshot(), &admin, Action::Configure, Target::Shared)?;
    let change = body.into_inner();
    if change.days.is_empty() || change.days.len() > MAX_DAYS {
        return Err(ApiError::invalid("days", format!("between 1 and {MAX_DAYS} days per change")));
    }
    let mut upserts = Vec::new();
    let mut removals = Vec::new();
    for d in &change.days {
        let date = crate::views::params::date("date", &d.date, state.today())?;
        if d.name.chars().count() > 50 {
            return Err(ApiError::invalid("name", "at most 50 characters"));
        }
        match (d.kind.as_str(), DayKind::parse(&d.kind)) {
            (_, Some(kind)) => upserts.push(Day { date, kind, name: d.name.trim().to_owned() }),
            ("normal", None) => removals.push(date),
            (other, None) => {
                return Err(ApiError::invalid("kind", format!("`{other}`: expected holiday, workday or normal")));
            }
        }
    }
    let (Some(first), Some(last)) = (
        upserts.iter().map(|d| d.date).chain(removals.iter().copied()).min(),
        upserts.iter().map(|d| d.date).chain(removals.iter().copied()).max(),
    ) else {
        return Err(ApiError::invalid("days", "nothing to change"));
    };
    let before = calendar::between(&state.db, first, last).await?;
    calendar::upsert(&state.db, &upserts).await?;
    let removed = calendar::remove(&state.db, &removals).await?;
    let after = calendar::between(&state.db, first, last).await?;
    // 环比 of working-week indicators follows the calendar: cached answers must not outlive it.
    super::admin::publish_change(&state).await?;
    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    audit::record(
        &state.db,
        audit::Entry {
            actor_id: Some(admin.id),
            actor: &admin.userid,
            action: "calendar.change",
            target: format!("calendar:{first}..{last}"),
            before: Some(serde_json::to_value(before.iter().map(DayDto::from).collect::<Vec<_>>()).unwrap_or_default()),
            after: Some(serde_json::to_value(after.iter().map(DayDto::from).collect::<Vec<_>>()).unwrap_or_default()),
            request_id,
            scope_org: None,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "updated": upserts.len(), "removed": removed })))
}
