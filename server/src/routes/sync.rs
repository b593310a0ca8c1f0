//! `/api/v1/admin/sync/...`: sync runs, their rejected rows, and running a sync by hand.
//! Administrators only.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::AdminUser;
use crate::error::ApiError;
use crate::policy::{self, Action, Target};
use crate::routes::extract::Query;
use crate::state::AppState;
use crate::store::sync::{self, RunStatus};
use crate::workers::{self, RunTrigger, directory, feed, records};

/// `?source=&limit=`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// `feed` or `directory`; default: all.
    pub source: Option<String>,
    /// 1 to 500; default 50.
    pub limit: Option<String>,
}

/// `?run=&limit=`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RejectedQuery {
    /// The run's id.
    pub run: String,
    /// 1 to 1000; default 200.
    pub limit: Option<String>,
}

/// One sync run.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunDto {
    pub id: i64,
    pub source: String,
    /// `schedule` or `manual`.
    pub trigger: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// `running`, `ok`, `partial`, `failed` or `cancelled` (stopped by a shutdown at a safe
    /// point; the next run resumes).
    pub status: String,
    pub rows_stored: i64,
    pub rows_rejected: i64,
    pub error: Option<String>,
    /// Pages, retries, watermarks, roll-up figures.
    #[schema(value_type = Object)]
    pub detail: Option<serde_json::Value>,
}

impl From<entities::sync_run::Model> for RunDto {
    fn from(r: entities::sync_run::Model) -> Self {
        RunDto {
            id: r.id,
            source: r.source,
            trigger: r.trigger.to_string(),
            started_at: r.started_at.to_rfc3339(),
            finished_at: r.finished_at.map(|t| t.to_rfc3339()),
            status: r.status.to_string(),
            rows_stored: r.rows_stored,
            rows_rejected: r.rows_rejected,
            error: r.error,
            detail: r.detail,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunsDto {
    pub runs: Vec<RunDto>,
}

/// A row a run refused.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RejectedDto {
    pub id: i64,
    pub run_id: i64,
    pub source: String,
    /// The row as received (JSON).
    pub payload: String,
    pub reason: String,
    pub at: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RejectedListDto {
    pub run_id: i64,
    pub rows: Vec<RejectedDto>,
}

/// A job started: poll its `Location` (`GET /api/v1/admin/sync/runs/{id}`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartedDto {
    pub run_id: i64,
    pub status: String,
    /// Where to poll the run.
    pub location: String,
}

/// `202 Accepted` for a job started as run `run_id`, with its `Location`.
pub fn accepted(run_id: i64) -> HttpResponse {
    let location = crate::error::run_location(run_id);
    HttpResponse::Accepted().insert_header((actix_web::http::header::LOCATION, location.clone())).json(StartedDto {
        run_id,
        status: RunStatus::Running.to_string(),
        location,
    })
}

fn number(param: &str, raw: Option<&str>, default: u64, max: u64) -> Result<u64, ApiError> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.trim().parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::invalid(param, format!("`{raw}`: expected a number between 1 and {max}"))),
    }
}

const SOURCES: [&str; 4] = ["feed", "directory", "records", "briefing"];

/// Sync runs, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/sync/runs",
    params(RunsQuery),
    responses(
        (status = 200, body = RunsDto),
        (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)
    ),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn runs(state: web::Data<AppState>, admin: AdminUser, q: Query<RunsQuery>) -> Result<HttpResponse, ApiError> {
    // Runs cover the whole province, and their rejected rows carry upstream payloads.
    policy::can(&state.snapshot(), &admin, Action::View, Target::Province)?;
    let limit = number("limit", q.limit.as_deref(), 50, 500)?;
    let source = q.source.as_deref();
    if let Some(s) = source.filter(|s| !SOURCES.contains(s)) {
        return Err(ApiError::invalid("source", format!("`{s}`: expected feed, directory, records or briefing")));
    }
    let runs = sync::runs(&state.db, source, limit).await?.into_iter().map(RunDto::from).collect();
    Ok(HttpResponse::Ok().json(RunsDto { runs }))
}

/// The rows a run refused, with their reasons.
#[utoipa::path(
    get,
    path = "/api/v1/admin/sync/rejected",
    params(RejectedQuery),
    responses(
        (status = 200, body = RejectedListDto),
        (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)
    ),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn rejected(
    state: web::Data<AppState>,
    admin: AdminUser,
    q: Query<RejectedQuery>,
) -> Result<HttpResponse, ApiError> {
    policy::can(&state.snapshot(), &admin, Action::View, Target::Province)?;
    let run: i64 =
        q.run.trim().parse().map_err(|_| ApiError::invalid("run", format!("`{}` is not a run id", q.run)))?;
    let limit = number("limit", q.limit.as_deref(), 200, 1_000)?;
    if sync::run(&state.db, run).await?.is_none() {
        return Err(ApiError::NotFound(format!("run {run} does not exist")));
    }
    let rows = sync::rejected(&state.db, run, limit)
        .await?
        .into_iter()
        .map(|r| RejectedDto {
            id: r.id,
            run_id: r.run_id,
            source: r.source,
            payload: r.payload,
            reason: r.reason,
            at: r.at.to_rfc3339(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(RejectedListDto { run_id: run, rows }))
}

/// Starts a sync as a job: `202` with the run id and its `Location` to poll; `409
/// run_in_progress` (with the running one's `Location`) while one of its kind runs.
#[utoipa::path(
    post,
    path = "/api/v1/admin/sync/{source}/run",
    params(("source" = String, Path, description = "`feed`, `records` or `directory`")),
    responses(
        (status = 202, body = StartedDto),
        (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)
    ),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn run(
    state: web::Data<AppState>,
    admin: AdminUser,
    source: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    policy::can(&state.snapshot(), &admin, Action::Configure, Target::Province)?;
    match source.as_str() {
        feed::SOURCE => {}
        records::SOURCE => return run_records(state, admin).await,
        directory::SOURCE => return run_directory(state, admin).await,
        other => return Err(ApiError::NotFound(format!("no sync source `{other}`"))),
    }
    let jobs = state.jobs.clone();
    let ctx = workers::Context::in_server(state.into_inner());
    let run_id = feed::start(&ctx, RunTrigger::Manual).await?;
    tracing::info!(run = run_id, admin = admin.id.get(), "feed sync started by hand");
    jobs.spawn(async move {
        feed::execute(&ctx, run_id).await;
    });
    Ok(accepted(run_id))
}

/// The record sync, started by hand.
async fn run_records(state: web::Data<AppState>, admin: AdminUser) -> Result<HttpResponse, ApiError> {
    let jobs = state.jobs.clone();
    let ctx = workers::Context::in_server(state.into_inner());
    let run_id = records::start(&ctx, RunTrigger::Manual).await?;
    tracing::info!(run = run_id, admin = admin.id.get(), "record sync started by hand");
    jobs.spawn(async move {
        records::execute(&ctx, run_id).await;
    });
    Ok(accepted(run_id))
}

/// The directory sync, started by hand.
async fn run_directory(state: web::Data<AppState>, admin: AdminUser) -> Result<HttpResponse, ApiError> {
    let run_id = match directory::start(&state.db, RunTrigger::Manual).await? {
        sync::Claim::Started(id) => id,
        sync::Claim::Busy(run_id) => return Err(ApiError::RunInProgress { what: "directory sync", run_id }),
    };
    tracing::info!(run = run_id, admin = admin.id.get(), "directory sync started by hand");
    let state = state.into_inner();
    state.jobs.clone().spawn(async move {
        let token = state.jobs.token();
        match directory::execute(&state.db, &state.dingtalk, run_id, &state.tz, &token).await {
            Ok(report) if report.status != RunStatus::Cancelled => {
                if let Err(e) = state.reload().await {
                    tracing::warn!(error = ?e, "could not reload the snapshot after a directory sync");
                }
                state.principals.invalidate_all();
            }
            Ok(_) => {}
            Err(e) => tracing::error!(run = run_id, error = ?e, "directory sync failed"),
        }
    });
    Ok(accepted(run_id))
}

impl From<workers::RunError> for ApiError {
    fn from(e: workers::RunError) -> Self {
        match e {
            workers::RunError::Busy { what, run } => ApiError::RunInProgress { what, run_id: run },
            workers::RunError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// One run (a sync or a briefing run): what a `202`'s `Location` points at.
#[utoipa::path(
    get,
    path = "/api/v1/admin/sync/runs/{id}",
    params(("id" = i64, Path, description = "The run's id")),
    responses(
        (status = 200, body = RunDto),
        (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)
    ),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn one(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: i64 = id.trim().parse().map_err(|_| ApiError::invalid("id", format!("`{id}` is not a run id")))?;
    let run = sync::run(&state.db, id).await?;
    // A briefing run started by a scoped administrator is theirs to follow (it reaches their
    // subtree); every other run, and a run that does not exist, is province-wide.
    let scope_org = run
        .as_ref()
        .filter(|r| r.source == workers::briefing::SOURCE)
        .and_then(|r| r.detail.as_ref()?.get("scopeOrg")?.as_i64())
        .and_then(|org| i32::try_from(org).ok())
        .map(entities::ids::OrgId);
    let orgs = scope_org.map(|o| [o]);
    let target = orgs.as_ref().map_or(Target::Province, |o| Target::Orgs(o));
    policy::can(&state.snapshot(), &admin, Action::View, target)?;
    let run = run.ok_or_else(|| ApiError::NotFound(format!("no run {id}")))?;
    Ok(HttpResponse::Ok().json(RunDto::from(run)))
}
