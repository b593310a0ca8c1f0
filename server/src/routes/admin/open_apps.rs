//! `/api/v1/admin/open-apps`: administrators register applications for the open data API —
//! create (the secret is shown once), edit, rotate the secret (the old one valid for a stated
//! overlap), suspend, resume, delete — and read their usage by day (JSON or CSV).
//!
//! An application never reaches more than the administrator who manages it may see: every org
//! of its scope, and its owner org, lie inside the administrator's scope. [`authorize`] is the
//! one place that decides it. Every change is in the audit log (never with a secret), and
//! moves the data version, so that every instance sees a suspension on the application's next
//! call.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::{check, org_allowed, publish_change, record, to_json};
use crate::auth::AdminUser;
use crate::domain::org_tree::OrgId;
use crate::domain::period::{Grain, day_number, from_day_number};
use crate::error::ApiError;
use crate::export::{Cell, Table};
use crate::open::App;
use crate::open::apps::AppStatus;
use crate::policy::{self, Action};
use crate::routes::extract::{Json, Query};
use crate::state::{AppState, Snapshot};
use crate::store::open_apps::{self as store, Spec};

/// An application as an administrator writes it (create, and edit: the whole of it).
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AppBody {
    #[validate(length(min = 1, max = 60, message = "1 to 60 characters"))]
    pub name: String,
    /// The org that owns the application; default: the first of `orgs`.
    pub owner_org: Option<i32>,
    /// Who to call about it.
    #[serde(default)]
    #[validate(length(max = 200, message = "at most 200 characters"))]
    pub contact: String,
    /// The allowlist: metric codes.
    #[validate(length(min = 1, max = 200, message = "1 to 200 metric codes"))]
    pub metrics: Vec<String>,
    /// Roots of the org subtrees it may read.
    #[validate(length(min = 1, max = 100, message = "1 to 100 orgs"))]
    pub orgs: Vec<i32>,
    /// Grains it may read; default: all five.
    pub grains: Option<Vec<String>>,
    /// How many days back it may read; default 400.
    #[validate(range(min = 1, max = 3660, message = "between 1 and 3660 days"))]
    pub history_days: Option<i32>,
    #[validate(range(min = 0.01, max = 10000.0, message = "between 0.01 and 10000 calls a second"))]
    pub rate_per_second: f64,
    #[validate(range(min = 1, max = 1_000_000_000, message = "between 1 and 1,000,000,000 calls a day"))]
    pub daily_quota: i64,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RotateBody {
    /// How long the current secret stays valid beside the new one; default: `open.rotation_overlap_secs`.
    pub overlap_seconds: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgName {
    id: i32,
    name: String,
}

/// An application as the console shows it (never a secret nor its hash).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppDto {
    id: i32,
    name: String,
    client_id: String,
    owner_org: OrgName,
    contact: String,
    metrics: Vec<String>,
    orgs: Vec<OrgName>,
    grains: Vec<&'static str>,
    history_days: i32,
    rate_per_second: f64,
    daily_quota: i64,
    /// `active` or `suspended`.
    status: &'static str,
    /// Until when the secret replaced by the last rotation is still accepted.
    previous_secret_expires_at: Option<String>,
    created_at: String,
    updated_at: String,
}

/// Creation and rotation answer with the secret — the only time it is shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WithSecret {
    #[serde(flatten)]
    app: AppDto,
    client_secret: String,
}

fn org_name(snap: &Snapshot, id: OrgId) -> OrgName {
    OrgName { id: id.get(), name: snap.orgs.get(id).map(|o| o.name.clone()).unwrap_or_default() }
}

fn dto(snap: &Snapshot, app: &App) -> AppDto {
    let now = Utc::now();
    AppDto {
        id: app.id,
        name: app.name.clone(),
        client_id: app.client_id.clone(),
        owner_org: org_name(snap, app.owner_org_id),
        contact: app.contact.clone(),
        metrics: app.metrics.clone(),
        orgs: app.orgs.iter().map(|o| org_name(snap, *o)).collect(),
        grains: app.grains.iter().map(|g| g.as_str()).collect(),
        history_days: app.history_days,
        rate_per_second: app.rate_per_second,
        daily_quota: app.daily_quota,
        status: if app.active { AppStatus::Active.as_str() } else { AppStatus::Suspended.as_str() },
        previous_secret_expires_at: app
            .previous_expires_at
            .filter(|t| *t > now && app.previous_secret_hash.is_some())
            .map(|t| t.to_rfc3339()),
        created_at: app.created_at.to_rfc3339(),
        updated_at: app.updated_at.to_rfc3339(),
    }
}

/// What is being decided on.
pub enum Target<'a> {
    /// A registration or an edit as the administrator wrote it.
    Body(&'a AppBody),
    /// An application as it is.
    App(&'a App),
}

/// Every org an application reaches: its scope and its owner.
fn reach(app: &App) -> Vec<OrgId> {
    app.orgs.iter().copied().chain([app.owner_org_id]).collect()
}

/// Asks the one policy ([`policy::can`]): an application is an object attached to the orgs it
/// reaches (its scope and its owner org). A body names the field at fault (`403 out_of_scope`);
/// an existing application beyond the administrator is `403 forbidden`.
pub fn authorize(snap: &Snapshot, admin: &AdminUser, action: Action, target: Target<'_>) -> Result<(), ApiError> {
    match target {
        Target::Body(body) => {
            for (i, org) in body.orgs.iter().enumerate() {
                org_allowed(snap, admin, action, &format!("orgs[{i}]"), OrgId(*org))?;
            }
            if let Some(owner) = body.owner_org {
                org_allowed(snap, admin, action, "ownerOrg", OrgId(owner))?;
            }
            Ok(())
        }
        Target::App(app) => Ok(policy::can(snap, admin, action, policy::Target::Orgs(&reach(app)))?),
    }
}

/// Checks a body against the catalogue and the grains.
fn spec(snap: &Snapshot, body: &AppBody) -> Result<Spec, ApiError> {
    check(body)?;
    let name = body.name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid("name", "a name is required"));
    }
    let mut metrics: Vec<String> = Vec::with_capacity(body.metrics.len());
    for (i, code) in body.metrics.iter().enumerate() {
        let m = snap.catalogue.by_code(code.trim()).filter(|m| m.active).ok_or_else(|| {
            ApiError::invalid(format!("metrics[{i}]"), format!("unknown or inactive metric `{code}`"))
        })?;
        if !metrics.contains(&m.code) {
            metrics.push(m.code.clone());
        }
    }
    let mut orgs: Vec<OrgId> = Vec::with_capacity(body.orgs.len());
    for org in body.orgs.iter().copied().map(OrgId) {
        if !orgs.contains(&org) {
            orgs.push(org);
        }
    }
    let grains: Vec<Grain> = match &body.grains {
        None => Grain::ALL.to_vec(),
        Some(list) if list.is_empty() => return Err(ApiError::invalid("grains", "name at least one grain")),
        Some(list) => {
            let mut out = Vec::new();
            for (i, raw) in list.iter().enumerate() {
                let g: Grain = raw.parse().map_err(|e: crate::domain::period::UnknownGrain| {
                    ApiError::invalid(format!("grains[{i}]"), e.to_string())
                })?;
                if !out.contains(&g) {
                    out.push(g);
                }
            }
            out
        }
    };
    Ok(Spec {
        name: name.to_owned(),
        owner_org_id: body.owner_org.map(OrgId).or_else(|| orgs.first().copied()).unwrap_or(OrgId(0)),
        contact: body.contact.trim().to_owned(),
        metrics,
        orgs,
        grains: grains.iter().map(|g| g.as_str().to_owned()).collect(),
        history_days: body.history_days.unwrap_or(400),
        rate_per_second: body.rate_per_second,
        daily_quota: body.daily_quota,
    })
}

/// The application of the path, once the administrator may act on it.
async fn open_app(
    state: &AppState,
    snap: &Snapshot,
    admin: &AdminUser,
    action: Action,
    id: i32,
) -> Result<(entities::open_app::Model, App), ApiError> {
    let model = store::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("application {id} does not exist")))?;
    let app = App::from(model.clone());
    authorize(snap, admin, action, Target::App(&app))?;
    Ok((model, app))
}

/// After a change: this instance forgets the application, and the data version moves so that
/// the others do too.
async fn changed(state: &AppState, id: i32) -> Result<(), ApiError> {
    state.open.forget(id).await;
    publish_change(state).await
}

/// `GET /admin/open-apps` — the applications the administrator may manage.
#[utoipa::path(
    get,
    path = "/api/v1/admin/open-apps",
    responses((status = 200, description = "`{items: [AppDto]}`", body = serde_json::Value), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn list(state: web::Data<AppState>, admin: AdminUser) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let items: Vec<AppDto> = store::list(&state.db)
        .await?
        .into_iter()
        .map(App::from)
        .filter(|a| authorize(&snap, &admin, Action::View, Target::App(a)).is_ok())
        .map(|a| dto(&snap, &a))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// `GET /admin/open-apps/{id}`
#[utoipa::path(
    get,
    path = "/api/v1/admin/open-apps/{id}",
    params(("id" = i32, Path, description = "The application's id")),
    responses((status = 200, body = AppDto), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn get(state: web::Data<AppState>, admin: AdminUser, id: web::Path<i32>) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let (_, app) = open_app(&state, &snap, &admin, Action::View, *id).await?;
    Ok(HttpResponse::Ok().json(dto(&snap, &app)))
}

/// `POST /admin/open-apps` — registers an application; the answer holds its secret, shown once.
#[utoipa::path(
    post,
    path = "/api/v1/admin/open-apps",
    request_body = AppBody,
    responses((status = 201, body = WithSecret), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    body: Json<AppBody>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    authorize(&snap, &admin, Action::Manage, Target::Body(&body))?;
    let spec = spec(&snap, &body)?;
    let secret = crate::open::secret::new_secret();
    let hash = crate::open::secret::hash_blocking(secret.clone()).await?;
    let model = store::create(&state.db, &spec, crate::open::secret::new_client_id(), hash, admin.id).await?;
    let app = App::from(model);
    let out = dto(&snap, &app);
    record(&state, &req, &admin, "open_app.create", format!("open_app:{}", app.id), &reach(&app), None, to_json(&out))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(WithSecret { app: out, client_secret: secret }))
}

/// `POST /admin/open-apps/{id}` — replaces its name, contact, allowlist, scope and limits.
#[utoipa::path(
    post,
    path = "/api/v1/admin/open-apps/{id}",
    params(("id" = i32, Path, description = "The application's id")),
    request_body = AppBody,
    responses((status = 200, body = AppDto), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    body: Json<AppBody>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let (_, before) = open_app(&state, &snap, &admin, Action::Manage, *id).await?;
    authorize(&snap, &admin, Action::Manage, Target::Body(&body))?;
    let spec = spec(&snap, &body)?;
    let after = App::from(store::update(&state.db, before.id, &spec).await?);
    changed(&state, after.id).await?;
    let (b, a) = (dto(&snap, &before), dto(&snap, &after));
    record(
        &state,
        &req,
        &admin,
        "open_app.update",
        format!("open_app:{}", after.id),
        &reach(&after),
        to_json(&b),
        to_json(&a),
    )
    .await?;
    Ok(HttpResponse::Ok().json(a))
}

/// An optional JSON body: empty is the default.
fn optional_body<T: Default + serde::de::DeserializeOwned>(bytes: &web::Bytes) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::InvalidBody(format!("invalid JSON body: {e}")))
}

/// `POST /admin/open-apps/{id}/rotate` `{overlapSeconds?}` — a new secret, shown once; the
/// current one stays valid for the overlap (0: it stops at once).
#[utoipa::path(
    post,
    path = "/api/v1/admin/open-apps/{id}/rotate",
    params(("id" = i32, Path, description = "The application's id")),
    request_body = Option<RotateBody>,
    responses((status = 200, body = WithSecret), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn rotate(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: RotateBody = optional_body(&body)?;
    let snap = state.snapshot();
    let (model, before) = open_app(&state, &snap, &admin, Action::Manage, *id).await?;
    let max = i64::try_from(state.open.settings.max_rotation_overlap_secs).unwrap_or(i64::MAX);
    let overlap = body.overlap_seconds.unwrap_or(i64::try_from(state.open.settings.rotation_overlap_secs).unwrap_or(0));
    if !(0..=max).contains(&overlap) {
        return Err(ApiError::invalid("overlapSeconds", format!("between 0 and {max} seconds, not {overlap}")));
    }
    let secret = crate::open::secret::new_secret();
    let hash = crate::open::secret::hash_blocking(secret.clone()).await?;
    let until = (Utc::now() + chrono::Duration::seconds(overlap)).fixed_offset();
    let after = App::from(store::rotate(&state.db, model, hash, until).await?);
    changed(&state, after.id).await?;
    let summary = serde_json::json!({ "overlapSeconds": overlap, "previousSecretExpiresAt": until.to_rfc3339() });
    record(
        &state,
        &req,
        &admin,
        "open_app.rotate",
        format!("open_app:{}", after.id),
        &reach(&after),
        to_json(&dto(&snap, &before)),
        Some(summary),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(WithSecret { app: dto(&snap, &after), client_secret: secret }))
}

async fn set_status(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: i32,
    status: AppStatus,
) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let (model, before) = open_app(&state, &snap, &admin, Action::Manage, id).await?;
    let after = App::from(store::set_status(&state.db, model, status).await?);
    changed(&state, id).await?;
    let action = if status == AppStatus::Suspended { "open_app.suspend" } else { "open_app.resume" };
    let (b, a) = (dto(&snap, &before), dto(&snap, &after));
    record(&state, &req, &admin, action, format!("open_app:{id}"), &reach(&after), to_json(&b), to_json(&a)).await?;
    Ok(HttpResponse::Ok().json(a))
}

/// `POST /admin/open-apps/{id}/suspend` — its next call fails, with any token it holds.
#[utoipa::path(
    post,
    path = "/api/v1/admin/open-apps/{id}/suspend",
    params(("id" = i32, Path, description = "The application's id")),
    responses((status = 200, body = AppDto), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn suspend(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    set_status(req, state, admin, *id, AppStatus::Suspended).await
}

/// `POST /admin/open-apps/{id}/resume`
#[utoipa::path(
    post,
    path = "/api/v1/admin/open-apps/{id}/resume",
    params(("id" = i32, Path, description = "The application's id")),
    responses((status = 200, body = AppDto), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn resume(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    set_status(req, state, admin, *id, AppStatus::Active).await
}

/// `DELETE /admin/open-apps/{id}` — its tokens stop working; its call records stay.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/open-apps/{id}",
    params(("id" = i32, Path, description = "The application's id")),
    responses((status = 204, description = "Deleted"), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let (_, before) = open_app(&state, &snap, &admin, Action::Manage, *id).await?;
    store::delete(&state.db, before.id).await?;
    state.open.quota.forget(before.id);
    changed(&state, before.id).await?;
    record(
        &state,
        &req,
        &admin,
        "open_app.delete",
        format!("open_app:{}", before.id),
        &reach(&before),
        to_json(&dto(&snap, &before)),
        None,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `?from=&to=&format=`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// First business date (`YYYY-MM-DD`); default: 30 days before `to`.
    pub from: Option<String>,
    /// Last business date; default: today.
    pub to: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageDay {
    date: String,
    calls: i64,
    rows: i64,
    errors: i64,
    throttled: i64,
}

fn date(param: &str, raw: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid(param, format!("`{raw}` is not a date (expected YYYY-MM-DD)")))
}

/// `GET /admin/open-apps/{id}/usage?from=&to=&format=json|csv` — calls, rows, errors and
/// throttled calls by business day.
#[utoipa::path(
    get,
    path = "/api/v1/admin/open-apps/{id}/usage",
    params(("id" = i32, Path, description = "The application's id"), UsageQuery),
    responses((status = 200, description = "`{items: [UsageDay]}` by business day (or CSV with `format=csv`)", content((serde_json::Value = "application/json"), (String = "text/csv"))), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn usage(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    q: Query<UsageQuery>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let (_, app) = open_app(&state, &snap, &admin, Action::View, *id).await?;
    let to = match q.to.as_deref() {
        Some(raw) => date("to", raw)?,
        None => state.today(),
    };
    let from = match q.from.as_deref() {
        Some(raw) => date("from", raw)?,
        None => to - Days::new(30),
    };
    if from > to {
        return Err(ApiError::invalid("from", format!("{from} is after `to` ({to})")));
    }
    if (to - from).num_days() > 366 {
        return Err(ApiError::invalid("from", "at most 366 days at once"));
    }
    // This instance's latest calls are counted too.
    state.open.calls.flush().await;
    let days: Vec<UsageDay> = crate::store::open_calls::usage(&state.db, app.id, day_number(from), day_number(to))
        .await?
        .into_iter()
        .map(|u| UsageDay {
            date: from_day_number(u.day).map(|d| d.to_string()).unwrap_or_default(),
            calls: u.calls,
            rows: u.rows,
            errors: u.errors,
            throttled: u.throttled,
        })
        .collect();
    match q.format.as_deref() {
        None | Some("json") => Ok(HttpResponse::Ok().json(serde_json::json!({
            "app": { "id": app.id, "name": app.name, "clientId": app.client_id },
            "from": from.to_string(),
            "to": to.to_string(),
            "items": days,
        }))),
        Some("csv") => {
            let mut table = Table::new("usage", vec!["日期", "调用次数", "返回行数", "错误", "限流"]);
            for d in &days {
                table.push(vec![
                    Cell::from(d.date.as_str()),
                    Cell::Number(d.calls as f64),
                    Cell::Number(d.rows as f64),
                    Cell::Number(d.errors as f64),
                    Cell::Number(d.throttled as f64),
                ]);
            }
            let bytes =
                crate::export::csv(&table).map_err(|e| ApiError::Internal(e.context("writing the usage CSV")))?;
            record(
                &state,
                &req,
                &admin,
                "open_app.usage_export",
                format!("open_app:{}", app.id),
                &reach(&app),
                None,
                None,
            )
            .await?;
            Ok(HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"open-app-{}-usage.csv\"", app.id),
                ))
                .body(bytes))
        }
        Some(other) => Err(ApiError::invalid("format", format!("`{other}`: expected json or csv"))),
    }
}
