//! The route table: every endpoint Canmou serves, the one list the server is configured from
//! (`startup` mounts [`configure`]) and `/openapi.json` describes ([`route_doc`]).

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::web;

use crate::middleware;

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
//
// A request is matched against the rows in this order (a regular expression for each row with
// a `{parameter}`), so the mini-program's reads, nearly all of a morning's requests, come
// first: behind sixty rows, matching took 9.5 % of a cached trend's time, 7 % in front
// (`perf`, 100 k req/s).
routes! {
    {
        use crate::routes::admin::{audit, boards as admin_boards, card_sets, console, metrics, open_apps, preview, users};
        use crate::routes::{auth, boards, calendar, catalogue, deliveries, exports, health, home, me, metric, openapi, orgs};
        use crate::routes::{records, subscription, sync};
    }
    GET "/api/v1/home" => home::home,
    GET "/api/v1/metrics/{code}" => metric::detail,
    GET "/api/v1/metrics/{code}/series" => metric::series,
    GET "/api/v1/metrics/{code}/breakdown" => metric::breakdown,
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
    GET "/api/v1/boards" => boards::list,
    GET "/api/v1/boards/{code}" => boards::board,
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
pub fn configure(cfg: &mut web::ServiceConfig) {
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
    super::open::configure(cfg);
}

async fn method_not_allowed() -> actix_web::HttpResponse {
    actix_web::HttpResponse::MethodNotAllowed().finish()
}
