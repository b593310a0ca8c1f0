//! In front of every emulated endpoint: call counts, injected faults, and the per-path QPS
//! limiter answering 90018.

use std::time::Duration;

use actix_web::dev::ServiceRequest;
use actix_web::{HttpResponse, web};
use serde_json::Value;

use super::reply::{err, new_err};
use super::state::{Fault, SandboxState};

/// What to do with a call before it reaches its handler.
pub(crate) enum Verdict {
    Pass,
    Delay(Duration),
    Answer(Option<Duration>, HttpResponse),
}

/// The path as DingTalk would see it, wherever the sandbox is mounted.
pub(crate) fn api_path(req: &ServiceRequest) -> String {
    let tail = req.match_info().unprocessed();
    if tail.is_empty() { req.path().to_owned() } else { tail.to_owned() }
}

fn is_new_api(path: &str) -> bool {
    path.starts_with("/v1.0/")
}

fn is_throttle(code: i64) -> bool {
    matches!(code, 90001..=90006 | 90018)
}

pub(crate) fn judge(state: &web::Data<SandboxState>, path: &str) -> Verdict {
    let fault = take_fault(state, path);
    let delay = fault.as_ref().and_then(|f| f.delay_ms).map(Duration::from_millis);
    if let Some(answer) = fault.and_then(|f| fault_answer(state, path, f)) {
        return Verdict::Answer(delay, answer);
    }
    if let Some(delay) = delay {
        return Verdict::Delay(delay);
    }
    if state.over_rate(path) {
        state.world().stats.throttled += 1;
        let answer = if is_new_api(path) {
            new_err(403, "QpsLimitForAppkeyAndApi", "调用该接口超过每秒限制")
        } else {
            err(path, 90018, "当前企业调用该接口超过每秒限制")
        };
        return Verdict::Answer(None, answer);
    }
    Verdict::Pass
}

/// Counts the call and takes one use of the first fault for `path`.
fn take_fault(state: &SandboxState, path: &str) -> Option<Fault> {
    let mut world = state.world();
    *world.stats.calls.entry(path.to_owned()).or_default() += 1;
    let index = world.faults.iter().position(|f| f.path.as_deref().is_none_or(|p| p == path))?;
    let fault = world.faults.get_mut(index)?;
    fault.times = fault.times.saturating_sub(1);
    let taken = fault.clone();
    if taken.times == 0 {
        world.faults.remove(index);
    }
    Some(taken)
}

fn fault_answer(state: &SandboxState, path: &str, fault: Fault) -> Option<HttpResponse> {
    let status = fault.status.and_then(|s| actix_web::http::StatusCode::from_u16(s).ok());
    if let Some(body) = fault.body {
        let mut res = HttpResponse::build(status.unwrap_or(actix_web::http::StatusCode::OK));
        return Some(match body {
            Value::String(html) => res.content_type("text/html; charset=utf-8").body(html),
            json => res.json(json),
        });
    }
    if let Some(code) = fault.errcode {
        if is_throttle(code) || code == 90002 {
            state.world().stats.throttled += 1;
        }
        if is_new_api(path) {
            let (status, name) = match code {
                90018 => (403, "QpsLimitForAppkeyAndApi"),
                90002 => (403, "QpsLimitForApi"),
                90020 => (403, "ApiCountLimitForOrg"),
                40014 | 40001 | 42001 => (400, "InvalidAuthentication"),
                _ => (400, "InvalidParameter"),
            };
            return Some(new_err(fault.status.unwrap_or(status), name, &format!("injected {code}")));
        }
        return Some(err(path, code, &format!("injected {code}")));
    }
    status.map(|s| HttpResponse::build(s).content_type("text/plain").body(s.canonical_reason().unwrap_or("error")))
}
