//! Tokens and logins: the app token (§1), the mini-program login code (§2), and the web QR
//! login with its "scan" page (§2b).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;

use super::reply::{Input, check_app_token, err, new_err, ok};
use super::state::{CodeKind, SandboxState, random_id};

/// `GET /gettoken?appkey=&appsecret=`: the same token while it is valid (its expiry slides),
/// a new one once it has expired.
pub(crate) async fn gettoken(req: HttpRequest, state: web::Data<SandboxState>) -> HttpResponse {
    let query: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let get = |k: &str| query.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let (Some(key), Some(secret)) = (get("appkey"), get("appsecret")) else {
        return err("/gettoken", 40035, "缺少参数 corpid or appkey");
    };
    if key != state.options.app_key || secret != state.options.app_secret {
        return err("/gettoken", 40096, "不合法的appKey或appSecret");
    }
    let (token, ttl) = issue_app_token(&state);
    ok(json!({ "access_token": token, "expires_in": ttl }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppCredentials {
    app_key: String,
    app_secret: String,
}

/// `POST /v1.0/oauth2/accessToken`: the new API's way to the same token.
pub(crate) async fn access_token(state: web::Data<SandboxState>, body: web::Bytes) -> HttpResponse {
    let creds: Option<AppCredentials> = serde_json::from_slice(&body).ok();
    match creds {
        Some(c) if c.app_key == state.options.app_key && c.app_secret == state.options.app_secret => {
            let (token, ttl) = issue_app_token(&state);
            HttpResponse::Ok().json(json!({ "accessToken": token, "expireIn": ttl }))
        }
        _ => new_err(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret"),
    }
}

fn issue_app_token(state: &SandboxState) -> (String, i64) {
    let ttl = state.options.token_ttl_secs;
    let now = state.now();
    let expires = now + Duration::seconds(ttl);
    let mut world = state.world();
    let token = match &world.app_token {
        Some((current, expiry)) if now < *expiry => current.clone(),
        _ => random_id("sbx"),
    };
    world.app_token = Some((token.clone(), expires));
    (token, ttl)
}

/// Takes a login code of `kind`: single use, 5 minutes. `Err` holds the refusal.
fn take_code(state: &SandboxState, code: Option<&str>, kind: CodeKind) -> Option<String> {
    let now = state.now();
    let mut world = state.world();
    let found = world.codes.remove(code?)?;
    (found.kind == kind && now < found.expires_at).then_some(found.userid)
}

/// `POST /topapi/v2/user/getuserinfo` `{code}`.
pub(crate) async fn getuserinfo(req: HttpRequest, body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    const PATH: &str = "/topapi/v2/user/getuserinfo";
    let input = Input::parse(&req, &body);
    if let Err(refused) = check_app_token(&state, PATH, input.token.as_deref()) {
        return refused;
    }
    let Some(userid) = take_code(&state, input.str("code"), CodeKind::Miniapp) else {
        return err(PATH, 40078, "不存在的临时授权码");
    };
    let world = state.world();
    let Some(user) = world.directory.user(&userid) else {
        return err(PATH, 40078, "不存在的临时授权码");
    };
    if user.outside_visible_range {
        return err(PATH, 50002, "员工不在授权范围");
    }
    ok(json!({ "result": {
        "userid": user.userid, "unionid": user.unionid, "name": user.name,
        "device_id": format!("device-{}", user.userid), "sys": user.admin, "sys_level": user.sys_level,
        "associated_unionid": "",
    }}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserTokenRequest {
    client_id: String,
    client_secret: String,
    code: String,
    grant_type: String,
}

/// `POST /v1.0/oauth2/userAccessToken`: a web login code for the user's token.
pub(crate) async fn user_access_token(state: web::Data<SandboxState>, body: web::Bytes) -> HttpResponse {
    let Ok(request) = serde_json::from_slice::<UserTokenRequest>(&body) else {
        return new_err(400, "MissingParameter", "clientId, clientSecret, code and grantType are required");
    };
    if request.client_id != state.options.app_key || request.client_secret != state.options.app_secret {
        return new_err(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret");
    }
    if request.grant_type != "authorization_code" {
        return new_err(400, "InvalidParameter", "grantType must be authorization_code");
    }
    let Some(userid) = take_code(&state, Some(&request.code), CodeKind::Web) else {
        return new_err(400, "InvalidAuthCode", "不存在的临时授权码");
    };
    let token = random_id("usr");
    let expires = state.now() + Duration::seconds(7200);
    state.world().user_tokens.insert(token.clone(), (userid, expires));
    HttpResponse::Ok().json(json!({
        "accessToken": token, "refreshToken": random_id("ref"), "expireIn": 7200, "corpId": state.options.corp_id,
    }))
}

/// `GET /v1.0/contact/users/me` with the user's token in `x-acs-dingtalk-access-token`.
pub(crate) async fn users_me(req: HttpRequest, state: web::Data<SandboxState>) -> HttpResponse {
    let token = req.headers().get("x-acs-dingtalk-access-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    let now = state.now();
    let world = state.world();
    let user = world
        .user_tokens
        .get(token)
        .filter(|(_, expires)| now < *expires)
        .and_then(|(userid, _)| world.directory.user(userid));
    let Some(user) = user else {
        return new_err(400, "InvalidAuthentication", "不合法的access_token");
    };
    HttpResponse::Ok().json(json!({
        "nick": user.name, "unionId": user.unionid, "openId": format!("open-{}", user.userid),
        "avatarUrl": user.avatar, "mobile": user.mobile, "stateCode": "86",
    }))
}

/// `POST /topapi/user/getbyunionid` `{unionid}`.
pub(crate) async fn getbyunionid(req: HttpRequest, body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    const PATH: &str = "/topapi/user/getbyunionid";
    let input = Input::parse(&req, &body);
    if let Err(refused) = check_app_token(&state, PATH, input.token.as_deref()) {
        return refused;
    }
    let unionid = input.str("unionid").unwrap_or_default();
    let world = state.world();
    match world.directory.users.iter().find(|u| u.unionid == unionid) {
        Some(user) => ok(json!({ "result": { "contact_type": 0, "userid": user.userid } })),
        None => err(PATH, 60121, "找不到该用户"),
    }
}

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    q: String,
}

/// The "QR code": a page listing the directory's users (leaders and admins first); choosing
/// one stands for scanning with that user's phone.
pub(crate) async fn login_page(
    req: HttpRequest,
    query: web::Query<LoginQuery>,
    state: web::Data<SandboxState>,
) -> HttpResponse {
    // Where the sandbox is mounted, so that the links work under any prefix.
    let path = req.path();
    let prefix = path.strip_suffix("/sandbox-login").or_else(|| path.strip_suffix("/oauth2/auth")).unwrap_or("");
    let world = state.world();
    let mut users: Vec<_> = world
        .directory
        .users
        .iter()
        .filter(|u| u.active && (query.q.is_empty() || u.name.contains(&query.q) || u.userid.contains(&query.q)))
        .collect();
    users.sort_by_key(|u| (u.sys_level == 0, u.leader_of.is_empty(), u.userid.clone()));
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>DingTalk sandbox login</title></head>\
         <body><h1>钉钉扫码登录（沙箱）</h1><p>Choose who scans the code:</p><ul>",
    );
    for user in users.iter().take(300) {
        let link = serde_urlencoded::to_string([
            ("userid", user.userid.as_str()),
            ("redirect_uri", query.redirect_uri.as_str()),
            ("state", query.state.as_str()),
        ])
        .unwrap_or_default();
        html.push_str(&format!(
            "<li><a href=\"{}/sandbox-login/scan?{}\">{} ({})</a></li>",
            escape(prefix),
            escape(&link),
            escape(&user.name),
            escape(&user.userid)
        ));
    }
    html.push_str("</ul></body></html>");
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html)
}

#[derive(Deserialize)]
pub(crate) struct ScanQuery {
    userid: String,
    redirect_uri: String,
    #[serde(default)]
    state: String,
}

/// The scan: redirects to the callback with `authCode` and `state`, as DingTalk does.
pub(crate) async fn scan(query: web::Query<ScanQuery>, state: web::Data<SandboxState>) -> HttpResponse {
    let Some(code) = state.auth_code(&query.userid, CodeKind::Web) else {
        return HttpResponse::NotFound().body("no such user");
    };
    let params =
        serde_urlencoded::to_string([("authCode", code.as_str()), ("state", query.state.as_str())]).unwrap_or_default();
    let sep = if query.redirect_uri.contains('?') { '&' } else { '?' };
    HttpResponse::Found().insert_header(("location", format!("{}{sep}{params}", query.redirect_uri))).finish()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
