//! Boards: the whole indicator system on the phone, one request a screen, and administrators
//! hiding a board or an indicator from an audience.

use serde_json::{Value, json};

use crate::fixture::{self, LINJIANG, MINGZHOU, PROVINCE};
use crate::helpers::assert_error;
use crate::read::seeded;

fn codes(list: &Value) -> Vec<String> {
    list["boards"].as_array().unwrap().iter().map(|b| b["code"].as_str().unwrap().to_owned()).collect()
}

fn metric_codes(list: &Value) -> Vec<String> {
    list["boards"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["sections"].as_array().unwrap().iter())
        .flat_map(|s| s["metrics"].as_array().unwrap().iter())
        .map(|m| m["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_active_indicator_is_on_a_board_and_a_board_is_one_answer() {
    let (app, token) = seeded().await;

    let list = app.json_as(&token, "/api/v1/boards").await;
    assert_eq!(codes(&list), ["collab", "service", "mobile", "governance"]);
    let catalogue = app.json_as(&token, "/api/v1/metrics").await;
    let active = catalogue["metrics"].as_array().unwrap().len();
    assert_eq!(metric_codes(&list).len(), active, "every active indicator, the records' too");
    let collab = &list["boards"][0];
    assert_eq!(collab["name"], "协同");
    let sections: Vec<&str> =
        collab["sections"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(sections, ["活跃", "消息", "会议", "工作台", "待办"]);

    let res = app.get_as(&token, "/api/v1/boards/collab?date=2026-11-20").await;
    assert_eq!(res.status().as_u16(), 200);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let board: Value = res.json().await.unwrap();
    assert_eq!(board["org"]["id"], MINGZHOU);
    assert_eq!(board["board"]["name"], "协同");
    let messages = board["sections"].as_array().unwrap().iter().find(|s| s["name"] == "消息").unwrap();
    let total = &messages["cards"][0];
    assert_eq!(total["metric"], "collab.msg_total");
    assert_eq!(total["display"], "1.8万条");
    assert_eq!(total["deltaDisplay"], "↑14.0%");
    assert_eq!(total["good"], true);
    assert_eq!(total["spark"].as_array().unwrap().len(), 12);
    let single = &messages["cards"][1];
    assert_eq!((single["metric"].as_str(), single["status"].as_str()), (Some("collab.msg_single"), Some("nodata")));

    // Versioned like /home: the same answer is a 304 without a body.
    let again = app
        .client
        .get(app.url("/api/v1/boards/collab?date=2026-11-20"))
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);

    assert_error(app.get_as(&token, "/api/v1/boards/nope").await, 404, "not_found").await;
    assert_error(app.get_as(&token, "/api/v1/boards/collab?org=3").await, 403, "out_of_scope").await;
    assert_error(app.get_as(&token, "/api/v1/boards/collab?grain=hour").await, 400, "invalid_parameter").await;
}

#[tokio::test]
async fn an_administrator_hides_a_board_or_an_indicator_from_an_audience() {
    let (app, mz_token) = seeded().await;
    let lj = fixture::add_user(&app.db, "lj-leader", "viewer", &[LINJIANG], true).await;
    let lj_token = fixture::token(&app.db, &app.settings, lj).await;
    let admin = fixture::add_user(&app.db, "admin", "admin", &[PROVINCE], true).await;
    let admin = fixture::token(&app.db, &app.settings, admin).await;
    let post = |token: String, body: Value| {
        let req = app.client.post(app.url("/api/v1/admin/boards/rules")).bearer_auth(token).json(&body);
        async move { req.send().await.unwrap() }
    };

    // Viewers may not; bad names are refused with the field named.
    assert_error(post(mz_token.clone(), json!({"board": "mobile", "hidden": true})).await, 403, "forbidden").await;
    let bad =
        assert_error(post(admin.clone(), json!({"board": "nope", "hidden": true})).await, 400, "invalid_parameter")
            .await;
    assert_eq!(bad["param"], "board");
    assert_error(post(admin.clone(), json!({"metric": "no.such", "hidden": true})).await, 400, "invalid_parameter")
        .await;
    assert_error(
        post(admin.clone(), json!({"board": "mobile", "metric": "mobile.pv", "hidden": true})).await,
        400,
        "invalid_parameter",
    )
    .await;

    // 移动政务 hidden from 明州市's users; 群聊消息数 from everyone.
    let res = post(admin.clone(), json!({"audienceOrgId": MINGZHOU, "board": "mobile", "hidden": true})).await;
    assert_eq!(res.status().as_u16(), 200);
    let res = post(admin.clone(), json!({"metric": "collab.msg_group", "hidden": true})).await;
    assert_eq!(res.status().as_u16(), 200);

    let mz = app.json_as(&mz_token, "/api/v1/boards").await;
    assert_eq!(codes(&mz), ["collab", "service", "governance"]);
    assert!(!metric_codes(&mz).contains(&"collab.msg_group".to_owned()));
    assert_error(app.get_as(&mz_token, "/api/v1/boards/mobile").await, 404, "not_found").await;
    let lj = app.json_as(&lj_token, "/api/v1/boards").await;
    assert_eq!(codes(&lj), ["collab", "service", "mobile", "governance"]);
    let active = app.json_as(&lj_token, "/api/v1/metrics").await["metrics"].as_array().unwrap().len();
    assert_eq!(metric_codes(&lj).len(), active - 1);
    let collab = app.json_as(&lj_token, "/api/v1/boards/collab?date=2026-11-20").await;
    let all: Vec<&str> = collab["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["cards"].as_array().unwrap().iter())
        .map(|c| c["metric"].as_str().unwrap())
        .collect();
    assert!(!all.contains(&"collab.msg_group"), "{all:?}");

    let rules = app.json_as(&admin, "/api/v1/admin/boards/rules").await;
    assert_eq!(rules["rules"].as_array().unwrap().len(), 2, "{rules}");
    assert_eq!(rules["rules"][0]["audienceName"], "明州市");
    assert_eq!(rules["rules"][0]["name"], "移动政务");

    // Shown again: 明州市 sees 移动政务 at once.
    let res = post(admin.clone(), json!({"audienceOrgId": MINGZHOU, "board": "mobile", "hidden": false})).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(codes(&app.json_as(&mz_token, "/api/v1/boards").await), ["collab", "service", "mobile", "governance"]);
    use sea_orm::EntityTrait;
    let audit = entities::audit_log::Entity::find().all(&app.db).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["board_rule.hide", "board_rule.hide", "board_rule.show"]);
}
