//! `/open/...`: the open data API (G+) for registered applications — the token endpoint,
//! the reads, and the OpenAPI document — and `/api/v1/admin/open-apps`, where administrators
//! register them (`routes::admin::open_apps`). Every `/open/v1/` call passes through [`account`], which records it and adds
//! the `RateLimit-*` headers.

pub mod doc;
pub mod reads;
pub mod token;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};

use crate::error::ApiError;
use crate::open::App;
use crate::open::limits::Limits;
use crate::state::AppState;
use crate::store::open_calls::Call;

/// Mounts the open API (its administration is in the route table, under `/api/v1/admin`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/open")
            .wrap(from_fn(account))
            .service(get("/openapi.json", doc::spec))
            .service(post("/v1/token", token::issue))
            .service(get("/v1/metrics", reads::metrics))
            .service(get("/v1/facts", reads::facts))
            .service(get("/v1/metrics/{code}/ranking", reads::ranking))
            .default_service(web::to(not_found)),
    );
}

fn get<F, Args>(path: &str, handler: F) -> impl actix_web::dev::HttpServiceFactory + use<F, Args>
where
    F: actix_web::Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    // The panic guard wraps each resource, after routing (see `middleware::catch_panic`).
    web::resource(path)
        .wrap(from_fn(crate::middleware::catch_panic))
        .route(web::get().to(handler))
        .default_service(web::to(method_not_allowed))
}

fn post<F, Args>(path: &str, handler: F) -> impl actix_web::dev::HttpServiceFactory + use<F, Args>
where
    F: actix_web::Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .wrap(from_fn(crate::middleware::catch_panic))
        .route(web::post().to(handler))
        .default_service(web::to(method_not_allowed))
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("no such endpoint".into()))
}

async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed().finish()
}

/// What a call leaves for [`account`]: who made it, how many rows it returned, its limits.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallNote {
    pub app_id: Option<i32>,
    pub rows: i32,
    pub limits: Option<Limits>,
}

fn note(req: &HttpRequest, change: impl FnOnce(&mut CallNote)) {
    let mut ext = req.extensions_mut();
    match ext.get_mut::<CallNote>() {
        Some(n) => change(n),
        None => {
            let mut n = CallNote::default();
            change(&mut n);
            ext.insert(n);
        }
    }
}

/// Records how many rows the answer holds.
pub fn note_rows(req: &HttpRequest, rows: usize) {
    note(req, |n| n.rows = i32::try_from(rows).unwrap_or(i32::MAX));
}

/// Records the call and adds the `RateLimit-*` headers.
async fn account(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let started = Instant::now();
    let mut res = next.call(req).await?;
    let request = res.request();
    let endpoint = request.match_pattern().unwrap_or_else(|| "unknown".into());
    if !endpoint.starts_with("/open/v1/") {
        return Ok(res);
    }
    let note = request.extensions().get::<CallNote>().copied().unwrap_or_default();
    let status = res.status().as_u16();
    let params = request.query_string().chars().take(500).collect();
    if let Some(state) = request.app_data::<web::Data<AppState>>() {
        let now = chrono::Utc::now();
        state.open.calls.record(Call {
            app_id: note.app_id,
            at: now.fixed_offset(),
            day: crate::domain::period::day_number(state.today()),
            endpoint: endpoint.trim_start_matches("/open").to_owned(),
            params,
            rows: if status < 300 { note.rows } else { 0 },
            status: i16::try_from(status).unwrap_or(i16::MAX),
            duration_us: i32::try_from(started.elapsed().as_micros()).unwrap_or(i32::MAX),
        });
    }
    if let Some(l) = note.limits {
        let h = res.headers_mut();
        for (name, value) in
            [("ratelimit-limit", l.limit), ("ratelimit-remaining", l.remaining), ("ratelimit-reset", l.reset_secs)]
        {
            h.insert(HeaderName::from_static(name), HeaderValue::from(value));
        }
    }
    Ok(res)
}

/// The calling application: a valid token of our open audience, an application that exists
/// and is active (checked on every call: suspension takes effect at once), within its rate
/// and its daily quota.
#[derive(Debug, Clone)]
pub struct Caller(pub Arc<App>);

impl std::ops::Deref for Caller {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn identify(req: &HttpRequest) -> Result<Caller, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
    let token = bearer(req).ok_or_else(|| {
        ApiError::Unauthenticated("an Authorization: Bearer token from POST /open/v1/token is required".into())
    })?;
    let claims = state.open.keys.verify(token).map_err(|e| ApiError::Unauthenticated(e.to_string()))?;
    let id = claims.subject().ok_or_else(|| ApiError::Unauthenticated("the token names no application".into()))?;
    let version = state.snapshot().version;
    let app = state
        .open
        .apps
        .get(&state.db, id, version)
        .await?
        .ok_or_else(|| ApiError::Unauthenticated("the token's application no longer exists".into()))?;
    if !app.active {
        return Err(ApiError::Unauthenticated("this application has been suspended".into()));
    }
    note(req, |n| n.app_id = Some(app.id));
    if let Err(limits) = state.open.rates.check(&app) {
        note(req, |n| n.limits = Some(limits));
        return Err(ApiError::RateLimited { retry_after_secs: limits.reset_secs });
    }
    let today = state.today();
    let reset = secs_to_midnight(state, today);
    let verdict = state.open.quota.take(&app, crate::domain::period::day_number(today), reset).await?;
    note(req, |n| n.limits = Some(verdict.limits));
    if !verdict.allowed {
        return Err(ApiError::RateLimited { retry_after_secs: reset });
    }
    Ok(Caller(app))
}

/// Seconds until the business day after `today` begins.
fn secs_to_midnight(state: &AppState, today: chrono::NaiveDate) -> u64 {
    use chrono::TimeZone;
    let tomorrow = today.succ_opt().unwrap_or(today).and_time(chrono::NaiveTime::MIN);
    state
        .tz
        .from_local_datetime(&tomorrow)
        .earliest()
        .map_or(3600, |t| (t.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds().max(1) as u64)
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { identify(&req).await })
    }
}
