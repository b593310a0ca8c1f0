//! The DingTalk client against the sandbox: tokens, retries, throttling, bans, logins and
//! work notifications, as DingTalk behaves and misbehaves.

use std::time::{Duration, Instant};

use canmou::config::DingtalkSettings;
use canmou::dingtalk::messages::Message;
use canmou::dingtalk::{DingTalkClient, DingTalkError};
use canmou_sandboxes::dingtalk::SandboxOptions;
use serde_json::{Value, json};

use crate::helpers::eventually;
use crate::sandbox::{Sandbox, small_directory};

const USER_GET: &str = "/topapi/v2/user/get";

#[tokio::test]
async fn the_app_token_is_fetched_once_and_reused() {
    let sb = Sandbox::start(small_directory()).await;
    let client = sb.client();
    for _ in 0..3 {
        assert_eq!(client.user_get("alice").await.unwrap().userid, "alice");
    }
    assert_eq!(sb.stats("/gettoken").await.0, 1);
    assert_eq!(sb.stats(USER_GET).await.0, 3);
}

#[tokio::test]
async fn a_token_expired_at_dingtalk_is_refreshed_once_and_the_call_retried() {
    let sb = Sandbox::start(small_directory()).await;
    let client = sb.client();
    client.user_get("alice").await.unwrap();

    sb.advance_clock(7201).await;
    let user = client.user_get("bob").await;

    assert_eq!(user.unwrap().userid, "bob");
    assert_eq!(sb.stats("/gettoken").await.0, 2, "one refresh");
    assert_eq!(sb.stats(USER_GET).await.0, 3, "the refused call and its one retry");
}

#[tokio::test]
async fn a_burst_of_throttling_is_waited_out() {
    let sb = Sandbox::start(small_directory()).await;
    sb.fault(json!({ "path": USER_GET, "errcode": 90018, "times": 3 })).await;

    let user = sb.client().user_get("alice").await;

    assert_eq!(user.unwrap().userid, "alice");
    assert_eq!(sb.stats(USER_GET).await, (4, 3));
}

#[tokio::test]
async fn a_missing_permission_fails_at_once() {
    let sb = Sandbox::start(small_directory()).await;
    sb.fault(json!({ "path": "/topapi/v2/department/listsub", "errcode": 60011, "times": 5 })).await;

    let err = sb.client().list_sub_departments(1).await.unwrap_err();

    assert!(matches!(&err, DingTalkError::NoPermission { code, .. } if code == "60011"), "{err:?}");
    assert_eq!(sb.stats("/topapi/v2/department/listsub").await.0, 1);
}

#[tokio::test]
async fn busy_and_gateway_errors_are_retried_until_success() {
    let sb = Sandbox::start(small_directory()).await;
    sb.fault(json!({ "path": USER_GET, "errcode": -1 })).await;
    sb.fault(json!({ "path": USER_GET, "status": 503 })).await;

    let user = sb.client().user_get("alice").await;

    assert_eq!(user.unwrap().userid, "alice");
    assert_eq!(sb.stats(USER_GET).await.0, 3);
}

#[tokio::test]
async fn a_silent_dingtalk_is_unavailable_within_the_budget_never_a_hang() {
    let sb = Sandbox::start(small_directory()).await;
    let client = DingTalkClient::new(&DingtalkSettings {
        timeout_ms: 200,
        max_attempts: 3,
        retry_budget_ms: 1_000,
        ..sb.settings()
    })
    .unwrap();
    client.user_get("alice").await.unwrap();
    sb.fault(json!({ "path": USER_GET, "delayMs": 5_000, "times": 10 })).await;

    let started = Instant::now();
    let err = client.user_get("alice").await.unwrap_err();

    assert!(matches!(err, DingTalkError::Unavailable(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(1_500), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_login_code_works_once_and_for_five_minutes() {
    let sb = Sandbox::start(small_directory()).await;
    let client = sb.client();

    let code = sb.auth_code("alice").await;
    let user = client.user_info_by_code(&code).await.unwrap();
    assert_eq!((user.userid.as_str(), user.unionid.as_deref()), ("alice", Some("union-alice")));
    assert_eq!(client.user_info_by_code(&code).await, Err(DingTalkError::InvalidAuthCode), "reused");

    let code = sb.auth_code("bob").await;
    sb.advance_clock(301).await;
    assert_eq!(client.user_info_by_code(&code).await, Err(DingTalkError::InvalidAuthCode), "expired");
    assert_eq!(client.user_info_by_code("made-up").await, Err(DingTalkError::InvalidAuthCode), "unknown");

    let refused_calls = sb.stats("/topapi/v2/user/getuserinfo").await.0;
    assert_eq!(refused_calls, 4, "a refused code is never retried");
}

#[tokio::test]
async fn a_user_outside_the_visible_range_is_told_so() {
    let sb = Sandbox::start(small_directory()).await;
    let code = sb.auth_code("outsider").await;

    let err = sb.client().user_info_by_code(&code).await.unwrap_err();

    assert_eq!(err, DingTalkError::OutsideVisibleRange);
    assert_eq!(err.http_status().as_u16(), 403);
}

#[tokio::test]
async fn errcode_as_a_string_is_understood() {
    let sb = Sandbox::start(small_directory()).await;
    let client = sb.client();
    sb.fault(json!({ "path": USER_GET, "body": { "errcode": "60121", "errmsg": "找不到该用户" } })).await;
    sb.fault(json!({ "path": USER_GET, "body": { "errcode": "0", "errmsg": "ok", "result": { "userid": "ghost" } } }))
        .await;

    let missing = client.user_get("ghost").await.unwrap_err();
    let found = client.user_get("ghost").await.unwrap();

    assert!(matches!(&missing, DingTalkError::BadInput { code, .. } if code == "60121"), "{missing:?}");
    assert_eq!(found.userid, "ghost");
}

#[tokio::test]
async fn an_ip_ban_pauses_every_call() {
    for ban in [json!({"status": 1111, "wait": 5, "punish": "deny"}), json!("<html><body>访问被拒绝</body></html>")]
    {
        let sb = Sandbox::start(small_directory()).await;
        let client = sb.client();
        client.user_get("alice").await.unwrap();
        sb.fault(json!({ "path": USER_GET, "body": ban })).await;

        let first = client.user_get("alice").await.unwrap_err();
        let second = client.list_sub_departments(1).await.unwrap_err();

        assert!(matches!(first, DingTalkError::IpBanned { .. }), "{first:?}");
        assert!(matches!(second, DingTalkError::IpBanned { .. }), "{second:?}");
        assert_eq!(sb.stats("/topapi/v2/department/listsub").await.0, 0, "paused calls never leave");
    }
}

#[tokio::test]
async fn the_ban_ends_after_its_pause() {
    let sb = Sandbox::start(small_directory()).await;
    let client = DingTalkClient::new(&DingtalkSettings { ip_ban_pause_ms: 100, ..sb.settings() }).unwrap();
    sb.fault(json!({ "path": USER_GET, "body": {"status": 1111, "wait": 5, "punish": "deny"} })).await;
    let banned = Instant::now();
    assert!(matches!(client.user_get("alice").await, Err(DingTalkError::IpBanned { .. })));

    // Calls are refused, locally, until the pause ends; then they go through again.
    let alice = eventually("the ban to end", Duration::from_secs(5), || async {
        match client.user_get("alice").await {
            Err(DingTalkError::IpBanned { .. }) => None,
            other => Some(other),
        }
    })
    .await;

    assert_eq!(alice.unwrap().userid, "alice");
    assert!(banned.elapsed() >= Duration::from_millis(100), "ended early: {:?}", banned.elapsed());
}

#[tokio::test]
async fn the_sandbox_throttles_a_caller_over_its_rate() {
    let sb = Sandbox::start_with(small_directory(), SandboxOptions { qps: 5, ..SandboxOptions::default() }).await;
    let mut answers = Vec::new();
    for _ in 0..12 {
        let res = sb.http.post(sb.url(USER_GET)).json(&json!({"userid": "alice"})).send().await.unwrap();
        answers.push(res.json::<Value>().await.unwrap()["errcode"].clone());
    }
    let throttled = answers.iter().filter(|c| **c == json!(90018)).count();
    assert!(throttled >= 5, "{answers:?}");
    assert_eq!(sb.stats(USER_GET).await.1, throttled as u64);
}

#[tokio::test]
async fn the_sandbox_speaks_dingtalks_dialects() {
    let sb = Sandbox::start(small_directory()).await;
    let token: Value = sb
        .http
        .get(sb.url("/gettoken?appkey=sandbox-app-key&appsecret=sandbox-app-secret"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap();
    // A form body with the token in it.
    let form: Value = sb
        .http
        .post(sb.url(USER_GET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("access_token={token}&userid=bob"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(form["result"]["userid"], "bob");
    assert!(form["request_id"].is_string());
    // No token on /topapi: 88 with a string sub_code.
    let blank: Value = sb.post(USER_GET, json!({"userid": "bob"})).await.json().await.unwrap();
    assert_eq!((blank["errcode"].clone(), blank["sub_code"].clone()), (json!(88), json!("40000")));
    // An unknown old path: 22, HTTP 200; a bad new-API token: a real status and `requestid`.
    let unknown = sb.post("/topapi/nope", json!({})).await;
    assert_eq!(unknown.status().as_u16(), 200);
    assert_eq!(unknown.json::<Value>().await.unwrap()["errcode"], 22);
    let me =
        sb.http.get(sb.url("/v1.0/contact/users/me")).header("x-acs-dingtalk-access-token", "x").send().await.unwrap();
    assert_eq!(me.status().as_u16(), 400);
    assert!(me.json::<Value>().await.unwrap()["requestid"].is_string());
}

#[tokio::test]
async fn a_web_login_goes_from_the_scan_to_the_userid() {
    let sb = Sandbox::start(small_directory()).await;
    let client = sb.client();
    let page = sb
        .http
        .get(sb.url("/sandbox-login?redirect_uri=http://console.invalid/cb&state=xyz"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page.find("/sandbox-login/scan?userid=alice").expect("alice is listed");
    let link = &page[start..start + page[start..].find('"').unwrap()].replace("&amp;", "&");

    let scanned = sb.http.get(sb.url(link)).send().await.unwrap();
    let location = scanned.headers()["location"].to_str().unwrap().to_owned();
    let code = location.split("authCode=").nth(1).unwrap().split('&').next().unwrap();
    assert!(location.starts_with("http://console.invalid/cb?") && location.ends_with("state=xyz"), "{location}");

    let token = client.user_access_token(code).await.unwrap();
    assert_eq!(token.corp_id, client.corp_id());
    let me = client.contact_me(&token.access_token).await.unwrap();
    assert_eq!(client.userid_by_unionid(&me.union_id).await.unwrap(), "alice");
    assert_eq!(client.user_access_token(code).await, Err(DingTalkError::InvalidAuthCode), "single use");
    assert_eq!(client.contact_me("forged").await, Err(DingTalkError::InvalidAuthCode));
}

#[tokio::test]
async fn work_notifications_report_outcomes_only_in_the_send_result() {
    let options = SandboxOptions { daily_cap_per_user: 2, ..SandboxOptions::default() };
    let sb = Sandbox::start_with(small_directory(), options).await;
    let client = sb.client();
    let agent = client.agent_id();
    let brief = |day: &str| {
        Message::action_card(&format!("每日简报 {day}"), "### 每日简报", "查看详情", "eapp://pages/home/index")
    };
    let to = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    let first = client.send_work_notification(agent, &to(&["alice", "bob", "nobody"]), &brief("1日")).await.unwrap();
    let again = client.send_work_notification(agent, &to(&["alice"]), &brief("1日")).await.unwrap();
    client.send_work_notification(agent, &to(&["alice"]), &brief("2日")).await.unwrap();
    let capped = client.send_work_notification(agent, &to(&["alice"]), &brief("3日")).await.unwrap();
    let read_task = sb.inbox("bob").await[0]["taskId"].as_i64().unwrap();
    sb.post("/_sandbox/inbox/read", json!({ "userid": "bob", "taskId": read_task })).await;

    let result = client.send_result(agent, first).await.unwrap();
    assert_eq!(result.invalid_user_id_list, vec!["nobody"]);
    assert_eq!(result.read_user_id_list, vec!["bob"]);
    assert_eq!(result.unread_user_id_list, vec!["alice"]);
    let c = &client;
    let forbidden = |task| async move { c.send_result(agent, task).await.unwrap().forbidden_list[0].code.clone() };
    assert_eq!(forbidden(again).await, "143106", "same content, same day");
    assert_eq!(forbidden(capped).await, "143105", "daily cap");
    assert_eq!(client.send_progress(agent, first).await.unwrap().status, 2);

    client.recall(agent, first).await.unwrap();
    assert!(sb.inbox("bob").await.iter().any(|m| m["taskId"] == json!(first) && m["recalled"] == json!(true)));
    let too_many: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    assert!(matches!(
        client.send_work_notification(agent, &too_many, &brief("x")).await,
        Err(DingTalkError::BadInput { .. })
    ));
}

#[tokio::test]
async fn an_unreachable_dingtalk_never_leaks_the_secret_into_errors() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let client = DingTalkClient::new(&DingtalkSettings {
        app_secret: "s3cr3t-value".to_owned().into(),
        oapi_base: format!("http://{closed}"),
        max_attempts: 1,
        ..DingtalkSettings::clone(&canmou::config::Settings::default().dingtalk)
    })
    .unwrap();

    let err = client.user_get("alice").await.unwrap_err();

    assert!(matches!(err, DingTalkError::Unavailable(_)), "{err:?}");
    assert!(!err.to_string().contains("s3cr3t"), "{err}");
}

/// DingTalk is reached over https: the client opens a TLS handshake with an https base, and a
/// server that cannot prove who it is (here one that hangs up) gets no request and no secret.
#[tokio::test]
async fn an_https_base_is_spoken_to_in_tls() {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut received = Vec::new();
        let mut buf = [0u8; 4096];
        // The first record, then hang up.
        let n = socket.read(&mut buf).await.unwrap();
        received.extend_from_slice(&buf[..n]);
        received
    });
    let settings = DingtalkSettings {
        oapi_base: base.clone(),
        api_base: base,
        app_key: "key".into(),
        app_secret: "app-secret-never-sent".to_owned().into(),
        max_attempts: 1,
        timeout_ms: 2_000,
        ..canmou::config::Settings::default().dingtalk
    };

    let err = DingTalkClient::new(&settings).unwrap().user_get("alice").await.unwrap_err();

    let received = tokio::time::timeout(Duration::from_secs(5), server).await.expect("the client connected").unwrap();
    assert_eq!(received.first(), Some(&0x16), "a TLS handshake record, not plain HTTP: {err}");
    assert!(!String::from_utf8_lossy(&received).contains("app-secret-never-sent"));
}
