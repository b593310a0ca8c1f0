//! Reading DingTalk's answers: success or a classified failure, following the error table of
//! the contract (§6). Pure functions over status and body, tested directly.

use serde_json::Value;

use super::error::DingTalkError;
use super::flex::as_i64;

/// Which family a path belongs to: they report errors differently (§0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// `oapi`: always HTTP 200, the error in `errcode`.
    Old,
    /// `api`: real HTTP statuses, `code` and `message`.
    New,
}

/// What the client does after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// The token was refused: fetch a new one and retry once.
    RefreshToken,
    /// Busy or throttled: wait and retry while the budget lasts.
    Backoff,
    /// Our IP is banned: pause every call.
    Ban,
    /// Retrying cannot help.
    Stop,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub error: DingTalkError,
    pub action: Action,
}

impl Failure {
    pub fn new(error: DingTalkError, action: Action) -> Failure {
        Failure { error, action }
    }

    pub fn stop(error: DingTalkError) -> Failure {
        Failure::new(error, Action::Stop)
    }
}

/// DingTalk's request id, under either spelling (`request_id` old, `requestid` new).
pub(crate) fn request_id(body: &Value) -> Option<&str> {
    body.get("request_id").or_else(|| body.get("requestid")).and_then(Value::as_str)
}

/// Classifies one answer. `Ok` holds the parsed body of a success.
pub(crate) fn classify(family: Family, status: u16, body: &[u8]) -> Result<Value, Failure> {
    // Gateways answer these with HTML pages of their own: not to be taken for a ban page.
    if matches!(status, 502..=504) {
        return Err(Failure::new(DingTalkError::Unavailable(format!("HTTP {status}")), Action::Backoff));
    }
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    if is_ip_ban(parsed.as_ref(), body) {
        return Err(Failure::new(DingTalkError::Unavailable("egress IP banned".into()), Action::Ban));
    }
    let Some(value) = parsed else {
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        return Err(Failure::stop(DingTalkError::Protocol(format!("HTTP {status}, not JSON: {text}"))));
    };
    match family {
        Family::Old => classify_old(value),
        Family::New => classify_new(status, value),
    }
}

/// The ban answer is `{"status":1111,"wait":5,"punish":"deny",...}` or an HTML page.
fn is_ip_ban(parsed: Option<&Value>, body: &[u8]) -> bool {
    match parsed {
        Some(v) => v.get("status").and_then(as_i64) == Some(1111) || v.get("punish").is_some(),
        None => body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<'),
    }
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn classify_old(value: Value) -> Result<Value, Failure> {
    let errcode = value.get("errcode").map_or(Some(0), as_i64);
    let Some(mut code) = errcode else {
        return Err(Failure::stop(DingTalkError::Protocol(format!("unreadable errcode: {}", value["errcode"]))));
    };
    let mut msg = text(&value, "errmsg");
    // `/topapi/*` wraps auth, permission and throttling errors as 88 with a string `sub_code`.
    if code == 88
        && let Some(sub) = value.get("sub_code").and_then(as_i64)
    {
        code = sub;
        let sub_msg = text(&value, "sub_msg");
        if !sub_msg.is_empty() {
            msg = sub_msg;
        }
    }
    if code == 0 {
        return Ok(value);
    }
    Err(old_failure(code, msg))
}

fn old_failure(code: i64, msg: String) -> Failure {
    let code_text = code.to_string();
    match code {
        40014 | 40001 | 42001 | 40000 => {
            Failure::new(DingTalkError::Unavailable(format!("access token refused ({code})")), Action::RefreshToken)
        }
        40078 | 42008 => Failure::stop(DingTalkError::InvalidAuthCode),
        50002 => Failure::stop(DingTalkError::OutsideVisibleRange),
        60011 | 60020 | 40089 | 40096 => Failure::stop(DingTalkError::NoPermission { code: code_text, msg }),
        90020 => Failure::stop(DingTalkError::QuotaExhausted),
        90001..=90006 | 90018 => Failure::new(DingTalkError::Throttled, Action::Backoff),
        -1 => Failure::new(DingTalkError::Unavailable(format!("DingTalk busy (-1 {msg})")), Action::Backoff),
        _ => Failure::stop(DingTalkError::BadInput { code: code_text, msg }),
    }
}

fn classify_new(status: u16, value: Value) -> Result<Value, Failure> {
    if (200..300).contains(&status) {
        return Ok(value);
    }
    let code = text(&value, "code");
    let msg = text(&value, "message");
    let failure = match (status, code.as_str()) {
        (_, "InvalidAuthentication") => Failure::new(
            DingTalkError::Unavailable(format!("access token refused ({status} {code})")),
            Action::RefreshToken,
        ),
        (_, "QpsLimitForAppkeyAndApi" | "QpsLimitForApi") | (429, _) => {
            Failure::new(DingTalkError::Throttled, Action::Backoff)
        }
        (_, "ApiCountLimitForOrg") => Failure::stop(DingTalkError::QuotaExhausted),
        (_, "invalidClientIdOrSecret") | (403, _) => Failure::stop(DingTalkError::NoPermission { code, msg }),
        (400..=499, _) => Failure::stop(DingTalkError::BadInput { code, msg }),
        _ => Failure::stop(DingTalkError::Unavailable(format!("HTTP {status} {code} {msg}"))),
    };
    Err(failure)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn old(body: Value) -> Result<Value, Failure> {
        classify(Family::Old, 200, body.to_string().as_bytes())
    }

    fn action(r: Result<Value, Failure>) -> Action {
        r.unwrap_err().action
    }

    #[test]
    fn success_and_errcode_as_number_or_string() {
        assert!(old(json!({"errcode":0,"errmsg":"ok","result":{}})).is_ok());
        assert!(old(json!({"errcode":"0","errmsg":"ok"})).is_ok());
        let e = old(json!({"errcode":"60121","errmsg":"找不到该用户"})).unwrap_err();
        assert_eq!(e.error, DingTalkError::BadInput { code: "60121".into(), msg: "找不到该用户".into() });
    }

    #[test]
    fn wrapped_codes_are_unwrapped() {
        assert_eq!(action(old(json!({"errcode":88,"sub_code":"40014","errmsg":"x"}))), Action::RefreshToken);
        assert_eq!(action(old(json!({"errcode":88,"sub_code":"90018","errmsg":"x"}))), Action::Backoff);
        let e = old(json!({"errcode":88,"sub_code":"60011","errmsg":"ding talk error[subcode=60011]"})).unwrap_err();
        assert!(matches!(e.error, DingTalkError::NoPermission { ref code, .. } if code == "60011"));
        assert_eq!(e.action, Action::Stop);
    }

    #[test]
    fn the_error_table_decides_the_action() {
        for code in [40014, 40001, 42001] {
            assert_eq!(action(old(json!({ "errcode": code }))), Action::RefreshToken, "{code}");
        }
        for code in [-1, 90018, 90002, 90001, 90003, 90006] {
            assert_eq!(action(old(json!({ "errcode": code }))), Action::Backoff, "{code}");
        }
        for code in [40078, 42008, 50002, 60011, 60020, 33012, 60121, 60003, 40035, 400002, 40056, 90020] {
            assert_eq!(action(old(json!({ "errcode": code }))), Action::Stop, "{code}");
        }
        assert_eq!(old(json!({"errcode":40078})).unwrap_err().error, DingTalkError::InvalidAuthCode);
        assert_eq!(old(json!({"errcode":50002})).unwrap_err().error, DingTalkError::OutsideVisibleRange);
        assert_eq!(old(json!({"errcode":90020})).unwrap_err().error, DingTalkError::QuotaExhausted);
    }

    #[test]
    fn gateway_errors_are_retried_and_ip_bans_recognised() {
        assert_eq!(action(classify(Family::Old, 503, b"")), Action::Backoff);
        assert_eq!(action(classify(Family::New, 502, b"<html>bad gateway</html>")), Action::Backoff);
        assert_eq!(action(classify(Family::Old, 200, br#"{"status":1111,"wait":5,"punish":"deny"}"#)), Action::Ban);
        assert_eq!(action(classify(Family::Old, 200, b"  <!DOCTYPE html><html></html>")), Action::Ban);
        assert_eq!(action(classify(Family::Old, 200, b"garbage")), Action::Stop);
    }

    #[test]
    fn new_api_statuses() {
        let new = |status, body: Value| classify(Family::New, status, body.to_string().as_bytes());
        assert!(new(200, json!({"accessToken":"t"})).is_ok());
        assert_eq!(action(new(400, json!({"code":"InvalidAuthentication","requestid":"r"}))), Action::RefreshToken);
        assert_eq!(action(new(403, json!({"code":"QpsLimitForAppkeyAndApi"}))), Action::Backoff);
        assert_eq!(new(403, json!({"code":"ApiCountLimitForOrg"})).unwrap_err().error, DingTalkError::QuotaExhausted);
        assert!(matches!(
            new(400, json!({"code":"invalidClientIdOrSecret"})).unwrap_err().error,
            DingTalkError::NoPermission { .. }
        ));
        assert!(matches!(new(400, json!({"code":"invalid_grant"})).unwrap_err().error, DingTalkError::BadInput { .. }));
        assert_eq!(request_id(&json!({"requestid":"abc"})), Some("abc"));
        assert_eq!(request_id(&json!({"request_id":"def"})), Some("def"));
    }
}
