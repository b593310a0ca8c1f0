//! DingTalk's envelopes: reading a request (JSON or form, token in query or form) and writing
//! the old API's always-200 answers and the new API's real statuses.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Map, Value, json};

use super::state::{SandboxState, random_id};

/// The parameters of an old-API call: query string and body together.
pub(crate) struct Input {
    pub params: Map<String, Value>,
    pub token: Option<String>,
}

impl Input {
    pub fn parse(req: &HttpRequest, body: &[u8]) -> Input {
        let mut params = Map::new();
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
        params.extend(pairs.into_iter().map(|(k, v)| (k, Value::String(v))));
        let form = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if form {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
            params.extend(pairs.into_iter().map(|(k, v)| (k, Value::String(v))));
        } else if let Ok(Value::Object(fields)) = serde_json::from_slice(body) {
            params.extend(fields);
        }
        let token = params.remove("access_token").and_then(|v| v.as_str().map(str::to_owned));
        Input { params, token }
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        self.params.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
    }

    pub fn i64(&self, key: &str) -> Option<i64> {
        self.params.get(key).and_then(as_i64)
    }

    pub fn bool(&self, key: &str) -> bool {
        match self.params.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => false,
        }
    }
}

/// An old-API success: `fields` plus `errcode` 0 and a `request_id`.
pub(crate) fn ok(fields: Value) -> HttpResponse {
    let mut body = json!({ "errcode": 0, "errmsg": "ok" });
    if let (Some(out), Value::Object(extra)) = (body.as_object_mut(), fields) {
        out.extend(extra);
        out.insert("request_id".into(), Value::String(random_id("").chars().take(13).collect()));
    }
    HttpResponse::Ok().json(body)
}

/// An old-API error, always with HTTP 200. `/topapi/*` wraps token and permission errors as
/// 88 with a string `sub_code`, as DingTalk does.
pub(crate) fn err(path: &str, code: i64, msg: &str) -> HttpResponse {
    let request_id: String = random_id("").chars().take(13).collect();
    let body = if path.starts_with("/topapi/") && matches!(code, 40014 | 40000 | 60011) {
        json!({
            "errcode": 88,
            "errmsg": format!("ding talk error[subcode={code},submsg={msg}]"),
            "sub_code": code.to_string(),
            "sub_msg": msg,
            "request_id": request_id,
        })
    } else {
        json!({ "errcode": code, "errmsg": msg, "request_id": request_id })
    };
    HttpResponse::Ok().json(body)
}

/// A new-API error with its real status and `requestid` (no underscore).
pub(crate) fn new_err(status: u16, code: &str, message: &str) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let request_id: String = random_id("").chars().take(16).collect();
    HttpResponse::build(status).json(json!({ "code": code, "message": message, "requestid": request_id }))
}

/// Checks the app token of an old-API call: `Err` holds the refusal to send.
pub(crate) fn check_app_token(state: &SandboxState, path: &str, token: Option<&str>) -> Result<(), HttpResponse> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(err(path, 40000, "access_token为空"));
    };
    if app_token_valid(state, token) { Ok(()) } else { Err(err(path, 40014, "不合法的access_token")) }
}

pub(crate) fn app_token_valid(state: &SandboxState, token: &str) -> bool {
    let now = state.now();
    let world = state.world();
    world.app_token.as_ref().is_some_and(|(current, expires)| current == token && now < *expires)
}

/// A number or a numeric string, as `i64` (DingTalk accepts both in its parameters).
fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
