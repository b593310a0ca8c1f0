//! The DingTalk sandbox: an actix app emulating the endpoints Canmou uses (the contract's §9)
//! from a directory fixture, with an inbox of sent notifications, injectable faults, a QPS
//! limiter, and control endpoints under `/_sandbox`. Tests run it on a random port with
//! [`spawn`]; demo mode mounts it with [`configure`]:
//!
//! ```ignore
//! let state = web::Data::new(SandboxState::new(directory, SandboxOptions::default()));
//! App::new().service(web::scope("/sandbox/dingtalk").configure(|c| sandbox::configure(c, state.clone())))
//! ```

// Helpers return the refusal to send as the `Err` of a `Result`: an `HttpResponse`, large but
// built at most once per call of a test double.
#![allow(clippy::result_large_err)]

mod auth;
mod contacts;
mod control;
pub mod fixture;
mod gate;
mod messages;
mod reply;
mod state;

use std::future::Future;
use std::net::TcpListener;
use std::pin::Pin;

use actix_web::body::BoxBody;
use actix_web::dev::{ServerHandle, Service, ServiceResponse};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use secrecy::SecretString;

pub use fixture::Directory;
pub use state::{CodeKind, Fault, InboxEntry, SandboxOptions, SandboxState, Stats};

use canmou::config::{DingtalkSettings, Settings};

type Answer = Pin<Box<dyn Future<Output = Result<ServiceResponse<BoxBody>, actix_web::Error>>>>;

/// Registers the sandbox's routes on `cfg` (an app or a scope).
pub fn configure(cfg: &mut web::ServiceConfig, state: web::Data<SandboxState>) {
    cfg.app_data(state.clone());
    cfg.service(
        web::scope("/_sandbox")
            .route("/auth-codes", web::post().to(control::auth_code))
            .route("/inbox", web::get().to(control::inbox))
            .route("/inbox/read", web::post().to(control::read))
            .route("/faults", web::post().to(control::add_fault))
            .route("/faults", web::delete().to(control::clear_faults))
            .route("/stats", web::get().to(control::stats))
            .route("/stats", web::delete().to(control::reset_stats))
            .route("/clock", web::post().to(control::clock))
            .route("/departments", web::post().to(control::upsert_department))
            .route("/departments/{id}", web::delete().to(control::delete_department))
            .route("/users", web::post().to(control::upsert_user))
            .route("/users/{userid}/deactivate", web::post().to(control::deactivate_user))
            .route("/users/{userid}", web::delete().to(control::delete_user)),
    );
    // The login page stands for login.dingtalk.com: no faults, no limits.
    cfg.route("/sandbox-login", web::get().to(auth::login_page))
        .route("/oauth2/auth", web::get().to(auth::login_page))
        .route("/sandbox-login/scan", web::get().to(auth::scan));
    let gate_state = state;
    cfg.service(
        web::scope("")
            .wrap_fn(move |req, srv| -> Answer {
                let path = gate::api_path(&req);
                match gate::judge(&gate_state, &path) {
                    gate::Verdict::Answer(delay, answer) => {
                        let res = req.into_response(answer);
                        Box::pin(async move {
                            if let Some(d) = delay {
                                tokio::time::sleep(d).await;
                            }
                            Ok(res)
                        })
                    }
                    gate::Verdict::Delay(d) => {
                        let call = srv.call(req);
                        Box::pin(async move {
                            tokio::time::sleep(d).await;
                            call.await
                        })
                    }
                    gate::Verdict::Pass => Box::pin(srv.call(req)),
                }
            })
            .route("/gettoken", web::get().to(auth::gettoken))
            .route("/v1.0/oauth2/accessToken", web::post().to(auth::access_token))
            .route("/v1.0/oauth2/userAccessToken", web::post().to(auth::user_access_token))
            .route("/v1.0/contact/users/me", web::get().to(auth::users_me))
            .route("/topapi/v2/user/getuserinfo", web::post().to(auth::getuserinfo))
            .route("/topapi/user/getbyunionid", web::post().to(auth::getbyunionid))
            .route("/topapi/v2/department/listsub", web::post().to(contacts::listsub))
            .route("/topapi/v2/department/listsubid", web::post().to(contacts::listsubid))
            .route("/topapi/v2/department/get", web::post().to(contacts::department_get))
            .route("/topapi/v2/user/list", web::post().to(contacts::user_list))
            .route("/topapi/v2/user/get", web::post().to(contacts::user_get))
            .route("/topapi/message/corpconversation/asyncsend_v2", web::post().to(messages::asyncsend))
            .route("/topapi/message/corpconversation/getsendprogress", web::post().to(messages::progress))
            .route("/topapi/message/corpconversation/getsendresult", web::post().to(messages::result))
            .route("/topapi/message/corpconversation/recall", web::post().to(messages::recall))
            .default_service(web::to(unknown_api)),
    );
}

/// DingTalk's answer to a path it does not know: errcode 22 (old API), 404 (new API).
async fn unknown_api(req: HttpRequest) -> HttpResponse {
    let path = req.match_info().unprocessed().to_owned();
    if path.starts_with("/v1.0/") {
        return reply::new_err(404, "InvalidAction.NotFound", "Specified api is not found");
    }
    let request_id: String = state::random_id("").chars().take(13).collect();
    HttpResponse::Ok().json(serde_json::json!({
        "errcode": 22, "errmsg": format!("Invalid method[{path}]"), "sub_msg": "不合法ApiName", "request_id": request_id,
    }))
}

/// A sandbox serving on a random local port.
pub struct RunningSandbox {
    /// `http://127.0.0.1:PORT`: both the old and the new API base.
    pub base_url: String,
    pub state: web::Data<SandboxState>,
    handle: ServerHandle,
}

impl RunningSandbox {
    /// Client settings pointing at this sandbox, with its credentials and the default limits.
    pub fn client_settings(&self) -> DingtalkSettings {
        let o = self.state.options();
        DingtalkSettings {
            app_key: o.app_key.clone(),
            app_secret: SecretString::from(o.app_secret.clone()),
            agent_id: o.agent_id,
            corp_id: o.corp_id.clone(),
            oapi_base: self.base_url.clone(),
            api_base: self.base_url.clone(),
            login_base: self.base_url.clone(),
            ..Settings::default().dingtalk
        }
    }

    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

/// Serves `fixture` on 127.0.0.1 at a random port, with the default options.
pub async fn spawn(fixture: Directory) -> anyhow::Result<RunningSandbox> {
    spawn_with(fixture, SandboxOptions::default()).await
}

pub async fn spawn_with(fixture: Directory, options: SandboxOptions) -> anyhow::Result<RunningSandbox> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let state = web::Data::new(SandboxState::new(fixture, options));
    let app_state = state.clone();
    let server = HttpServer::new(move || App::new().configure(|cfg| configure(cfg, app_state.clone())))
        .workers(2)
        .disable_signals()
        .listen(listener)?
        .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok(RunningSandbox { base_url: format!("http://127.0.0.1:{port}"), state, handle })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use actix_web::test;

    #[actix_web::test]
    async fn mounted_under_a_prefix_it_sees_dingtalks_paths() {
        let state = web::Data::new(SandboxState::new(Directory::with_root("root"), SandboxOptions::default()));
        let mounted = state.clone();
        let app = test::init_service(
            App::new().service(web::scope("/sandbox/dingtalk").configure(move |c| configure(c, mounted.clone()))),
        )
        .await;
        let req = test::TestRequest::get()
            .uri("/sandbox/dingtalk/gettoken?appkey=sandbox-app-key&appsecret=sandbox-app-secret")
            .to_request();
        let body: serde_json::Value = test::call_and_read_body_json(&app, req).await;
        assert!(body["access_token"].is_string(), "{body}");
        let req = test::TestRequest::post().uri("/sandbox/dingtalk/topapi/unknown").to_request();
        let body: serde_json::Value = test::call_and_read_body_json(&app, req).await;
        assert_eq!(body["errcode"], 22);
        assert_eq!(state.stats().calls_to("/gettoken"), 1);
        assert_eq!(state.stats().calls_to("/topapi/unknown"), 1);
    }
}
