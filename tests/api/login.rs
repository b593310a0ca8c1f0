//! Signing in through DingTalk: the mini-program's code exchange and the console's QR login,
//! against the DingTalk sandbox.

use std::time::{Duration, Instant};

use canmou::workers::RunTrigger;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, spawn_app_with};
use crate::sandbox::{Sandbox, small_directory};

async fn app_with_sandbox(logins_per_minute: u32) -> (TestApp, Sandbox) {
    let sb = Sandbox::start(small_directory()).await;
    let dingtalk = sb.settings();
    let app = spawn_app_with(|s| {
        s.dingtalk = dingtalk;
        s.auth.login_per_minute = logins_per_minute;
    })
    .await;
    canmou::workers::directory::run(&app.db, &app.state.dingtalk, RunTrigger::Manual, &app.state.tz).await.unwrap();
    app.state.reload().await.unwrap();
    (app, sb)
}

async fn login(app: &TestApp, code: &str) -> reqwest::Response {
    app.client.post(app.url("/api/v1/auth/dingtalk")).json(&json!({ "authCode": code })).send().await.unwrap()
}

#[tokio::test]
async fn an_official_signs_in_with_a_code_and_sees_their_scope() {
    let (app, sb) = app_with_sandbox(100).await;
    let res = login(&app, &sb.auth_code("alice").await).await;
    assert_eq!(res.status().as_u16(), 200);
    let session: Value = res.json().await.unwrap();
    assert_eq!(session["user"]["userid"], "alice");
    assert!(session["expiresAt"].as_str().unwrap().starts_with("20"));
    let token = session["token"].as_str().unwrap();
    let me: Value = app.get_as(token, "/api/v1/me").await.json().await.unwrap();
    // alice leads 明州市: her scope is that department's subtree.
    assert_eq!(me["scopes"][0]["name"], "明州市");

    let refreshed = refresh(&app, session["refreshToken"].as_str().unwrap()).await;
    assert_eq!(refreshed.status().as_u16(), 200);
    let refreshed: Value = refreshed.json().await.unwrap();
    let again = app.get_as(refreshed["token"].as_str().unwrap(), "/api/v1/me").await;
    assert_eq!(again.status().as_u16(), 200);
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.client.post(app.url("/api/v1/auth/refresh")).json(&json!({ "refreshToken": token })).send().await.unwrap()
}

async fn me(app: &TestApp, token: &str) -> u16 {
    app.get_as(token, "/api/v1/me").await.status().as_u16()
}

#[tokio::test]
async fn logout_ends_the_session_its_access_and_its_refresh_token() {
    let (app, sb) = app_with_sandbox(100).await;
    let session: Value = login(&app, &sb.auth_code("alice").await).await.json().await.unwrap();
    let (token, refresh_token) = (session["token"].as_str().unwrap(), session["refreshToken"].as_str().unwrap());
    let other: Value = login(&app, &sb.auth_code("alice").await).await.json().await.unwrap();

    let out = app.client.post(app.url("/api/v1/auth/logout")).bearer_auth(token).send().await.unwrap();
    assert_eq!(out.status().as_u16(), 204);

    assert_error(app.get_as(token, "/api/v1/me").await, 401, "unauthenticated").await;
    assert_error(refresh(&app, refresh_token).await, 401, "unauthenticated").await;
    // Her other sign-in (another phone) is another session and carries on.
    assert_eq!(me(&app, other["token"].as_str().unwrap()).await, 200);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_ends_the_whole_session() {
    let (app, sb) = app_with_sandbox(100).await;
    let session: Value = login(&app, &sb.auth_code("alice").await).await.json().await.unwrap();
    let first = session["refreshToken"].as_str().unwrap().to_owned();

    let second: Value = refresh(&app, &first).await.json().await.unwrap();
    let rotated = second["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(rotated, first, "a new refresh token each time");
    assert_eq!(me(&app, second["token"].as_str().unwrap()).await, 200);

    // The first token again — a copy in a thief's hands: refused, and the family is revoked.
    assert_error(refresh(&app, &first).await, 401, "unauthenticated").await;
    assert_error(refresh(&app, &rotated).await, 401, "unauthenticated").await;
    assert_eq!(me(&app, second["token"].as_str().unwrap()).await, 401, "access tokens of the family end too");
    assert_eq!(me(&app, session["token"].as_str().unwrap()).await, 401);

    let bad = assert_error(
        app.client.post(app.url("/api/v1/auth/refresh")).json(&json!({"refreshToken": ""})).send().await.unwrap(),
        400,
        "invalid_parameter",
    )
    .await;
    assert_eq!(bad["param"], "refreshToken");
    assert_error(refresh(&app, "never-issued").await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn expired_reused_or_unknown_codes_are_401_invalid_auth_code() {
    let (app, sb) = app_with_sandbox(100).await;
    let code = sb.auth_code("alice").await;
    assert_eq!(login(&app, &code).await.status().as_u16(), 200);
    assert_error(login(&app, &code).await, 401, "invalid_auth_code").await;
    assert_error(login(&app, "no-such-code").await, 401, "invalid_auth_code").await;
    let late = sb.auth_code("bob").await;
    sb.advance_clock(301).await;
    assert_error(login(&app, &late).await, 401, "invalid_auth_code").await;
}

#[tokio::test]
async fn a_user_outside_the_visible_range_is_403() {
    let (app, sb) = app_with_sandbox(100).await;
    assert_error(login(&app, &sb.auth_code("outsider").await).await, 403, "forbidden").await;
}

#[tokio::test]
async fn the_app_token_expiring_at_dingtalk_is_refreshed_once_and_the_login_succeeds() {
    let (app, sb) = app_with_sandbox(100).await;
    // The client holds a token from the directory sync; DingTalk's copy expires.
    sb.advance_clock(7_300).await;
    let res = login(&app, &sb.auth_code("alice").await).await;
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test]
async fn throttling_is_waited_out_and_a_permission_error_is_503() {
    let (app, sb) = app_with_sandbox(100).await;
    sb.fault(json!({"path": "/topapi/v2/user/getuserinfo", "errcode": 90018, "times": 2})).await;
    assert_eq!(login(&app, &sb.auth_code("alice").await).await.status().as_u16(), 200);

    sb.fault(json!({"path": "/topapi/v2/user/getuserinfo", "errcode": 60011, "times": 1})).await;
    assert_error(login(&app, &sb.auth_code("alice").await).await, 503, "upstream_unavailable").await;
}

#[tokio::test]
async fn dingtalk_not_answering_is_503_within_the_timeout() {
    let (app, sb) = app_with_sandbox(100).await;
    sb.fault(json!({"path": "/topapi/v2/user/getuserinfo", "delayMs": 30_000, "times": 10})).await;
    let started = Instant::now();
    let res = login(&app, &sb.auth_code("alice").await).await;
    assert_error(res, 503, "upstream_unavailable").await;
    assert!(started.elapsed() < Duration::from_secs(25), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn login_bodies_are_checked() {
    let (app, _sb) = app_with_sandbox(100).await;
    let post = |body: &'static str| {
        app.client.post(app.url("/api/v1/auth/dingtalk")).header("content-type", "application/json").body(body).send()
    };
    assert_error(post("{\"authCode\":").await.unwrap(), 400, "invalid_body").await;
    assert_error(post("{\"authcode\":\"x\"}").await.unwrap(), 400, "invalid_body").await;
    let body = assert_error(post("{\"authCode\":\"  \"}").await.unwrap(), 400, "invalid_parameter").await;
    assert_eq!(body["param"], "authCode");
}

#[tokio::test]
async fn login_attempts_are_rate_limited_per_address() {
    let (app, _sb) = app_with_sandbox(3).await;
    for _ in 0..3 {
        assert_error(login(&app, "bad").await, 401, "invalid_auth_code").await;
    }
    let res = login(&app, "bad").await;
    assert!(res.headers().contains_key("retry-after"));
    assert_error(res, 429, "rate_limited").await;
}

#[tokio::test]
async fn the_console_signs_in_with_the_qr_flow_and_checks_state() {
    let (app, sb) = app_with_sandbox(100).await;
    let start = app.get("/api/v1/auth/dingtalk/web").await;
    assert_eq!(start.status().as_u16(), 302);
    let location = start.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&sb.url("/oauth2/auth?")), "{location}");
    let state = location.split("state=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let cookie = start.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();

    // The "scan": DingTalk redirects back with a web login code.
    let code: Value =
        sb.post("/_sandbox/auth-codes", json!({"userid": "alice", "kind": "web"})).await.json().await.unwrap();
    let code = code["authCode"].as_str().unwrap();
    let forged = app
        .client
        .get(app.url(&format!("/api/v1/auth/dingtalk/callback?authCode={code}&state=forged")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_error(forged, 400, "invalid_parameter").await;

    let back = app
        .client
        .get(app.url(&format!("/api/v1/auth/dingtalk/callback?authCode={code}&state={state}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(back.status().as_u16(), 302);
    assert_eq!(back.headers()["location"], "/admin/");
    let set_cookie = back
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("canmou_session="))
        .unwrap();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    // Served over plain http (the test's public URL), the cookie cannot be `Secure`.
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");
    let session = set_cookie.split(';').next().unwrap().to_owned();
    let me: Value =
        app.client.get(app.url("/api/v1/me")).header("cookie", &session).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user"]["userid"], "alice");

    // A change carried by the cookie must be JSON from the console's own origin.
    let origin = app.settings_public_url();
    let change = |content_type: &'static str, origin: Option<String>| {
        let mut req = app
            .client
            .post(app.url("/api/v1/me/briefing"))
            .header("cookie", &session)
            .header("content-type", content_type)
            .body(r#"{"enabled": false}"#);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    assert_error(change("text/plain", Some(origin.clone())).await.unwrap(), 403, "forbidden").await;
    assert_error(change("application/json", Some("https://evil.example".into())).await.unwrap(), 403, "forbidden")
        .await;
    assert_error(change("application/json", None).await.unwrap(), 403, "forbidden").await;
    assert_eq!(change("application/json", Some(origin.clone())).await.unwrap().status().as_u16(), 200);

    // Logout ends the console's session, not just the cookie.
    let out = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &session)
        .header("content-type", "application/json")
        .header("origin", &origin)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 204);
    let after = app.client.get(app.url("/api/v1/me")).header("cookie", &session).send().await.unwrap();
    assert_error(after, 401, "unauthenticated").await;
}

#[tokio::test]
async fn the_login_callback_comes_from_configuration_not_from_the_host_header() {
    let (app, sb) = app_with_sandbox(100).await;
    let start = app
        .client
        .get(app.url("/api/v1/auth/dingtalk/web"))
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .send()
        .await
        .unwrap();
    let location = start.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&sb.url("/oauth2/auth?")), "{location}");
    assert!(!location.contains("evil.example"), "{location}");
    let expected =
        format!("redirect_uri={}", encode(&format!("{}/api/v1/auth/dingtalk/callback", app.settings_public_url())));
    assert!(location.contains(&expected), "{location}");
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
