//! The briefing deliveries, for administrators: `GET /api/v1/admin/briefings?date=D` (counts by
//! status and the failures with their reasons), `POST /api/v1/admin/briefings/run` (send D's
//! briefings now), `POST /api/v1/admin/briefings/resend` (again, for chosen failed users).

use entities::ids::{OrgId, UserId};
use std::collections::{BTreeMap, HashSet};

use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tracing_actix_web::RequestId;

use crate::auth::AdminUser;
use crate::domain::briefing::reported_date;
use crate::error::ApiError;
use crate::policy::{self, Action, Target};
use crate::routes::admin::user_allowed;
use crate::routes::extract::{Json, Query};
use crate::state::AppState;
use crate::store::audit;
use crate::store::briefings::{self as ledger, Delivery, DeliveryKind, Status};
use crate::store::users;
use crate::workers::briefing::{self, BriefingReport};

/// Failures listed, at most.
const MAX_FAILURES: u64 = 500;
/// Users in one resend, at most.
const MAX_RESEND: usize = 1_000;

/// How far back a briefing may be run or resent by hand: a daily briefing about an older day
/// is no news, and a run about a day without data must not reach thousands of people.
const MAX_RUN_AGE_DAYS: u64 = 31;

fn parse_date(state: &AppState, raw: &str) -> Result<NaiveDate, ApiError> {
    crate::views::params::date("date", raw, state.today())
}

/// The users a briefing action by this administrator reaches: `None` when the policy lets them
/// act for everyone, else the users it lets them act on.
async fn audience(state: &AppState, admin: &AdminUser, action: Action) -> Result<Option<HashSet<UserId>>, ApiError> {
    let snap = state.snapshot();
    if policy::allows(&snap, admin, action, Target::Province) {
        return Ok(None);
    }
    let all = users::managed_all(&state.db).await?;
    Ok(Some(all.iter().filter(|m| user_allowed(&snap, admin, action, m).is_ok()).map(|m| m.user.id).collect()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DateQuery {
    /// The business date reported (default: yesterday's, the one today's briefings report).
    pub date: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveriesDto {
    pub date: String,
    pub total: i64,
    /// Deliveries by status: `pending`, `sending`, `sent`, `read`, `unread`, `forbidden`,
    /// `invalid_user`, `failed`, `unknown`.
    pub counts: BTreeMap<String, i64>,
    /// How many were "data delayed" notices.
    pub delayed_notices: u64,
    /// `failed`, `forbidden`, `invalid_user` and `unknown` deliveries, with their reasons.
    pub failures: Vec<DeliveryDto>,
    /// Every delivery of the date, person by person (the first 500).
    pub deliveries: Vec<DeliveryDto>,
}

/// One person's briefing of the day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryDto {
    #[schema(value_type = i32)]
    pub user_id: UserId,
    /// The DingTalk userid.
    pub userid: String,
    pub name: String,
    /// `briefing` or `delayed` (a "data delayed" notice).
    pub kind: String,
    pub status: String,
    /// DingTalk's task id once sent.
    pub task_id: Option<i64>,
    pub attempts: i32,
    pub error_code: Option<String>,
    pub last_error: Option<String>,
    pub updated_at: String,
}

impl From<Delivery> for DeliveryDto {
    fn from(d: Delivery) -> Self {
        let r = d.row;
        DeliveryDto {
            user_id: r.user_id,
            userid: d.userid,
            name: d.name,
            kind: r.kind.as_str().to_owned(),
            status: r.status.as_str().to_owned(),
            task_id: r.task_id,
            attempts: r.attempts,
            error_code: r.error_code,
            last_error: r.last_error,
            updated_at: r.updated_at.to_rfc3339(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/admin/briefings", params(DateQuery), responses((status = 200, body = DeliveriesDto), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])), tag = "admin")]
pub async fn list(state: web::Data<AppState>, admin: AdminUser, q: Query<DateQuery>) -> Result<HttpResponse, ApiError> {
    let date = match q.date.as_deref() {
        Some(raw) => parse_date(&state, raw)?,
        None => reported_date(state.today(), &state.snapshot().calendar),
    };
    let audience: Option<Vec<UserId>> = audience(&state, &admin, Action::View).await?.map(|a| a.into_iter().collect());
    let only = audience.as_deref();
    let counts = ledger::counts(&state.db, date, only).await?;
    let failures: Vec<Status> = Status::ALL.into_iter().filter(|s| s.is_failure()).collect();
    let failures = ledger::deliveries(&state.db, date, &failures, only, MAX_FAILURES)
        .await?
        .into_iter()
        .map(DeliveryDto::from)
        .collect();
    let deliveries = ledger::deliveries(&state.db, date, &[], only, MAX_FAILURES)
        .await?
        .into_iter()
        .map(DeliveryDto::from)
        .collect();
    Ok(HttpResponse::Ok().json(DeliveriesDto {
        deliveries,
        date: date.to_string(),
        total: counts.values().sum(),
        delayed_notices: ledger::count_kind(&state.db, date, DeliveryKind::Delayed, only).await?,
        counts,
        failures,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunRequest {
    /// The business date to report (`YYYY-MM-DD`); its data must be complete.
    pub date: String,
}

/// Sends `date`'s briefing to every enabled subscriber who has none yet (whatever their send
/// time and the calendar); those who already have one are left alone. A job: answers `202` at
/// once with the run to poll (`Location`); its report lands in the run's `detail`. `409` while
/// another briefing run is going.
#[utoipa::path(post, path = "/api/v1/admin/briefings/run", request_body = RunRequest, responses((status = 202, body = crate::routes::sync::StartedDto), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])), tag = "admin")]
pub async fn run(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    body: Json<RunRequest>,
) -> Result<HttpResponse, ApiError> {
    let date = parse_date(&state, &body.date)?;
    if date >= state.today() {
        return Err(ApiError::invalid("date", format!("{date} is not over yet")));
    }
    let complete = ledger::complete_day(&state.db).await?;
    if complete.is_none_or(|c| c < date) {
        return Err(ApiError::Conflict(format!(
            "the data for {date} is not complete yet (complete through {})",
            complete.map_or_else(|| "nothing".to_owned(), |c| c.to_string())
        )));
    }
    check_recent(&state, date).await?;
    let audience = audience(&state, &admin, Action::Manage).await?;
    let about = about(&state, &admin);
    let run_id = briefing::start_by_hand(&state.db, date, about).await?;
    let request_id = request_id(&req);
    tracing::info!(run = run_id, admin = admin.id.get(), %date, "briefing run started by hand");
    let state = state.into_inner();
    state.jobs.clone().spawn(async move {
        let (status, detail) = briefing::execute_by_hand(&state, run_id, date, audience, about).await;
        let entry = audit::Entry {
            actor_id: Some(admin.id),
            actor: &admin.userid,
            action: "briefing.run",
            target: format!("briefing:{date}"),
            before: None,
            after: Some(serde_json::json!({ "run": run_id, "status": status, "report": detail })),
            request_id,
            scope_org: about,
        };
        if let Err(e) = audit::record(&state.db, entry).await {
            tracing::error!(run = run_id, error = ?e, "could not audit a briefing run");
        }
    });
    Ok(crate::routes::sync::accepted(run_id))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResendRequest {
    pub date: String,
    /// User ids.
    pub users: Vec<i32>,
    /// Also resend deliveries that may have arrived (`unknown`, `sent`, `read`, `unread`):
    /// the user may get the briefing twice.
    #[serde(default)]
    pub force: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Refused {
    pub user_id: i32,
    pub status: Option<String>,
    pub reason: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResendDto {
    pub resent: Vec<i32>,
    pub refused: Vec<Refused>,
    #[schema(value_type = Object)]
    pub report: BriefingReport,
}

/// Why a delivery in `status` may not be resent (with or without `force`).
fn refusal(status: Option<Status>, force: bool) -> Option<&'static str> {
    match status {
        None => Some("no delivery recorded for this date"),
        Some(s) if s.is_resendable() => None,
        Some(Status::Pending | Status::Sending) => Some("being sent now"),
        Some(Status::Unknown | Status::Sent | Status::Read | Status::Unread) if force => None,
        Some(Status::Unknown) => Some("may have arrived; resend with force"),
        Some(_) => Some("delivered; resend with force"),
    }
}

#[utoipa::path(post, path = "/api/v1/admin/briefings/resend", request_body = ResendRequest, responses((status = 200, body = ResendDto), (status = 400, body = crate::error::ErrorBody)), security(("bearer" = [])), tag = "admin")]
pub async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    body: Json<ResendRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let date = parse_date(&state, &body.date)?;
    check_recent(&state, date).await?;
    if body.users.is_empty() || body.users.len() > MAX_RESEND {
        return Err(ApiError::invalid("users", format!("between 1 and {MAX_RESEND} user ids")));
    }
    let snap = state.snapshot();
    for (i, id) in body.users.iter().enumerate() {
        let param = format!("users[{i}]");
        let m = users::managed(&state.db, UserId(*id))
            .await?
            .ok_or_else(|| ApiError::invalid(param.clone(), format!("user {id} does not exist")))?;
        user_allowed(&snap, &admin, Action::Manage, &m).map_err(|d| d.at(&param))?;
    }
    let wanted: Vec<UserId> = body.users.iter().copied().map(UserId).collect();
    let rows = ledger::deliveries(&state.db, date, &[], Some(&wanted), MAX_RESEND as u64).await?;
    let by_user: BTreeMap<UserId, (i64, Option<Status>, DeliveryDto)> =
        rows.into_iter().map(|d| (d.row.user_id, (d.row.id, Some(d.row.status), DeliveryDto::from(d)))).collect();
    let mut resent = Vec::new();
    let mut reopen = Vec::new();
    let mut refused = Vec::new();
    let mut before = Vec::new();
    for user_id in &body.users {
        let row = by_user.get(&UserId(*user_id));
        let status = row.and_then(|r| r.1);
        match refusal(status, body.force) {
            Some(reason) => refused.push(Refused {
                user_id: *user_id,
                status: status.map(|s| s.as_str().to_owned()),
                reason: reason.into(),
            }),
            None => {
                if let Some((id, _, view)) = row
                    && !reopen.contains(id)
                {
                    reopen.push(*id);
                    resent.push(*user_id);
                    before.push(view);
                }
            }
        }
    }
    let now = Utc::now();
    ledger::reopen(&state.db, &reopen, now).await?;
    audit::record(
        &state.db,
        audit::Entry {
            actor_id: Some(admin.id),
            actor: &admin.userid,
            action: if body.force { "briefing.resend.force" } else { "briefing.resend" },
            target: format!("briefing:{date}"),
            before: serde_json::to_value(&before).ok(),
            after: Some(serde_json::json!({ "resent": resent, "refused": refused })),
            request_id: request_id(&req),
            scope_org: about(&state, &admin),
        },
    )
    .await?;
    let mut report = BriefingReport { business_date: Some(date), ..BriefingReport::default() };
    if !reopen.is_empty() {
        briefing::send_pending(&state, date, now, None, &mut report).await?;
    }
    Ok(HttpResponse::Ok().json(ResendDto { resent, refused, report }))
}

/// Refuses a day more than [`MAX_RUN_AGE_DAYS`] before the latest day with complete data.
async fn check_recent(state: &AppState, date: NaiveDate) -> Result<(), ApiError> {
    let latest = ledger::complete_day(&state.db).await?.unwrap_or_else(|| state.today());
    let oldest = latest.checked_sub_days(chrono::Days::new(MAX_RUN_AGE_DAYS)).unwrap_or(date);
    if date < oldest {
        return Err(ApiError::invalid(
            "date",
            format!(
                "{date} is more than {MAX_RUN_AGE_DAYS} days ago: briefings are run or resent for recent days only"
            ),
        ));
    }
    Ok(())
}

/// Where an audit entry of this administrator's briefing action is filed: their subtree (all
/// of it for a province-level administrator).
fn about(state: &AppState, admin: &AdminUser) -> Option<OrgId> {
    let snap = state.snapshot();
    if policy::is_province_level(&snap, admin) { None } else { policy::anchor(&snap, &admin.scopes) }
}

fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(|id| id.to_string())
}
