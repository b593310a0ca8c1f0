//! Open data (G+): applications registered by administrators, the client-credentials token,
//! the reads (the mini-program's numbers), the rate and the daily quota (across two
//! instances), accounting, and the open API's own OpenAPI document.

use std::time::{Duration, Instant};

use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::admin_card_sets::{Admins, admins};
use crate::fixture::{D, DONGCHENG, LINJIANG, MINGZHOU, PROVINCE};
use crate::helpers::assert_error;

const MSG: &str = "collab.msg_total";

/// An `application/x-www-form-urlencoded` body (reqwest is built without its `form` feature).
trait FormBody {
    fn form_body(self, pairs: &[(&str, &str)]) -> Self;
}

impl FormBody for reqwest::RequestBuilder {
    fn form_body(self, pairs: &[(&str, &str)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        self.header("content-type", "application/x-www-form-urlencoded").body(body)
    }
}

fn body(orgs: &[i32]) -> Value {
    json!({
        "name": "城市大脑",
        "contact": "张三 0571-0000",
        "metrics": [MSG, "collab.activation_rate"],
        "orgs": orgs,
        "ratePerSecond": 1000,
        "dailyQuota": 100000,
    })
}

/// A registered application: id, client id, secret.
struct Registered {
    id: i64,
    client_id: String,
    secret: String,
}

async fn register(a: &Admins, body: Value) -> Registered {
    let res = a.app.post_as(&a.province, "/api/v1/admin/open-apps", body).await;
    let status = res.status().as_u16();
    let v: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{v}");
    Registered {
        id: v["id"].as_i64().unwrap(),
        client_id: v["clientId"].as_str().unwrap().to_owned(),
        secret: v["clientSecret"].as_str().unwrap().to_owned(),
    }
}

async fn token_at(base: &str, client: &reqwest::Client, id: &str, secret: &str) -> reqwest::Response {
    client
        .post(format!("{base}/open/v1/token"))
        .form_body(&[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)])
        .send()
        .await
        .unwrap()
}

async fn token(a: &Admins, r: &Registered) -> String {
    let res = token_at(&a.app.address, &a.app.client, &r.client_id, &r.secret).await;
    let status = res.status().as_u16();
    let v: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{v}");
    v["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_administrator_registers_an_application_whose_secret_is_shown_once() {
    let a = admins().await;
    let res = a.app.post_as(&a.province, "/api/v1/admin/open-apps", body(&[MINGZHOU])).await;
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let created: Value = res.json().await.unwrap();
    let secret = created["clientSecret"].as_str().unwrap();
    assert!(secret.len() >= 40);
    assert!(created["clientId"].as_str().unwrap().starts_with("cm_"));
    assert_eq!(created["status"], "active");
    assert_eq!(created["orgs"][0]["name"], "明州市");
    assert_eq!(created["grains"].as_array().unwrap().len(), 5);

    // Never again: not on reading, not in the database, not in the audit log.
    let id = created["id"].as_i64().unwrap();
    let got = a.ok(a.app.get_as(&a.province, &format!("/api/v1/admin/open-apps/{id}")).await).await;
    assert!(got.get("clientSecret").is_none());
    assert_eq!(got["clientId"], created["clientId"]);
    let row = entities::open_app::Entity::find_by_id(id as i32).one(&a.app.db).await.unwrap().unwrap();
    assert!(row.secret_hash.starts_with("$argon2id$"), "{}", row.secret_hash);
    assert!(!row.secret_hash.contains(secret));
    let audit = a.ok(a.app.get_as(&a.province, "/api/v1/admin/audit?action=open_app.*").await).await;
    assert_eq!(audit["items"][0]["action"], "open_app.create");
    assert!(!audit.to_string().contains(secret));
    assert!(!audit.to_string().contains("argon2"));
    let list = a.ok(a.app.get_as(&a.province, "/api/v1/admin/open-apps").await).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_application_never_reaches_beyond_its_administrator() {
    let a = admins().await;
    // The 明州 administrator may not register 临江, nor the whole province.
    let err = assert_error(
        a.app.post_as(&a.mingzhou, "/api/v1/admin/open-apps", body(&[MINGZHOU, LINJIANG])).await,
        403,
        "out_of_scope",
    )
    .await;
    assert_eq!(err["param"], "orgs[1]");
    let mut b = body(&[MINGZHOU]);
    b["ownerOrg"] = json!(PROVINCE);
    let err = assert_error(a.app.post_as(&a.mingzhou, "/api/v1/admin/open-apps", b).await, 403, "out_of_scope").await;
    assert_eq!(err["param"], "ownerOrg");
    let mine = a.ok(a.app.post_as(&a.mingzhou, "/api/v1/admin/open-apps", body(&[DONGCHENG])).await).await;

    // The province's application is not the 明州 administrator's to see or change.
    let theirs = register(&a, body(&[PROVINCE])).await;
    let path = format!("/api/v1/admin/open-apps/{}", theirs.id);
    assert_error(a.app.get_as(&a.mingzhou, &path).await, 403, "forbidden").await;
    assert_error(a.app.post_as(&a.mingzhou, &format!("{path}/suspend"), json!({})).await, 403, "forbidden").await;
    assert_error(a.app.post_as(&a.mingzhou, &format!("{path}/rotate"), json!({})).await, 403, "forbidden").await;
    let res = a.app.client.delete(a.app.url(&path)).bearer_auth(&a.mingzhou).send().await.unwrap();
    assert_error(res, 403, "forbidden").await;
    let list = a.ok(a.app.get_as(&a.mingzhou, "/api/v1/admin/open-apps").await).await;
    let ids: Vec<&Value> = list["items"].as_array().unwrap().iter().map(|i| &i["id"]).collect();
    assert_eq!(ids, vec![&mine["id"]]);
    // An official is no administrator.
    assert_error(a.app.get_as(&a.official, "/api/v1/admin/open-apps").await, 403, "forbidden").await;
    assert_error(a.app.post_as(&a.official, "/api/v1/admin/open-apps", body(&[MINGZHOU])).await, 403, "forbidden")
        .await;
}

#[tokio::test]
async fn bad_registrations_are_refused_with_the_field_named() {
    let a = admins().await;
    let cases = [
        (json!({"metrics": ["no.such"]}), "metrics[0]"),
        (json!({"orgs": []}), "orgs"),
        (json!({"orgs": [999]}), "orgs[0]"),
        (json!({"ratePerSecond": 0}), "ratePerSecond"),
        (json!({"dailyQuota": -1}), "dailyQuota"),
        (json!({"grains": ["hour"]}), "grains[0]"),
        (json!({"historyDays": 0}), "historyDays"),
        (json!({"name": ""}), "name"),
    ];
    for (change, param) in cases {
        let mut b = body(&[MINGZHOU]);
        for (k, v) in change.as_object().unwrap() {
            b[k] = v.clone();
        }
        let err =
            assert_error(a.app.post_as(&a.province, "/api/v1/admin/open-apps", b).await, 400, "invalid_parameter")
                .await;
        assert_eq!(err["param"], param, "{err}");
    }
    let mut b = body(&[MINGZHOU]);
    b["secret"] = json!("mine");
    assert_error(a.app.post_as(&a.province, "/api/v1/admin/open-apps", b).await, 400, "invalid_body").await;
    let list = a.ok(a.app.get_as(&a.province, "/api/v1/admin/open-apps").await).await;
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_token_endpoint_speaks_oauth_client_credentials() {
    let a = admins().await;
    let r = register(&a, body(&[MINGZHOU])).await;
    let url = a.app.url("/open/v1/token");
    let c = &a.app.client;

    // client_secret_post, as a form and as JSON; client_secret_basic.
    let form = token_at(&a.app.address, c, &r.client_id, &r.secret).await;
    assert_eq!(form.status().as_u16(), 200);
    assert_eq!(form.headers()["cache-control"], "no-store");
    let t: Value = form.json().await.unwrap();
    assert_eq!(t["token_type"], "Bearer");
    assert!(t["expires_in"].as_i64().unwrap() > 0 && t["expires_in"].as_i64().unwrap() <= 3600);
    let j = c
        .post(&url)
        .json(&json!({"grant_type": "client_credentials", "client_id": r.client_id, "client_secret": r.secret}))
        .send()
        .await
        .unwrap();
    assert_eq!(j.status().as_u16(), 200);
    let b = c
        .post(&url)
        .basic_auth(&r.client_id, Some(&r.secret))
        .form_body(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(b.status().as_u16(), 200);
    let access = b.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(a.app.get_as(&access, "/open/v1/metrics").await.status().as_u16(), 200);

    // RFC 6749 errors.
    let oauth = |res: reqwest::Response, status: u16, code: &'static str| async move {
        assert_eq!(res.status().as_u16(), status);
        let www = res.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["error"], code, "{v}");
        assert!(v["error_description"].as_str().is_some_and(|d| !d.is_empty()));
        www
    };
    let www = oauth(token_at(&a.app.address, c, &r.client_id, "wrong").await, 401, "invalid_client").await;
    assert!(www.unwrap().starts_with("Basic"));
    oauth(token_at(&a.app.address, c, "cm_nobody", &r.secret).await, 401, "invalid_client").await;
    let wrong_basic = c
        .post(&url)
        .basic_auth(&r.client_id, Some("nope"))
        .form_body(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    oauth(wrong_basic, 401, "invalid_client").await;
    let pw = c
        .post(&url)
        .form_body(&[("grant_type", "password"), ("username", "x"), ("password", "y")])
        .send()
        .await
        .unwrap();
    oauth(pw, 400, "unsupported_grant_type").await;
    let none = c.post(&url).form_body(&[("client_id", r.client_id.as_str())]).send().await.unwrap();
    oauth(none, 400, "invalid_request").await;
    let both = c
        .post(&url)
        .basic_auth(&r.client_id, Some(&r.secret))
        .form_body(&[("grant_type", "client_credentials"), ("client_secret", r.secret.as_str())])
        .send()
        .await
        .unwrap();
    oauth(both, 400, "invalid_request").await;
    let garbage = c.post(&url).header("content-type", "application/json").body("{grant").send().await.unwrap();
    oauth(garbage, 400, "invalid_request").await;
    let bad_basic = c
        .post(&url)
        .header("authorization", "Basic !!!")
        .form_body(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    oauth(bad_basic, 401, "invalid_client").await;
    let get = c.get(&url).send().await.unwrap();
    assert_eq!(get.status().as_u16(), 405);
}

#[tokio::test]
async fn application_and_mini_program_tokens_are_not_interchangeable() {
    let a = admins().await;
    let r = register(&a, body(&[MINGZHOU])).await;
    let app_token = token(&a, &r).await;
    // An application token on the mini-program's API, and the reverse.
    assert_error(a.app.get_as(&app_token, "/api/v1/home").await, 401, "unauthenticated").await;
    assert_error(a.app.get_as(&app_token, "/api/v1/admin/open-apps").await, 401, "unauthenticated").await;
    assert_error(a.app.get_as(&a.official, "/open/v1/metrics").await, 401, "unauthenticated").await;
    assert_error(a.app.get_as(&a.province, &format!("/open/v1/facts?metric={MSG}")).await, 401, "unauthenticated")
        .await;
    assert_error(a.app.get("/open/v1/metrics").await, 401, "unauthenticated").await;
    // Each on its own side works.
    assert_eq!(a.app.get_as(&app_token, "/open/v1/metrics").await.status().as_u16(), 200);
    assert_eq!(a.app.get_as(&a.official, "/api/v1/home").await.status().as_u16(), 200);
}

#[tokio::test]
async fn suspension_stops_tokens_already_issued_on_the_next_call() {
    let a = admins().await;
    let r = register(&a, body(&[MINGZHOU])).await;
    let t = token(&a, &r).await;
    assert_eq!(a.app.get_as(&t, "/open/v1/metrics").await.status().as_u16(), 200);

    let path = format!("/api/v1/admin/open-apps/{}", r.id);
    let suspended = a.ok(a.app.post_as(&a.province, &format!("{path}/suspend"), json!({})).await).await;
    assert_eq!(suspended["status"], "suspended");
    assert_error(a.app.get_as(&t, "/open/v1/metrics").await, 401, "unauthenticated").await;
    let res = token_at(&a.app.address, &a.app.client, &r.client_id, &r.secret).await;
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");

    a.ok(a.app.post_as(&a.province, &format!("{path}/resume"), json!({})).await).await;
    assert_eq!(a.app.get_as(&t, "/open/v1/metrics").await.status().as_u16(), 200);

    let res = a.app.client.delete(a.app.url(&path)).bearer_auth(&a.province).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 204);
    assert_error(a.app.get_as(&t, "/open/v1/metrics").await, 401, "unauthenticated").await;
    assert_error(a.app.get_as(&a.province, &path).await, 404, "not_found").await;
    let audit = a.ok(a.app.get_as(&a.province, "/api/v1/admin/audit?action=open_app.*").await).await;
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|i| i["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["open_app.delete", "open_app.resume", "open_app.suspend", "open_app.create"]);
}

#[tokio::test]
async fn a_rotated_secret_keeps_the_old_one_for_the_stated_overlap() {
    let a = admins().await;
    let r = register(&a, body(&[MINGZHOU])).await;
    let path = format!("/api/v1/admin/open-apps/{}/rotate", r.id);
    let rotated = a.ok(a.app.post_as(&a.province, &path, json!({"overlapSeconds": 3600})).await).await;
    let second = rotated["clientSecret"].as_str().unwrap().to_owned();
    assert_ne!(second, r.secret);
    assert!(rotated["previousSecretExpiresAt"].is_string());
    let ok = |secret: String| {
        let (base, c, id) = (a.app.address.clone(), a.app.client.clone(), r.client_id.clone());
        async move { token_at(&base, &c, &id, &secret).await.status().as_u16() }
    };
    assert_eq!(ok(r.secret.clone()).await, 200);
    assert_eq!(ok(second.clone()).await, 200);

    // No overlap: the secret being replaced stops at once; the first is long gone.
    let third = a.ok(a.app.post_as(&a.province, &path, json!({"overlapSeconds": 0})).await).await;
    let third = third["clientSecret"].as_str().unwrap().to_owned();
    assert_eq!(ok(second).await, 401);
    assert_eq!(ok(r.secret.clone()).await, 401);
    assert_eq!(ok(third).await, 200);
    let err = assert_error(
        a.app.post_as(&a.province, &path, json!({"overlapSeconds": 99999999})).await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_eq!(err["param"], "overlapSeconds");
    let audit = a.ok(a.app.get_as(&a.province, "/api/v1/admin/audit?action=open_app.rotate").await).await;
    assert_eq!(audit["total"], 2);
}

#[tokio::test]
async fn open_reads_give_the_mini_programs_numbers() {
    let a = admins().await;
    let r = register(&a, body(&[MINGZHOU])).await;
    let t = token(&a, &r).await;
    let leader = &a.official; // 明州's official: the same org, the same period.

    let metrics = a.app.json_as(&t, "/open/v1/metrics").await;
    let codes: Vec<&str> = metrics["items"].as_array().unwrap().iter().map(|m| m["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec![MSG, "collab.activation_rate"]);
    assert!(metrics["items"][0]["description"].as_str().is_some_and(|d| !d.is_empty()));

    let range = format!("org={MINGZHOU}&grain=day&from=2026-11-10&to={D}");
    let open = a.app.json_as(&t, &format!("/open/v1/facts?metric={MSG}&{range}")).await;
    let mini = a.app.json_as(leader, &format!("/api/v1/metrics/{MSG}/series?{range}")).await;
    let open_values: Vec<(&Value, &Value)> =
        open["items"].as_array().unwrap().iter().map(|p| (&p["start"], &p["value"])).collect();
    let mini_values: Vec<(&Value, &Value)> =
        mini["points"].as_array().unwrap().iter().map(|p| (&p["start"], &p["value"])).collect();
    assert_eq!(open_values, mini_values);
    assert_eq!(open["total"], 11);
    assert_eq!(open["items"][10]["value"], 18234.0);
    assert_eq!(open["items"][10]["display"], "1.8万条");

    // Ratios carry their numerator and denominator.
    let rate = a
        .app
        .json_as(&t, &format!("/open/v1/facts?metric=collab.activation_rate&org={MINGZHOU}&from={D}&to={D}"))
        .await;
    assert_eq!((&rate["items"][0]["num"], &rate["items"][0]["den"]), (&json!(900.0), &json!(1000.0)));

    let open = a.app.json_as(&t, &format!("/open/v1/metrics/{MSG}/ranking?org={MINGZHOU}&date={D}")).await;
    let mini = a.app.json_as(leader, &format!("/api/v1/metrics/{MSG}/breakdown?org={MINGZHOU}&date={D}")).await;
    let rows = |v: &Value| -> Vec<(Value, Value, Value)> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["org"]["id"].clone(), i["value"].clone(), i["rank"].clone()))
            .collect()
    };
    assert_eq!(rows(&open), rows(&mini));
    assert_eq!(rows(&open)[0], (json!(DONGCHENG), json!(12000.0), json!(1)));
}

#[tokio::test]
async fn facts_are_paged_with_a_cursor_of_their_own_query() {
    let a = admins().await;
    let r = register(&a, body(&[MINGZHOU])).await;
    let t = token(&a, &r).await;
    let q = format!("/open/v1/facts?metric={MSG}&org={MINGZHOU}&children=true&from=2026-11-18&to={D}");
    let whole = a.app.json_as(&t, &q).await;
    assert_eq!(whole["total"], 9); // three children, three days
    assert!(whole.get("nextCursor").is_none());

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("{q}&limit=4&cursor={c}"),
            None => format!("{q}&limit=4"),
        };
        let page = a.app.json_as(&t, &path).await;
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        pages += 1;
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(Value::from(seen), whole["items"]);
    let dongcheng_d =
        whole["items"].as_array().unwrap().iter().find(|i| i["org"]["id"] == DONGCHENG && i["start"] == D).unwrap();
    assert_eq!(dongcheng_d["value"], 12000.0);

    // A cursor belongs to its query.
    let first = a.app.json_as(&t, &format!("{q}&limit=4")).await;
    let c = first["nextCursor"].as_str().unwrap();
    let other = format!("/open/v1/facts?metric={MSG}&org={MINGZHOU}&from=2026-11-18&to={D}&cursor={c}");
    let err = assert_error(a.app.get_as(&t, &other).await, 400, "invalid_parameter").await;
    assert_eq!(err["param"], "cursor");
}

#[tokio::test]
async fn reads_outside_the_application_are_4xx_never_5xx() {
    let a = admins().await;
    let mut b = body(&[MINGZHOU]);
    b["grains"] = json!(["day", "month"]);
    b["historyDays"] = json!(30);
    let r = register(&a, b).await;
    let t = token(&a, &r).await;
    let cases: Vec<(String, u16, &str, &str)> = vec![
        ("/open/v1/facts?metric=no.such".into(), 400, "invalid_parameter", "metric"),
        ("/open/v1/facts?metric=mobile.pv".into(), 403, "out_of_scope", "metric"),
        (format!("/open/v1/facts?metric={MSG}&org={LINJIANG}"), 403, "out_of_scope", "org"),
        (format!("/open/v1/facts?metric={MSG}&org=999999"), 403, "out_of_scope", "org"),
        (format!("/open/v1/facts?metric={MSG}&org=abc"), 400, "invalid_parameter", "org"),
        (format!("/open/v1/facts?metric={MSG}&grain=week"), 403, "out_of_scope", "grain"),
        (format!("/open/v1/facts?metric={MSG}&grain=hour"), 400, "invalid_parameter", "grain"),
        (format!("/open/v1/facts?metric={MSG}&from=2025-01-01&to={D}"), 403, "out_of_scope", "from"),
        (format!("/open/v1/facts?metric={MSG}&from=2026-11-20&to=2026-11-01"), 400, "invalid_parameter", "from"),
        (format!("/open/v1/facts?metric={MSG}&from=yesterday"), 400, "invalid_parameter", "from"),
        (format!("/open/v1/facts?metric={MSG}&limit=5000"), 400, "invalid_parameter", "limit"),
        (format!("/open/v1/facts?metric={MSG}&limit=0"), 400, "invalid_parameter", "limit"),
        (format!("/open/v1/facts?metric={MSG}&children=maybe"), 400, "invalid_parameter", "children"),
        (format!("/open/v1/facts?metric={MSG}&cursor=%00%01"), 400, "invalid_parameter", "cursor"),
        (format!("/open/v1/facts?metric={MSG}&colour=red"), 400, "invalid_parameter", "colour"),
        ("/open/v1/metrics/mobile.pv/ranking".into(), 403, "out_of_scope", "code"),
        (format!("/open/v1/metrics/{MSG}/ranking?date=2025-01-01"), 403, "out_of_scope", "date"),
        (format!("/open/v1/metrics/{MSG}/ranking?org={PROVINCE}"), 403, "out_of_scope", "org"),
        (format!("/open/v1/metrics/{MSG}/ranking?limit=100000"), 400, "invalid_parameter", "limit"),
    ];
    for (path, status, code, param) in cases {
        let err = assert_error(a.app.get_as(&t, &path).await, status, code).await;
        assert_eq!(err["param"], param, "{path}: {err}");
    }
    // Missing required metric.
    assert_error(a.app.get_as(&t, "/open/v1/facts").await, 400, "invalid_parameter").await;
    assert_error(a.app.get_as(&t, "/open/v1/nothing").await, 404, "not_found").await;
}

#[tokio::test]
async fn open_answers_are_cached_with_etags() {
    let a = admins().await;
    let r = register(&a, body(&[MINGZHOU])).await;
    let t = token(&a, &r).await;
    let path = format!("/open/v1/facts?metric={MSG}&org={MINGZHOU}&from=2026-11-18&to={D}");
    let first = a.app.get_as(&t, &path).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = a.app.client.get(a.app.url(&path)).bearer_auth(&t).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 304);
}

async fn statuses(a: &Admins, base: &[String], t: &str, n: usize) -> Vec<reqwest::Response> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let url = format!("{}/open/v1/metrics", base[i % base.len()]);
        out.push(a.app.client.get(url).bearer_auth(t).send().await.unwrap());
    }
    out
}

#[tokio::test]
async fn past_the_rate_an_application_gets_429_with_ratelimit_headers() {
    let a = admins().await;
    let mut b = body(&[MINGZHOU]);
    b["ratePerSecond"] = json!(2);
    let r = register(&a, b).await;
    let t = token(&a, &r).await;
    let answers = statuses(&a, std::slice::from_ref(&a.app.address), &t, 10).await;
    let ok = answers.iter().filter(|r| r.status().as_u16() == 200).count();
    assert!((1..=3).contains(&ok), "{ok} calls passed a rate of 2/s");
    let first = &answers[0];
    assert_eq!(first.headers()["ratelimit-limit"], "100000");
    assert!(first.headers().contains_key("ratelimit-remaining"));
    let refused = answers.into_iter().find(|r| r.status().as_u16() == 429).unwrap();
    let retry: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry));
    assert_eq!(refused.headers()["ratelimit-limit"], "2");
    assert_eq!(refused.headers()["ratelimit-remaining"], "0");
    assert!(refused.headers().contains_key("ratelimit-reset"));
    assert_error(refused, 429, "rate_limited").await;
}

#[tokio::test]
async fn the_rate_holds_within_ten_percent_under_ten_times_the_load() {
    let a = admins().await;
    let mut b = body(&[MINGZHOU]);
    b["ratePerSecond"] = json!(20);
    let r = register(&a, b).await;
    let t = token(&a, &r).await;
    // 200 calls a second offered for three seconds, from 8 clients.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (c, url, t) = (a.app.client.clone(), a.app.url("/open/v1/metrics"), t.clone());
        tasks.push(tokio::spawn(async move {
            let mut ok = 0u32;
            let mut tick = tokio::time::interval(Duration::from_millis(40));
            for _ in 0..75 {
                tick.tick().await;
                if c.get(&url).bearer_auth(&t).send().await.unwrap().status().as_u16() == 200 {
                    ok += 1;
                }
            }
            ok
        }));
    }
    let mut ok = 0;
    for task in tasks {
        ok += task.await.unwrap();
    }
    let expected = 20.0 * started.elapsed().as_secs_f64() + 2.0; // plus the burst
    let ratio = f64::from(ok) / expected;
    assert!((0.9..=1.1).contains(&ratio), "{ok} calls passed, {expected:.0} expected");
}

#[tokio::test]
async fn the_daily_quota_holds_across_two_instances() {
    let a = admins().await;
    let mut b = body(&[MINGZHOU]);
    b["dailyQuota"] = json!(57);
    let r = register(&a, b).await;
    let t = token(&a, &r).await;
    // A second instance on the same database, with its own pool and its own memory.
    let mut settings = a.app.settings.clone();
    settings.server.port = 0;
    let db = canmou::db::connect(&settings.database).await.unwrap();
    let second = canmou::startup::Application::build(settings, db).await.unwrap();
    let other = format!("http://127.0.0.1:{}", second.port());
    tokio::spawn(second.run_until_stopped());

    let answers = statuses(&a, &[a.app.address.clone(), other], &t, 150).await;
    let ok = answers.iter().filter(|r| r.status().as_u16() == 200).count();
    assert_eq!(ok, 57, "the quota is 57 calls a day, over both instances");
    let refused = answers.iter().rev().find(|r| r.status().as_u16() == 429).unwrap();
    assert_eq!(refused.headers()["ratelimit-limit"], "57");
    assert_eq!(refused.headers()["ratelimit-remaining"], "0");
    let retry: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry <= 86_400);
}

#[tokio::test]
async fn every_call_is_accounted_and_usage_is_reported_by_day() {
    let a = admins().await;
    let mut b = body(&[MINGZHOU]);
    b["ratePerSecond"] = json!(1);
    let r = register(&a, b).await;
    let t = token(&a, &r).await;
    let ok = a.app.get_as(&t, &format!("/open/v1/facts?metric={MSG}&org={MINGZHOU}&from=2026-11-18&to={D}")).await;
    assert_eq!(ok.status().as_u16(), 200);
    let throttled = a.app.get_as(&t, "/open/v1/metrics").await;
    let retry_after: u64 = throttled.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert_error(throttled, 429, "rate_limited").await;
    // A client that waits as told is served again: the wait is the answer's own promise.
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    assert_error(a.app.get_as(&t, "/open/v1/facts?metric=no.such").await, 400, "invalid_parameter").await;

    let usage = a.ok(a.app.get_as(&a.province, &format!("/api/v1/admin/open-apps/{}/usage", r.id)).await).await;
    let days = usage["items"].as_array().unwrap();
    assert_eq!(days.len(), 1, "{usage}");
    let today = &days[0];
    // The token, the facts (three rows), the throttled call and the bad one.
    assert_eq!((today["calls"].as_i64(), today["rows"].as_i64()), (Some(4), Some(3)), "{usage}");
    assert_eq!((today["errors"].as_i64(), today["throttled"].as_i64()), (Some(1), Some(1)), "{usage}");

    let rows = entities::open_call::Entity::find().all(&a.app.db).await.unwrap();
    let facts = rows.iter().find(|c| c.endpoint == "/v1/facts" && c.status == 200).unwrap();
    assert!(facts.params.contains("metric=collab.msg_total"));
    assert_eq!(facts.app_id, Some(r.id as i32));
    assert!(facts.duration_us > 0);

    let csv = a.app.get_as(&a.province, &format!("/api/v1/admin/open-apps/{}/usage?format=csv", r.id)).await;
    assert_eq!(csv.status().as_u16(), 200);
    let text = csv.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'));
    assert!(text.contains("调用次数") && text.lines().count() == 2, "{text}");
    let err = assert_error(
        a.app.get_as(&a.province, &format!("/api/v1/admin/open-apps/{}/usage?format=pdf", r.id)).await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_eq!(err["param"], "format");

    // Records past the retention are pruned.
    canmou::open::accounting::prune(&a.app.db, chrono::Duration::days(180)).await;
    assert_eq!(entities::open_call::Entity::find().all(&a.app.db).await.unwrap().len(), rows.len());
    canmou::open::accounting::prune(&a.app.db, chrono::Duration::seconds(-60)).await;
    assert!(entities::open_call::Entity::find().all(&a.app.db).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_open_api_describes_itself() {
    let a = admins().await;
    let doc: Value = a.app.get("/open/openapi.json").await.json().await.unwrap();
    for path in ["/open/v1/token", "/open/v1/metrics", "/open/v1/facts", "/open/v1/metrics/{code}/ranking"] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["oauth2"]["flows"]["clientCredentials"]["tokenUrl"], "/open/v1/token");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    // The mini-program's document stays its own.
    let main: Value = a.app.get("/openapi.json").await.json().await.unwrap();
    assert!(main["paths"].get("/open/v1/facts").is_none());
}
