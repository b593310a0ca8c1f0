//! `/_sandbox/*`: not DingTalk. What tests, demo users and operators use to act as DingTalk's
//! users (login codes, reading notifications), to break it (faults), to watch it (stats), and
//! to change its directory.

use actix_web::{HttpResponse, web};
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;

use super::fixture::{Department, User};
use super::state::{CodeKind, Fault, SandboxState};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeRequest {
    userid: String,
    #[serde(default)]
    kind: Option<CodeKind>,
}

/// `POST /_sandbox/auth-codes {"userid", "kind"?: "miniapp"|"web"}` → `{"authCode"}`.
pub(crate) async fn auth_code(state: web::Data<SandboxState>, body: web::Json<CodeRequest>) -> HttpResponse {
    match state.auth_code(&body.userid, body.kind.unwrap_or(CodeKind::Miniapp)) {
        Some(code) => HttpResponse::Ok().json(json!({ "authCode": code })),
        None => not_found("no such user"),
    }
}

#[derive(Deserialize)]
pub(crate) struct InboxQuery {
    userid: Option<String>,
    /// Only notifications with a task id above this one.
    since: Option<i64>,
}

/// `GET /_sandbox/inbox?userid=&since=`.
pub(crate) async fn inbox(state: web::Data<SandboxState>, query: web::Query<InboxQuery>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "messages": state.inbox(query.userid.as_deref(), query.since) }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReadRequest {
    userid: String,
    task_id: i64,
}

/// `POST /_sandbox/inbox/read {"userid","taskId"}`: the user opens the notification.
pub(crate) async fn read(state: web::Data<SandboxState>, body: web::Json<ReadRequest>) -> HttpResponse {
    if state.mark_read(&body.userid, body.task_id) {
        HttpResponse::NoContent().finish()
    } else {
        not_found("no such message")
    }
}

pub(crate) async fn add_fault(state: web::Data<SandboxState>, body: web::Json<Fault>) -> HttpResponse {
    state.add_fault(body.into_inner());
    HttpResponse::NoContent().finish()
}

pub(crate) async fn clear_faults(state: web::Data<SandboxState>) -> HttpResponse {
    state.clear_faults();
    HttpResponse::NoContent().finish()
}

pub(crate) async fn stats(state: web::Data<SandboxState>) -> HttpResponse {
    let stats = state.stats();
    HttpResponse::Ok().json(json!({ "calls": stats.calls, "throttled": stats.throttled, "total": stats.total() }))
}

pub(crate) async fn reset_stats(state: web::Data<SandboxState>) -> HttpResponse {
    state.reset_stats();
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ClockRequest {
    advance_secs: i64,
}

/// `POST /_sandbox/clock {"advanceSecs"}`: e.g. past a token's expiry.
pub(crate) async fn clock(state: web::Data<SandboxState>, body: web::Json<ClockRequest>) -> HttpResponse {
    state.advance_clock(Duration::seconds(body.advance_secs));
    HttpResponse::Ok().json(json!({ "now": state.now() }))
}

/// `POST /_sandbox/departments` (a fixture department): adds, renames or moves one.
pub(crate) async fn upsert_department(state: web::Data<SandboxState>, body: web::Json<Department>) -> HttpResponse {
    state.with_directory(|d| d.upsert_department(body.into_inner()));
    HttpResponse::NoContent().finish()
}

/// `DELETE /_sandbox/departments/{id}`: the department and its subtree.
pub(crate) async fn delete_department(state: web::Data<SandboxState>, id: web::Path<i64>) -> HttpResponse {
    let deleted = state.with_directory(|d| d.delete_department(*id));
    HttpResponse::Ok().json(json!({ "deleted": deleted }))
}

/// `POST /_sandbox/users` (a fixture user): adds or replaces one.
pub(crate) async fn upsert_user(state: web::Data<SandboxState>, body: web::Json<User>) -> HttpResponse {
    state.with_directory(|d| d.upsert_user(body.into_inner()));
    HttpResponse::NoContent().finish()
}

pub(crate) async fn deactivate_user(state: web::Data<SandboxState>, id: web::Path<String>) -> HttpResponse {
    if state.with_directory(|d| d.deactivate_user(&id)) {
        HttpResponse::NoContent().finish()
    } else {
        not_found("no such user")
    }
}

pub(crate) async fn delete_user(state: web::Data<SandboxState>, id: web::Path<String>) -> HttpResponse {
    if state.with_directory(|d| d.delete_user(&id)) {
        HttpResponse::NoContent().finish()
    } else {
        not_found("no such user")
    }
}

fn not_found(message: &str) -> HttpResponse {
    HttpResponse::NotFound().json(json!({ "error": "not_found", "message": message }))
}
