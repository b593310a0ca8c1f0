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
use crate::views::params;
use crate::workers::{self, Job};

/// `?source=&limit=`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// `feed`, `directory`, `records` or `briefing`; default: all.
    #[param(value_type = Option<String>)]
    pub source: Option<Job>,
    /// 1 to 500; default 50.
    #[serde(default, deserialize_with = "params::bounded::<_, 1, 500>")]
    #[param(value_type = Option<u64>)]
    pub limit: Option<u64>,
}

/// `?run=&limit=`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RejectedQuery {
    /// The run's id.
    #[serde(deserialize_with = "params::run_id")]
    #[param(value_type = i64)]
    pub run: i64,
    /// 1 to 1000; default 200.
    #[serde(default, deserialize_with = "params::bounded::<_, 1, 1000>")]
    #[param(value_type = Option<u64>)]
    pub limit: Option<u64>,
}

/// One sync run.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunDto {
    pub id: i64,
    /// `feed`, `directory`, `records` or `briefing`.
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
            source: r.source.to_string(),
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
    let runs = sync::runs(&state.db, q.source, q.limit.unwrap_or(50)).await?.into_iter().map(RunDto::from).collect();
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
    let (run, limit) = (q.run, q.limit.unwrap_or(200));
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
    let job = match source.parse() {
        Ok(job @ (Job::Feed | Job::Records | Job::Directory)) => job,
        _ => return Err(ApiError::NotFound(format!("no sync source `{source}`"))),
    };
    let run_id = workers::start_by_hand(state.into_inner(), job).await?;
    tracing::info!(run = run_id, admin = admin.id.get(), %job, "sync started by hand");
    Ok(accepted(run_id))
}

impl From<workers::RunError> for ApiError {
    fn from(e: workers::RunError) -> Self {
        match e {
            workers::RunError::Busy(busy) => ApiError::RunInProgress(busy),
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
    let id = params::parse_run_id(&id).map_err(|reason| ApiError::invalid("id", reason))?;
    let run = sync::run(&state.db, id).await?;
    // A briefing run started by a scoped administrator is theirs to follow (it reaches their
    // subtree); every other run, and a run that does not exist, is province-wide.
    let scope_org = run
        .as_ref()
        .filter(|r| r.source == Job::Briefing)
        .and_then(|r| r.detail.as_ref()?.get("scopeOrg")?.as_i64())
        .and_then(|org| i32::try_from(org).ok())
        .map(entities::ids::OrgId);
    let orgs = scope_org.map(|o| [o]);
    let target = orgs.as_ref().map_or(Target::Province, |o| Target::Orgs(o));
    policy::can(&state.snapshot(), &admin, Action::View, target)?;
    let run = run.ok_or_else(|| ApiError::NotFound(format!("no run {id}")))?;
    Ok(HttpResponse::Ok().json(RunDto::from(run)))
}
