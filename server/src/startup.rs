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
use tracing_actix_web::{RequestId, TracingLogger};

use crate::config::Settings;
use crate::error::{ApiError, ErrorBody, code_for_status};
use crate::middleware;
use crate::routes;
use crate::state::{self, AppState};
use crate::workers::{self, scheduler::Leadership, scheduler::Scheduler};
use secrecy::ExposeSecret;
use std::time::Duration;

/// Where demo mode mounts the DingTalk sandbox.
pub const DINGTALK_SANDBOX: &str = "/sandbox/dingtalk";

/// Where demo mode mounts the feed sandbox.
pub const FEED_SANDBOX: &str = "/sandbox/feed";

/// Emulated remote services to mount in-process (demo mode).
#[derive(Clone, Default)]
pub struct Sandboxes {
    pub dingtalk: Option<web::Data<crate::dingtalk::sandbox::SandboxState>>,
    /// The feed sandbox serving the demo province's new days.
    pub feed: bool,
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    /// Binds `settings.server.host:port` and prepares the server; nothing is served until
    /// [`Application::run_until_stopped`].
    pub async fn build(settings: Settings, db: DatabaseConnection) -> anyhow::Result<Application> {
        Application::build_with(settings, db, Sandboxes::default()).await
    }

    /// As [`Application::build`], with sandboxes mounted on the server's own address (demo
    /// mode) and the clients pointed at them. `canmou serve` never mounts any.
    pub async fn build_with(
        mut settings: Settings,
        db: DatabaseConnection,
        sandboxes: Sandboxes,
    ) -> anyhow::Result<Application> {
        let listener = bind(&settings)?;
        let port = listener.local_addr()?.port();
        if settings.server.public_url.is_empty() {
            let host = match settings.server.host.as_str() {
                "0.0.0.0" | "::" | "[::]" => "127.0.0.1",
                other => other,
            };
            settings.server.public_url = format!("http://{host}:{port}");
        }
        crate::middleware::install_panic_hook();
        if let Some(sandbox) = &sandboxes.dingtalk {
            let base = format!("http://127.0.0.1:{port}{DINGTALK_SANDBOX}");
            let o = sandbox.options();
            settings.dingtalk.app_key = o.app_key.clone();
            settings.dingtalk.app_secret = o.app_secret.clone().into();
            settings.dingtalk.agent_id = o.agent_id;
            settings.dingtalk.corp_id = o.corp_id.clone();
            settings.dingtalk.oapi_base = base.clone();
            settings.dingtalk.api_base = base.clone();
            settings.dingtalk.login_base = base;
        }
        let feed_sandbox = if sandboxes.feed {
            settings.feed.base_url = format!("http://127.0.0.1:{port}{FEED_SANDBOX}");
            settings.feed.token = crate::feed::sandbox::DEMO_TOKEN.into();
            Some(web::Data::new(crate::demo::feed_sandbox(&settings, &db).await?))
        } else {
            None
        };
        let state = web::Data::new(AppState::new(settings.clone(), db).await?);
        let app_state = state.clone();
        let prometheus = PrometheusMetricsBuilder::new("canmou")
            .endpoint("/metrics")
            .mask_unmatched_patterns("UNKNOWN")
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the Prometheus registry: {e}"))?;
        let body_limit = settings.server.body_limit;
        let bench_ceiling = settings.server.bench_ceiling;
        let request_timeout = settings.server.request_timeout_secs;
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(middleware::body_deadline))
                .wrap(from_fn(error_shape))
                .wrap(prometheus.clone())
                .wrap(TracingLogger::default())
                .wrap(Compress::default())
                .app_data(app_state.clone())
                .app_data(web::Data::new(middleware::BodyTimeout(request_timeout)))
                .app_data(json_config(body_limit))
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(query_config())
                .app_data(path_config())
                .configure(configure_routes)
                .configure(|cfg| {
                    if bench_ceiling {
                        cfg.service(get("/api/v1/bench/ceiling", routes::bench::ceiling));
                    }
                    if let Some(sandbox) = &sandboxes.dingtalk {
                        let sandbox = sandbox.clone();
                        cfg.service(
                            web::scope(DINGTALK_SANDBOX)
                                .configure(move |c| crate::dingtalk::sandbox::configure(c, sandbox)),
                        );
                    }
                    if let Some(sandbox) = &feed_sandbox {
                        let sandbox = sandbox.clone();
                        cfg.service(
                            web::scope(FEED_SANDBOX).configure(move |c| crate::feed::sandbox::configure(c, sandbox)),
                        );
                    }
                })
                .default_service(web::to(not_found))
        })
        .client_request_timeout(Duration::from_secs(request_timeout))
        .listen(listener)?;
        server = server.workers(settings.http_workers());
        Ok(Application { port, server: server.run(), state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The state the handlers share (tests and workers reach the caches through it).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until the server stops, watching for data versions written by other instances
    /// and, when `schedule.enabled`, running the scheduled jobs (as the leader).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let state = self.state.clone().into_inner();
        let watcher = tokio::spawn(state::watch_version(state.clone()));
        let scheduler = if state.settings.schedule.enabled {
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
            );
            Some(tokio::spawn(scheduler.run()))
        } else {
            None
        };
        let result = self.server.await;
        watcher.abort();
        if let Some(s) = scheduler {
            s.abort();
        }
        Ok(result?)
    }
}

fn bind(settings: &Settings) -> anyhow::Result<TcpListener> {
    let address = format!("{}:{}", settings.server.host, settings.server.port);
    TcpListener::bind(&address).with_context(|| format!("cannot listen on {address}"))
}

/// One row of the route table: method, path, and the route that serves it.
type RouteRow = (Method, &'static str, actix_web::Route);

macro_rules! route {
    ($method:ident $path:literal => $handler:path) => {
        (Method::$method, $path, web::method(Method::$method).to($handler))
    };
}

/// Every endpoint Canmou serves (the sandboxes and the benchmark's ceiling aside). The server is
/// configured from it, and the authorization test walks it, so a route cannot be added without
/// the test knowing.
fn route_table() -> Vec<RouteRow> {
    use routes::admin::{audit, boards as admin_boards, card_sets, console, metrics, open_apps, preview, users};
    use routes::{auth, boards, calendar, catalogue, deliveries, exports, health, home, me, metric, openapi, orgs};
    use routes::{records, subscription, sync};
    vec![
        route!(GET "/healthz" => health::healthz),
        route!(GET "/readyz" => health::readyz),
        route!(GET "/openapi.json" => openapi::spec),
        route!(GET "/api/v1/metrics" => catalogue::list),
        route!(POST "/api/v1/auth/dingtalk" => auth::login),
        route!(POST "/api/v1/auth/refresh" => auth::refresh),
        route!(POST "/api/v1/auth/logout" => auth::logout),
        route!(GET "/api/v1/auth/dingtalk/web" => auth::web_start),
        route!(GET "/api/v1/auth/dingtalk/callback" => auth::web_callback),
        route!(GET "/api/v1/me" => me::me),
        route!(GET "/api/v1/me/briefing" => subscription::get),
        route!(POST "/api/v1/me/briefing" => subscription::set),
        route!(GET "/api/v1/home" => home::home),
        route!(GET "/api/v1/boards" => boards::list),
        route!(GET "/api/v1/boards/{code}" => boards::board),
        route!(GET "/api/v1/metrics/{code}" => metric::detail),
        route!(GET "/api/v1/metrics/{code}/series" => metric::series),
        route!(GET "/api/v1/metrics/{code}/breakdown" => metric::breakdown),
        route!(GET "/api/v1/orgs" => orgs::search),
        route!(GET "/api/v1/orgs/{id}" => orgs::get),
        route!(GET "/api/v1/orgs/{id}/children" => orgs::children),
        route!(GET "/api/v1/exports/{name}" => exports::export),
        route!(GET "/api/v1/records/{kind}" => records::list),
        route!(GET "/api/v1/records/{kind}/{id}" => records::one),
        route!(GET "/api/v1/me/columns/{kind}" => records::get_columns),
        route!(PUT "/api/v1/me/columns/{kind}" => records::put_columns),
        route!(POST "/api/v1/me/columns/{kind}" => records::put_columns),
        route!(GET "/admin" => console::redirect),
        route!(GET "/admin/" => console::index),
        route!(GET "/admin/{file}" => console::file),
        route!(GET "/api/v1/admin/calendar" => calendar::list),
        route!(POST "/api/v1/admin/calendar" => calendar::change),
        route!(GET "/api/v1/admin/briefings" => deliveries::list),
        route!(POST "/api/v1/admin/briefings/run" => deliveries::run),
        route!(POST "/api/v1/admin/briefings/resend" => deliveries::resend),
        route!(GET "/api/v1/admin/sync/runs" => sync::runs),
        route!(GET "/api/v1/admin/sync/rejected" => sync::rejected),
        route!(POST "/api/v1/admin/sync/{source}/run" => sync::run),
        route!(GET "/api/v1/admin/card-sets" => card_sets::list),
        route!(POST "/api/v1/admin/card-sets" => card_sets::create),
        route!(GET "/api/v1/admin/card-sets/{id}" => card_sets::get),
        route!(POST "/api/v1/admin/card-sets/{id}" => card_sets::update),
        route!(DELETE "/api/v1/admin/card-sets/{id}" => card_sets::delete),
        route!(POST "/api/v1/admin/card-sets/{id}/reorder" => card_sets::reorder),
        route!(POST "/api/v1/admin/card-sets/{id}/publish" => card_sets::publish),
        route!(POST "/api/v1/admin/card-sets/{id}/restore" => card_sets::restore),
        route!(GET "/api/v1/admin/card-sets/{id}/versions" => card_sets::versions),
        route!(POST "/api/v1/admin/card-sets/{id}/assignments" => card_sets::assign),
        route!(POST "/api/v1/admin/card-sets/{id}/assignments/remove" => card_sets::unassign),
        route!(GET "/api/v1/admin/users" => users::list),
        route!(GET "/api/v1/admin/users/{id}" => users::get),
        route!(POST "/api/v1/admin/users/{id}" => users::update),
        route!(POST "/api/v1/admin/users/{id}/scopes" => users::scopes),
        route!(POST "/api/v1/admin/users/{id}/sessions/revoke" => users::revoke_sessions),
        route!(GET "/api/v1/admin/metrics" => metrics::list),
        route!(POST "/api/v1/admin/metrics/{code}" => metrics::update),
        route!(GET "/api/v1/admin/preview" => preview::preview),
        route!(GET "/api/v1/admin/audit" => audit::list),
        route!(GET "/api/v1/admin/boards/rules" => admin_boards::list),
        route!(POST "/api/v1/admin/boards/rules" => admin_boards::change),
        route!(GET "/api/v1/admin/open-apps" => open_apps::list),
        route!(POST "/api/v1/admin/open-apps" => open_apps::create),
        route!(GET "/api/v1/admin/open-apps/{id}" => open_apps::get),
        route!(POST "/api/v1/admin/open-apps/{id}" => open_apps::update),
        route!(DELETE "/api/v1/admin/open-apps/{id}" => open_apps::delete),
        route!(POST "/api/v1/admin/open-apps/{id}/rotate" => open_apps::rotate),
        route!(POST "/api/v1/admin/open-apps/{id}/suspend" => open_apps::suspend),
        route!(POST "/api/v1/admin/open-apps/{id}/resume" => open_apps::resume),
        route!(GET "/api/v1/admin/open-apps/{id}/usage" => open_apps::usage),
    ]
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

/// A GET-only resource outside the table (the benchmark's ceiling).
fn get<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path).route(web::get().to(handler)).default_service(web::to(method_not_allowed))
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
async fn error_shape(
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
            (Some(api), _) => {
                if let ApiError::Internal(cause) = api {
                    tracing::error!(request_id, error = ?cause, "request failed");
                }
                (api.code(), api.to_string(), api.param().map(str::to_owned))
            }
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
                .wrap(TracingLogger::default())
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
