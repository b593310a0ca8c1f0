//! The read path: home, metric detail, series, breakdown, orgs, exports — scope, bad input,
//! caching.

use serde_json::Value;

use crate::fixture::{self, D, DC_BUREAU, DONGCHENG, LINJIANG, MINGZHOU, MZ_BUREAU, XIHU};
use crate::helpers::{TestApp, assert_error, eventually, spawn_app};

/// The app with the fixture province, and a token for the leader of 明州市.
pub async fn seeded() -> (TestApp, String) {
    let app = spawn_app().await;
    fixture::seed(&app.db).await;
    app.state.reload().await.unwrap();
    let official = fixture::add_user(&app.db, "mz-leader", "viewer", &[MINGZHOU], true).await;
    let token = fixture::token(&app.db, &app.settings, official).await;
    (app, token)
}

fn card<'a>(home: &'a Value, metric: &str) -> &'a Value {
    home["cards"].as_array().unwrap().iter().find(|c| c["metric"] == metric).unwrap()
}

#[tokio::test]
async fn home_defaults_to_the_first_scope_and_the_latest_complete_day() {
    let (app, token) = seeded().await;
    let home = app.json_as(&token, "/api/v1/home").await;

    assert_eq!(home["org"]["id"], MINGZHOU);
    assert_eq!(home["org"]["breadcrumb"][0]["name"], "东海省");
    assert_eq!(home["period"]["grain"], "day");
    assert_eq!(home["period"]["start"], D);
    assert_eq!(home["period"]["label"], "11月20日");
    assert_eq!(home["period"]["partial"], false);
    assert_eq!(home["asOf"], D);
    assert_eq!(home["cards"].as_array().unwrap().len(), 8);

    let msg = card(&home, "collab.msg_total");
    assert_eq!(msg["title"], "消息总数");
    assert_eq!(msg["value"], 18234.0);
    assert_eq!(msg["display"], "1.8万条");
    assert_eq!(msg["prev"], 16000.0);
    assert_eq!(msg["delta"], 2234.0);
    assert!((msg["deltaPct"].as_f64().unwrap() - 13.9625).abs() < 1e-9);
    assert_eq!(msg["deltaDisplay"], "↑14.0%");
    assert_eq!(msg["good"], true);
    // 明州 18,234 against 临江 9,000: first of two cities.
    assert_eq!((msg["rank"].as_u64(), msg["peers"].as_u64()), (Some(1), Some(2)));
    let spark = msg["spark"].as_array().unwrap();
    assert_eq!(spark.len(), 12);
    assert_eq!(spark[11], 18234.0);
    assert_eq!(spark[10], 16000.0);
    assert_eq!(spark[1], 15000.0); // 2026-11-10
    assert!(spark[0].is_null());
    // The data is a week old: shown, but as late.
    assert_eq!(msg["status"], "late");

    let rate = card(&home, "collab.activation_rate");
    assert_eq!(rate["display"], "90.0%");
    let cases = card(&home, "service.cases_completed");
    assert_eq!(cases["comparison"], "yoy");
    assert_eq!(cases["yoy"], 100.0);
    assert_eq!(cases["yoyDisplay"], "↑20.0%");
    assert_eq!(cases["good"], true);
    let pv = card(&home, "mobile.pv");
    assert_eq!(pv["status"], "nodata");
    assert_eq!(pv["display"], "—");
    assert!(pv["value"].is_null());
}

#[tokio::test]
async fn home_for_a_district_and_a_partial_period() {
    let (app, token) = seeded().await;
    let home = app.json_as(&token, &format!("/api/v1/home?org={DONGCHENG}&grain=day&date=2026-11-21")).await;
    assert_eq!(home["period"]["partial"], true);
    assert_eq!(card(&home, "collab.msg_total")["status"], "nodata");

    let home = app.json_as(&token, &format!("/api/v1/home?org={DONGCHENG}&date={D}")).await;
    let msg = card(&home, "collab.msg_total");
    // 东城 12,000 (down from 12,500): a fall in messages is bad news; first of two districts.
    assert_eq!(msg["good"], false);
    assert_eq!((msg["rank"].as_u64(), msg["peers"].as_u64()), (Some(1), Some(2)));
    assert_eq!(home["org"]["breadcrumb"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_card_ranks_the_org_among_siblings_with_a_value() {
    let (app, token) = seeded().await;
    let msg = fixture::metric_id(&app.db, "collab.msg_total").await;
    let rank = |home: &Value| {
        let c = card(home, "collab.msg_total");
        (c["rank"].as_u64(), c["peers"].as_u64())
    };
    let set = |values: Vec<(i32, f64)>| {
        let db = app.db.clone();
        let state = app.state.clone();
        async move {
            let rows: Vec<_> = values.into_iter().map(|(org, v)| fixture::fact(msg, org, D, v)).collect();
            canmou::store::facts::upsert(&db, &rows).await.unwrap();
            canmou::store::facts::bump_data_version(&db).await.unwrap();
            state.reload().await.unwrap();
        }
    };
    let home_of = |org: i32| format!("/api/v1/home?org={org}&date={D}");

    // 西湖 (20,000) overtakes 东城 (12,000); 明州市大数据局 is a department, not their peer.
    // The second home screen of each pair is ranked from the values the first one read (they
    // are remembered for the data version); each `set` moves the version, so none is stale.
    set(vec![(XIHU, 20_000.0)]).await;
    assert_eq!(rank(&app.json_as(&token, &home_of(DONGCHENG)).await), (Some(2), Some(2)));
    assert_eq!(rank(&app.json_as(&token, &home_of(XIHU)).await), (Some(1), Some(2)));
    // A tie shares the place.
    set(vec![(XIHU, 12_000.0)]).await;
    assert_eq!(rank(&app.json_as(&token, &home_of(DONGCHENG)).await), (Some(1), Some(2)));
    assert_eq!(rank(&app.json_as(&token, &home_of(XIHU)).await), (Some(1), Some(2)));
    // An org alone of its kind, or without a value, has no rank.
    assert_eq!(rank(&app.json_as(&token, &home_of(MZ_BUREAU)).await), (None, None));
    assert_eq!(rank(&app.json_as(&token, &format!("/api/v1/home?org={XIHU}&date=2026-11-18")).await), (None, None));
}

#[tokio::test]
async fn an_org_outside_the_scope_is_refused_everywhere() {
    let (app, token) = seeded().await;
    for path in [
        format!("/api/v1/home?org={LINJIANG}"),
        format!("/api/v1/metrics/collab.msg_total?org={LINJIANG}"),
        format!("/api/v1/metrics/collab.msg_total/series?org={LINJIANG}"),
        format!("/api/v1/metrics/collab.msg_total/breakdown?org={}", fixture::PROVINCE),
        format!("/api/v1/orgs/{LINJIANG}"),
        format!("/api/v1/orgs/{}/children", fixture::PROVINCE),
        format!("/api/v1/exports/home.csv?org={LINJIANG}"),
        format!("/api/v1/exports/breakdown.xlsx?metric=collab.msg_total&org={}", fixture::PROVINCE),
    ] {
        assert_error(app.get_as(&token, &path).await, 403, "out_of_scope").await;
    }
    assert_error(app.get_as(&token, "/api/v1/home?org=999").await, 404, "not_found").await;
}

#[tokio::test]
async fn searches_never_list_an_org_outside_the_scope() {
    let (app, token) = seeded().await;
    let found = app.json_as(&token, "/api/v1/orgs?q=%E5%B8%82").await; // 市
    let names: Vec<&str> = found["items"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["明州市", "明州市大数据局"]);
    assert_eq!(found["items"][0]["pathNames"], "东海省 / 明州市");
    let children = app.json_as(&token, &format!("/api/v1/orgs/{MINGZHOU}/children")).await;
    assert_eq!(children["items"].as_array().unwrap().len(), 3);
    let org = app.json_as(&token, &format!("/api/v1/orgs/{DONGCHENG}")).await;
    assert_eq!(org["childCount"], 1);
    assert_eq!(org["parentId"], MINGZHOU);
}

#[tokio::test]
async fn a_user_without_scope_gets_no_scope_and_strangers_get_401() {
    let (app, _) = seeded().await;
    let lonely = fixture::add_user(&app.db, "lonely", "viewer", &[], true).await;
    let token = fixture::token(&app.db, &app.settings, lonely).await;
    assert_error(app.get_as(&token, "/api/v1/home").await, 403, "no_scope").await;
    let res = app.client.get(app.url("/api/v1/home")).send().await.unwrap();
    assert_error(res, 401, "unauthenticated").await;
}

#[tokio::test]
async fn a_deactivated_user_is_refused_even_with_a_valid_token() {
    let (app, _) = seeded().await;
    let gone = fixture::add_user(&app.db, "gone", "viewer", &[MINGZHOU], false).await;
    let token = fixture::token(&app.db, &app.settings, gone).await;
    assert_error(app.get_as(&token, "/api/v1/home").await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn bad_parameters_are_400_naming_the_parameter() {
    let (app, token) = seeded().await;
    let cases = [
        ("/api/v1/home?grain=hour", "grain"),
        ("/api/v1/home?grain=month&date=2026-11-03", "date"),
        ("/api/v1/home?date=2099-01-01", "date"),
        ("/api/v1/home?date=yesterday", "date"),
        ("/api/v1/home?org=abc", "org"),
        ("/api/v1/home?orgg=2", "orgg"),
        ("/api/v1/metrics/collab.nope", "code"),
        ("/api/v1/metrics/collab.nope/series", "code"),
        ("/api/v1/metrics/collab.msg_total/series?from=2026-11-20&to=2026-11-01", "from"),
        ("/api/v1/metrics/collab.msg_total/series?grain=day&from=2020-01-01&to=2026-11-20", "from"),
        ("/api/v1/metrics/collab.msg_total/breakdown?limit=-1", "limit"),
        ("/api/v1/metrics/collab.msg_total/breakdown?by=street", "by"),
        ("/api/v1/orgs?q=", "q"),
        ("/api/v1/exports/series.csv", "metric"),
    ];
    for (path, param) in cases {
        let body = assert_error(app.get_as(&token, path).await, 400, "invalid_parameter").await;
        assert_eq!(body["param"], param, "{path}: {body}");
    }
}

#[tokio::test]
async fn a_breakdown_ranks_children_of_one_kind_and_says_which_can_be_drilled() {
    let (app, token) = seeded().await;
    let b = app.json_as(&token, "/api/v1/metrics/collab.msg_total/breakdown").await;
    assert_eq!(b["by"], "region");
    assert_eq!(b["total"], 2);
    let items = b["items"].as_array().unwrap();
    assert_eq!(items[0]["org"]["id"], DONGCHENG);
    assert_eq!(items[0]["rank"], 1);
    assert_eq!(items[0]["drillable"], true);
    assert_eq!(items[0]["delta"], -500.0);
    assert_eq!(items[1]["org"]["id"], XIHU);
    assert_eq!(items[1]["drillable"], false);

    let asc = app.json_as(&token, "/api/v1/metrics/collab.msg_total/breakdown?order=asc&limit=1").await;
    assert_eq!(asc["items"].as_array().unwrap().len(), 1);
    assert_eq!(asc["items"][0]["org"]["id"], XIHU);
    assert_eq!(asc["items"][0]["rank"], 2);

    let depts = app.json_as(&token, "/api/v1/metrics/collab.msg_total/breakdown?by=department").await;
    assert_eq!(depts["items"][0]["org"]["id"], MZ_BUREAU);
    assert_eq!(depts["items"][0]["display"], "1234条");
    let _ = DC_BUREAU;
}

#[tokio::test]
async fn series_and_detail_cover_every_period_even_without_data() {
    let (app, token) = seeded().await;
    let s = app.json_as(&token, "/api/v1/metrics/collab.msg_total/series?from=2026-11-18&to=2026-11-20").await;
    let points = s["points"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    assert!(points[0]["value"].is_null());
    assert_eq!(points[0]["display"], "—");
    assert_eq!(points[2]["value"], 18234.0);

    let d = app.json_as(&token, "/api/v1/metrics/collab.activation_rate").await;
    assert_eq!(d["metric"]["unit"], "%");
    assert_eq!(d["card"]["display"], "90.0%");
    assert_eq!(d["series"]["points"].as_array().unwrap().len(), 30);
    assert_eq!(d["breakdown"]["by"], "region");
}

#[tokio::test]
async fn etags_give_304_and_a_data_change_gives_a_fresh_answer() {
    let (app, token) = seeded().await;
    let first = app.get_as(&token, "/api/v1/home").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = first.json().await.unwrap();
    assert_eq!(card(&body, "collab.msg_total")["value"], 18234.0);

    let again = app
        .client
        .get(app.url("/api/v1/home"))
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);

    // Another instance (here: the test) commits new facts and moves the data version.
    let msg = fixture::metric_id(&app.db, "collab.msg_total").await;
    canmou::store::facts::upsert(&app.db, &[fixture::fact(msg, MINGZHOU, D, 20_000.0)]).await.unwrap();
    canmou::store::facts::bump_data_version(&app.db).await.unwrap();
    let fresh = eventually("the new data version", std::time::Duration::from_secs(5), || async {
        let res = app
            .client
            .get(app.url("/api/v1/home"))
            .bearer_auth(&token)
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        (res.status().as_u16() == 200).then_some(res)
    })
    .await;
    assert_ne!(fresh.headers()["etag"].to_str().unwrap(), etag);
    let body: Value = fresh.json().await.unwrap();
    assert_eq!(card(&body, "collab.msg_total")["value"], 20000.0);
}

#[tokio::test]
async fn a_304_needs_no_database() {
    let (app, token) = seeded().await;
    let first = app.get_as(&token, "/api/v1/home").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    app.db.close_by_ref().await.unwrap();
    let res = app
        .client
        .get(app.url("/api/v1/home"))
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 304);
    // A cache hit needs none either.
    let res = app.get_as(&token, "/api/v1/home").await;
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test]
async fn answers_are_compressed_and_small() {
    let (app, token) = seeded().await;
    // A client that does not decode, to see what crosses the wire.
    canmou::tls::install();
    let raw = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
    for encoding in ["br", "gzip"] {
        let res = raw
            .get(app.url("/api/v1/home"))
            .bearer_auth(&token)
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["content-encoding"], encoding);
        let wire = res.bytes().await.unwrap().len();
        assert!(wire <= 2048, "{encoding}: {wire} bytes");
    }
    let plain = raw.get(app.url("/api/v1/home")).bearer_auth(&token).send().await.unwrap();
    let body: Value = plain.json().await.unwrap();
    assert_eq!(body["cards"].as_array().unwrap().len(), 8);
}

#[tokio::test]
async fn users_who_may_see_an_org_share_one_cached_answer() {
    let (app, token) = seeded().await;
    let admin = fixture::add_user(&app.db, "province", "admin", &[fixture::PROVINCE], true).await;
    let other = fixture::token(&app.db, &app.settings, admin).await;
    let a = app.get_as(&token, &format!("/api/v1/home?org={MINGZHOU}")).await;
    let b = app.get_as(&other, &format!("/api/v1/home?org={MINGZHOU}")).await;
    assert_eq!(a.headers()["etag"], b.headers()["etag"]);
    assert_eq!(a.bytes().await.unwrap(), b.bytes().await.unwrap());
}

#[tokio::test]
async fn downloads_are_excel_friendly_and_audited() {
    let (app, token) = seeded().await;
    let res = app.get_as(&token, "/api/v1/exports/breakdown.csv?metric=collab.msg_total").await;
    assert_eq!(res.status().as_u16(), 200);
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
    assert!(disposition.contains("%E6%B6%88%E6%81%AF"), "the Chinese name is percent-encoded: {disposition}"); // 消息
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "排名,机构,数值,显示,上期,变化,变化率(%),环比");
    assert!(lines[1].starts_with("1,东城区,12000,1.2万条,12500,-500,"), "{}", lines[1]);
    assert!(lines[1].ends_with(",↓4.0%"), "one wording in downloads too: {}", lines[1]);

    let xlsx = app.get_as(&token, "/api/v1/exports/home.xlsx").await;
    assert_eq!(xlsx.status().as_u16(), 200);
    assert!(xlsx.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    // The workbook holds the home screen's figures: the first card's title and display.
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.bytes().await.unwrap())).unwrap();
    let sheet = calamine::Reader::worksheet_range(&mut book, "首页指标").unwrap();
    let home = app.json_as(&token, "/api/v1/home").await;
    let cell = |col: u32| sheet.get_value((1, col)).map(|d| d.to_string());
    assert_eq!(cell(0).as_deref(), home["cards"][0]["title"].as_str());
    assert_eq!(cell(3).as_deref(), home["cards"][0]["display"].as_str());

    use sea_orm::EntityTrait;
    let audit = entities::audit_log::Entity::find().all(&app.db).await.unwrap();
    let actions: Vec<(&str, &str)> = audit.iter().map(|a| (a.action.as_str(), a.target.as_str())).collect();
    assert_eq!(actions, vec![("export", "breakdown.csv"), ("export", "home.xlsx")]);
    assert_eq!(audit[0].after.as_ref().unwrap()["metric"], "collab.msg_total");
}
