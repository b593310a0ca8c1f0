//! Building the HTTP application: `Application::build` binds the listener (port 0 works) and
//! reports the real port, so tests start the real app.

use std::net::TcpListener;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Compress, Next, from_fn};
use actix_web::{App, HttpMessage, HttpServer, web};
use actix_web_prom::PrometheusMetricsBuilder;
use anyhow::Context;
use sea_orm::DatabaseConnection;
use tracing_actix_web::RequestId;

use crate::config::Settings;
use crate::error::{ApiError, ErrorBody, code_for_status};
use crate::middleware;
use crate::routes;
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
                .wrap(Compress::default())
                .app_data(app_state.clone())
                .app_data(registry.clone())
                .app_data(web::Data::new(middleware::BodyTimeout(request_timeout)))
                .app_data(json_config(body_limit))
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(query_config())
                .app_data(path_config())
                .configure(configure_routes)
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

/// One row of the route table: method, path, and the route that serves it.
type RouteRow = (Method, &'static str, actix_web::Route);

/// Defines, from one list of `METHOD [| METHOD] "/path" => module::handler` rows, the route
/// table the server is configured from and its OpenAPI description, made of the rows' handlers'
/// `#[utoipa::path]`: a handler without one does not compile, and
/// `tests/api/health.rs` checks that every row's path and methods are in `/openapi.json`.
/// The description is derived by utoipa's own `OpenApi` macro (which finds the item that
/// `#[utoipa::path]` generates beside each handler) rather than utoipa-actix-web, whose
/// services carry their paths in actix attribute macros: the table stays the one place that
/// says what is served.
macro_rules! routes {
    (
        { $($import:item)* }
        $($($method:ident)|+ $path:literal => $($handler:ident)::+,)*
    ) => {
        fn route_table() -> Vec<RouteRow> {
            $($import)*
            let mut rows = Vec::new();
            $(
                let handler = $($handler)::+;
                $(rows.push((Method::$method, $path, web::method(Method::$method).to(handler)));)+
            )*
            rows
        }

        /// The paths of `/openapi.json`: one per row of the route table.
        pub fn route_doc() -> utoipa::openapi::OpenApi {
            $($import)*
            #[derive(utoipa::OpenApi)]
            #[openapi(paths($($($handler)::+),*))]
            struct RouteDoc;
            let mut doc = <RouteDoc as utoipa::OpenApi>::openapi();
            $(name_operations(&mut doc, $path, &[$(Method::$method),+], stringify!($($handler)::+));)*
            doc
        }
    };
}

// Every endpoint Canmou serves (what the demo mounts beside it aside). The server is
// configured from it, and the authorization test walks it, so a route cannot be added without
// the test knowing. The console's pages are described too (tag `console`), as what they are.
routes! {
    {
        use routes::admin::{audit, boards as admin_boards, card_sets, console, metrics, open_apps, preview, users};
        use routes::{auth, boards, calendar, catalogue, deliveries, exports, health, home, me, metric, openapi, orgs};
        use routes::{records, subscription, sync};
    }
    GET "/healthz" => health::healthz,
    GET "/readyz" => health::readyz,
    GET "/metrics" => health::metrics,
    GET "/openapi.json" => openapi::spec,
    GET "/api/v1/metrics" => catalogue::list,
    POST "/api/v1/auth/dingtalk" => auth::login,
    POST "/api/v1/auth/refresh" => auth::refresh,
    POST "/api/v1/auth/logout" => auth::logout,
    GET "/api/v1/auth/dingtalk/web" => auth::web_start,
    GET "/api/v1/auth/dingtalk/callback" => auth::web_callback,
    GET "/api/v1/me" => me::me,
    GET "/api/v1/me/briefing" => subscription::get,
    POST "/api/v1/me/briefing" => subscription::set,
    GET "/api/v1/home" => home::home,
    GET "/api/v1/boards" => boards::list,
    GET "/api/v1/boards/{code}" => boards::board,
    GET "/api/v1/metrics/{code}" => metric::detail,
    GET "/api/v1/metrics/{code}/series" => metric::series,
    GET "/api/v1/metrics/{code}/breakdown" => metric::breakdown,
    GET "/api/v1/orgs" => orgs::search,
    GET "/api/v1/orgs/{id}" => orgs::get,
    GET "/api/v1/orgs/{id}/children" => orgs::children,
    GET "/api/v1/exports/{name}" => exports::export,
    GET "/api/v1/records/{kind}" => records::list,
    GET "/api/v1/records/{kind}/{id}" => records::one,
    GET "/api/v1/me/columns/{kind}" => records::get_columns,
    PUT | POST "/api/v1/me/columns/{kind}" => records::put_columns,
    GET "/admin" => console::redirect,
    GET "/admin/" => console::index,
    GET "/admin/{file}" => console::file,
    GET "/api/v1/admin/calendar" => calendar::list,
    POST "/api/v1/admin/calendar" => calendar::change,
    GET "/api/v1/admin/briefings" => deliveries::list,
    POST "/api/v1/admin/briefings/run" => deliveries::run,
    POST "/api/v1/admin/briefings/resend" => deliveries::resend,
    GET "/api/v1/admin/sync/runs" => sync::runs,
    GET "/api/v1/admin/sync/runs/{id}" => sync::one,
    GET "/api/v1/admin/sync/rejected" => sync::rejected,
    POST "/api/v1/admin/sync/{source}/run" => sync::run,
    GET "/api/v1/admin/card-sets" => card_sets::list,
    POST "/api/v1/admin/card-sets" => card_sets::create,
    GET "/api/v1/admin/card-sets/{id}" => card_sets::get,
    POST "/api/v1/admin/card-sets/{id}" => card_sets::update,
    DELETE "/api/v1/admin/card-sets/{id}" => card_sets::delete,
    POST "/api/v1/admin/card-sets/{id}/reorder" => card_sets::reorder,
    POST "/api/v1/admin/card-sets/{id}/publish" => card_sets::publish,
    POST "/api/v1/admin/card-sets/{id}/restore" => card_sets::restore,
    GET "/api/v1/admin/card-sets/{id}/versions" => card_sets::versions,
    POST "/api/v1/admin/card-sets/{id}/assignments" => card_sets::assign,
    POST "/api/v1/admin/card-sets/{id}/assignments/remove" => card_sets::unassign,
    GET "/api/v1/admin/users" => users::list,
    GET "/api/v1/admin/users/{id}" => users::get,
    POST "/api/v1/admin/users/{id}" => users::update,
    POST "/api/v1/admin/users/{id}/scopes" => users::scopes,
    POST "/api/v1/admin/users/{id}/sessions/revoke" => users::revoke_sessions,
    GET "/api/v1/admin/metrics" => metrics::list,
    POST "/api/v1/admin/metrics/{code}" => metrics::update,
    GET "/api/v1/admin/preview" => preview::preview,
    GET "/api/v1/admin/audit" => audit::list,
    GET "/api/v1/admin/boards/rules" => admin_boards::list,
    POST "/api/v1/admin/boards/rules" => admin_boards::change,
    GET "/api/v1/admin/open-apps" => open_apps::list,
    POST "/api/v1/admin/open-apps" => open_apps::create,
    GET "/api/v1/admin/open-apps/{id}" => open_apps::get,
    POST "/api/v1/admin/open-apps/{id}" => open_apps::update,
    DELETE "/api/v1/admin/open-apps/{id}" => open_apps::delete,
    POST "/api/v1/admin/open-apps/{id}/rotate" => open_apps::rotate,
    POST "/api/v1/admin/open-apps/{id}/suspend" => open_apps::suspend,
    POST "/api/v1/admin/open-apps/{id}/resume" => open_apps::resume,
    GET "/api/v1/admin/open-apps/{id}/usage" => open_apps::usage,
}

/// Names the operations of a row after its handler (`card_sets.list`, and `.put`/`.post` when
/// it serves several methods): utoipa names them after the function alone, and `list` or `get`
/// recur, where a client generator needs every name once.
fn name_operations(doc: &mut utoipa::openapi::OpenApi, path: &str, methods: &[Method], handler: &str) {
    let handler = handler.replace(' ', "").replace("::", ".");
    let Some(item) = doc.paths.paths.get_mut(path) else { return };
    for method in methods {
        let operation = match method.as_str() {
            "GET" => &mut item.get,
            "PUT" => &mut item.put,
            "POST" => &mut item.post,
            "DELETE" => &mut item.delete,
            _ => continue,
        };
        if let Some(operation) = operation {
            operation.operation_id = Some(match methods.len() {
                1 => handler.clone(),
                _ => format!("{handler}.{}", method.as_str().to_lowercase()),
            });
        }
    }
}

/// The method and path of every route in the table.
pub fn route_list() -> Vec<(Method, &'static str)> {
    route_table().into_iter().map(|(method, path, _)| (method, path)).collect()
}

/// One resource per path, holding its methods; any other method is `405`. Each resource sits
/// behind the panic guard.
fn configure_routes(cfg: &mut web::ServiceConfig) {
    let mut paths: Vec<(&'static str, Vec<actix_web::Route>)> = Vec::new();
    for (_, path, route) in route_table() {
        match paths.iter_mut().find(|(p, _)| *p == path) {
            Some((_, routes)) => routes.push(route),
            None => paths.push((path, vec![route])),
        }
    }
    for (path, routes) in paths {
        let mut resource = web::resource(path).wrap(from_fn(middleware::catch_panic));
        for route in routes {
            resource = resource.route(route);
        }
        cfg.service(resource.default_service(web::to(method_not_allowed)));
    }
    // The open data API: a scope of its own, behind its call accounting (its admin routes
    // are in the table).
    routes::open::configure(cfg);
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("no such endpoint".into()))
}

async fn method_not_allowed() -> actix_web::HttpResponse {
    actix_web::HttpResponse::MethodNotAllowed().finish()
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
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string()).unwrap_or_default();
    let mut res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    let is_json =
        res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    // Reshape errors, and bare error statuses from actix; a handler's own JSON answer with an
    // error status (such as `/readyz`'s 503) is left as it is.
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
        let body = ErrorBody { error: code, message, param: param.as_deref(), request_id: &request_id };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        res = res.map_body(|head, _| {
            head.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            BoxBody::new(bytes)
        });
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(header::HeaderName::from_static("x-request-id"), value);
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
