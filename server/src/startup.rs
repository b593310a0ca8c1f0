//! Building the HTTP application: `Application::build` binds the listener (port 0 works) and
//! reports the real port, so tests start the real app.

use std::net::TcpListener;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpMessage, HttpServer, web};
use actix_web_prom::PrometheusMetricsBuilder;
use anyhow::Context;
use sea_orm::DatabaseConnection;
use tracing_actix_web::RequestId;

use crate::config::Settings;
use crate::error::{ApiError, ErrorBody, code_for_status};
use crate::middleware;
use crate::routes;
pub use crate::routes::table::{route_doc, route_list};
use crate::state::{self, AppState};
use crate::supervisor::Supervisor;
use crate::workers::{self, scheduler::Leadership, scheduler::Scheduler};
use secrecy::ExposeSecret;
use std::time::Duration;

/// Services mounted beside Canmou's own routes: the demo mounts its sandboxes this way.
/// `canmou serve` mounts none.
pub type Extra = std::sync::Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    /// Requests being served now: a graceful stop waits for them, not for idle keep-alive
    /// connections (which actix's own graceful stop would wait out).
    in_flight: InFlight,
}

/// A count of the requests being served.
#[derive(Clone, Default)]
struct InFlight(std::sync::Arc<std::sync::atomic::AtomicUsize>);

/// Held while a request is served.
struct Serving(InFlight);

impl InFlight {
    fn enter(&self) -> Serving {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Serving(self.clone())
    }

    fn now(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Until no request is being served, or `budget` has passed.
    async fn drained(&self, budget: Duration) {
        let deadline = tokio::time::Instant::now() + budget;
        while self.now() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        (self.0).0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// How long a graceful stop may take: the grace period, less a margin for the process's own
/// exit, so that the whole stays within `server.shutdown_grace_secs`.
pub fn stop_budget(settings: &Settings) -> Duration {
    Duration::from_secs(settings.server.shutdown_grace_secs.max(1)).saturating_sub(Duration::from_millis(500))
}

impl Application {
    /// Binds `settings.server.host:port` and prepares the server; nothing is served until
    /// [`Application::run_until_stopped`].
    pub async fn build(settings: Settings, db: DatabaseConnection) -> anyhow::Result<Application> {
        let listener = Application::bind(&settings)?;
        Application::from_listener(listener, settings, db, None, Supervisor::new()).await
    }

    /// The listener `settings.server` asks for (port 0: a free one).
    pub fn bind(settings: &Settings) -> anyhow::Result<TcpListener> {
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        TcpListener::bind(&address).with_context(|| format!("cannot listen on {address}"))
    }

    /// As [`Application::build`], on a listener bound beforehand (so that the caller knows the
    /// port first), with `extra` services mounted beside Canmou's routes.
    pub async fn from_listener(
        listener: TcpListener,
        mut settings: Settings,
        db: DatabaseConnection,
        extra: Option<Extra>,
        jobs: Supervisor,
    ) -> anyhow::Result<Application> {
        let port = listener.local_addr()?.port();
        if settings.server.public_url.is_empty() {
            let host = match settings.server.host.as_str() {
                "0.0.0.0" | "::" | "[::]" => "127.0.0.1",
                other => other,
            };
            settings.server.public_url = format!("http://{host}:{port}");
        }
        crate::middleware::install_panic_hook();
        let state = web::Data::new(AppState::supervised(settings.clone(), db, jobs).await?);
        let app_state = state.clone();
        // No `.endpoint(..)`: the middleware would answer `/metrics` itself, over a request
        // that went on to fail as an unknown path; `/metrics` is a route of the table instead.
        let prometheus = PrometheusMetricsBuilder::new("canmou")
            .mask_unmatched_patterns("UNKNOWN")
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the Prometheus registry: {e}"))?;
        state.answers.register(&prometheus.registry).context("cannot register the answer cache's counters")?;
        let body_limit = settings.server.body_limit;
        let request_timeout = settings.server.request_timeout_secs;
        let registry = web::Data::new(prometheus.registry.clone());
        let in_flight = InFlight::default();
        let counted = in_flight.clone();
        let mut server = HttpServer::new(move || {
            let counted = counted.clone();
            App::new()
                .wrap_fn(move |req, srv| {
                    let serving = counted.enter();
                    let fut = actix_web::dev::Service::call(srv, req);
                    async move {
                        let res = fut.await;
                        drop(serving);
                        res
                    }
                })
                .wrap(from_fn(middleware::body_deadline))
                .wrap(from_fn(error_shape))
                .wrap(prometheus.clone())
                .wrap(crate::telemetry::request_logger())
                .wrap(from_fn(crate::encoding::compress))
                .app_data(app_state.clone())
                .app_data(registry.clone())
                .app_data(web::Data::new(middleware::BodyTimeout(request_timeout)))
                .app_data(json_config(body_limit))
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(query_config())
                .app_data(path_config())
                .configure(routes::table::configure)
                .configure(|cfg| {
                    if let Some(extra) = &extra {
                        extra(cfg);
                    }
                })
                .default_service(web::to(not_found))
        })
        .client_request_timeout(Duration::from_secs(request_timeout))
        // Signals are the command's: it cancels the supervisor, and the server stops with it.
        .disable_signals()
        .shutdown_timeout(stop_budget(&settings).as_secs().max(1))
        .listen(listener)?;
        server = server.workers(settings.http_workers());
        Ok(Application { port, server: server.run(), state, in_flight })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The state the handlers share (tests and workers reach the caches through it).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until the supervisor (`state.jobs`) is cancelled, watching for data versions
    /// written by other instances and, when `schedule.enabled`, running the scheduled jobs (as
    /// the leader). Then stops gracefully: no new connections, requests in flight and jobs
    /// (at their next safe point) given [`stop_budget`] together.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let state = self.state.clone().into_inner();
        let jobs = state.jobs.clone();
        jobs.spawn(state::watch_version(state.clone()));
        if state.settings.schedule.enabled {
            let ctx = workers::Context::in_server(state.clone());
            let s = &state.settings.schedule;
            let leader = Leadership::for_url(
                state.settings.database.url.expose_secret(),
                Duration::from_secs(s.leader_poll_secs),
            );
            let scheduler = Scheduler::new(
                workers::scheduled_jobs(&ctx)?,
                state.tz,
                Duration::from_secs(s.misfire_grace_secs),
                leader,
                chrono::Utc::now(),
            )
            .supervised_by(jobs.clone());
            jobs.spawn(scheduler.run());
        }
        let handle = self.server.handle();
        // The server's own task: it must keep running to act on `pause` and `stop`.
        let mut server = tokio::spawn(self.server);
        let stop = jobs.token();
        let served = tokio::select! {
            served = &mut server => served,
            () = stop.cancelled() => {
                tracing::info!("stopping: no new connections; requests in flight and jobs are finishing");
                let budget = stop_budget(&state.settings);
                handle.pause().await;
                let (_, jobs_stopped) = tokio::join!(self.in_flight.drained(budget), jobs.shutdown(budget));
                tracing::info!(jobs_stopped, requests_left = self.in_flight.now(), "stopped");
                handle.stop(false).await;
                server.await
            }
        };
        jobs.cancel();
        Ok(served??)
    }
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("no such endpoint".into()))
}

fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(|err, _req| {
        let api = match err {
            JsonPayloadError::Overflow { limit } | JsonPayloadError::OverflowKnownLength { limit, .. } => {
                ApiError::PayloadTooLarge { limit }
            }
            JsonPayloadError::Payload(actix_web::error::PayloadError::Io(e))
                if e.kind() == std::io::ErrorKind::TimedOut =>
            {
                ApiError::RequestTimeout
            }
            JsonPayloadError::ContentType => {
                ApiError::InvalidBody("expected a JSON body with Content-Type: application/json".into())
            }
            JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::InvalidBody(format!("invalid JSON body: {e}")),
            JsonPayloadError::Deserialize(e) => ApiError::InvalidBody(format!("malformed JSON: {e}")),
            other => ApiError::InvalidBody(other.to_string()),
        };
        api.into()
    })
}

/// For actix's own `web::Query` (the sandboxes); the API's handlers use
/// [`routes::extract::Query`], which names the parameter at fault.
fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let reason = match &err {
            QueryPayloadError::Deserialize(e) => e.to_string(),
            other => other.to_string(),
        };
        ApiError::invalid("query", reason).into()
    })
}

fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, req| {
        let PathError::Deserialize(e) = &err else {
            return ApiError::invalid("path", err.to_string()).into();
        };
        // A path with one parameter (`/users/{id}`) names it; with several, the path.
        let mut names = req.match_info().iter().map(|(name, _)| name);
        let param = match (names.next(), names.next()) {
            (Some(name), None) => name,
            _ => "path",
        };
        ApiError::invalid(param, e.to_string()).into()
    })
}

/// Gives every error answer the same JSON shape with the request id, and every answer an
/// `x-request-id` header.
pub(crate) async fn error_shape(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let request_id = req.extensions().get::<RequestId>().copied();
    let res = next.call(req).await?;
    let status = res.status();
    let is_json =
        res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    // Reshape errors, and bare error statuses from actix; a handler's own JSON answer with an
    // error status (such as `/readyz`'s 503) is left as it is.
    let mut res =
        if (status.is_client_error() || status.is_server_error()) && (res.response().error().is_some() || !is_json) {
            let api = res.response().error().and_then(|e| e.as_error::<ApiError>());
            let (code, message, param) = match (api, res.response().error()) {
                // An internal error's cause is logged once, in the request's line (`telemetry`).
                (Some(api), _) => (api.code(), api.to_string(), api.param().map(str::to_owned)),
                (None, Some(other)) => (code_for_status(status), other.to_string(), None),
                (None, None) => {
                    (code_for_status(status), status.canonical_reason().unwrap_or("error").to_lowercase(), None)
                }
            };
            let id = request_id.map(|id| id.to_string()).unwrap_or_default();
            let body = ErrorBody { error: code, message, param: param.as_deref(), request_id: &id };
            let bytes = serde_json::to_vec(&body).unwrap_or_default();
            res.map_body(|head, _| {
                head.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                EitherBody::right(BoxBody::new(bytes))
            })
        } else {
            // The answer's own body, unboxed: the success path allocates nothing here.
            res.map_into_left_body()
        };
    if let Some(id) = request_id {
        let mut buf = uuid::Uuid::encode_buffer();
        if let Ok(value) = HeaderValue::from_str(id.hyphenated().encode_lower(&mut buf)) {
            res.headers_mut().insert(header::HeaderName::from_static("x-request-id"), value);
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use actix_web::{HttpResponse, test, web};
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
    }

    async fn echo(_body: routes::extract::Json<Body>) -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    async fn call(body: &'static str, content_type: &'static str) -> (u16, serde_json::Value) {
        let app = test::init_service(
            App::new()
                .wrap(from_fn(error_shape))
                .wrap(crate::telemetry::request_logger())
                .app_data(json_config(64))
                .route("/echo", web::post().to(echo)),
        )
        .await;
        let req = test::TestRequest::post()
            .uri("/echo")
            .insert_header(("content-type", content_type))
            .set_payload(body)
            .to_request();
        let res = test::call_service(&app, req).await;
        let status = res.status().as_u16();
        let id = res.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let body: serde_json::Value = test::read_body_json(res).await;
        assert_eq!(body["requestId"].as_str(), Some(id.as_str()));
        assert!(!id.is_empty());
        (status, body)
    }

    #[actix_web::test]
    async fn malformed_json_is_a_400_with_a_stable_code() {
        let (status, body) = call("{\"name\": ", "application/json").await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_body");
        assert!(body["message"].as_str().unwrap_or("").contains("malformed JSON"), "{body}");
    }

    #[actix_web::test]
    async fn an_unknown_field_is_named() {
        let (status, body) = call("{\"name\":\"a\",\"nmae\":\"b\"}", "application/json").await;
        assert_eq!(status, 400);
        assert_eq!((&body["error"], &body["param"]), (&"invalid_body".into(), &"nmae".into()), "{body}");
        assert!(body["message"].as_str().unwrap_or("").contains("nmae"), "{body}");
    }

    #[actix_web::test]
    async fn a_field_of_the_wrong_type_is_named() {
        let (status, body) = call("{\"name\":7}", "application/json").await;
        assert_eq!(status, 400);
        assert_eq!((&body["error"], &body["param"]), (&"invalid_body".into(), &"name".into()), "{body}");
    }

    #[actix_web::test]
    async fn an_oversized_body_is_a_413() {
        let big: &'static str = Box::leak(format!("{{\"name\":\"{}\"}}", "x".repeat(200)).into_boxed_str());
        let (status, body) = call(big, "application/json").await;
        assert_eq!(status, 413);
        assert_eq!(body["error"], "payload_too_large");
    }

    #[actix_web::test]
    async fn a_body_that_is_not_json_is_refused() {
        let (status, body) = call("name=a", "application/x-www-form-urlencoded").await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_body");
    }
}
