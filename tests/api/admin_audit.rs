//! The audit log: every admin change and every export, filtered by actor, action and time.

use serde_json::{Value, json};

use crate::admin_card_sets::admins;
use crate::fixture::MINGZHOU;
use crate::helpers::assert_error;

fn actions(page: &Value) -> Vec<&str> {
    page["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn every_change_and_export_is_recorded_with_before_and_after() {
    let a = admins().await;
    // Arrange: a day of administration.
    let set = a.create(&a.province, json!({"name": "审计", "cards": [{"metric": "collab.msg_total"}]})).await;
    let id = set["id"].as_i64().unwrap();
    let path = format!("/api/v1/admin/card-sets/{id}");
    a.ok(a
        .app
        .post_as(&a.province, &path, json!({"revision": 1, "name": "审计2", "cards": [{"metric": "mobile.pv"}]}))
        .await)
        .await;
    a.ok(a.app.post_as(&a.province, &format!("{path}/publish"), json!({})).await).await;
    a.ok(a.app.post_as(&a.province, &format!("{path}/assignments"), json!({"orgs": [MINGZHOU]})).await).await;
    a.ok(a.app.post_as(&a.mingzhou, &format!("/api/v1/admin/users/{}", a.official_id), json!({"active": true})).await)
        .await;
    let export = a.app.get_as(&a.official, "/api/v1/exports/home.csv").await;
    assert_eq!(export.status().as_u16(), 200);

    // Act
    let all = a.ok(a.app.get_as(&a.province, "/api/v1/admin/audit").await).await;

    // Assert: newest first, with who, what, before and after.
    assert_eq!(
        actions(&all),
        vec!["export", "user.update", "card_set.assign", "card_set.publish", "card_set.update", "card_set.create"]
    );
    assert_eq!(all["total"], 6);
    let update = &all["items"][4];
    assert_eq!(update["actor"], "用户prov-admin");
    assert_eq!(update["actorId"].as_i64(), Some(i64::from(a.province_id)));
    assert_eq!(update["target"], format!("card_set:{id}"));
    assert_eq!(update["before"]["name"], "审计");
    assert_eq!(update["after"]["name"], "审计2");
    assert_eq!(update["after"]["cards"][0]["metric"], "mobile.pv");
    assert!(update["requestId"].as_str().is_some_and(|r| !r.is_empty()));
    assert!(update["at"].as_str().unwrap().ends_with("+08:00"), "{update}");

    // Filters: action (exact and prefix), actor, time, paging.
    let published = a.ok(a.app.get_as(&a.province, "/api/v1/admin/audit?action=card_set.publish").await).await;
    assert_eq!(actions(&published), vec!["card_set.publish"]);
    assert_eq!(published["items"][0]["after"]["version"], 1);
    let sets = a.ok(a.app.get_as(&a.province, "/api/v1/admin/audit?action=card_set.*").await).await;
    assert_eq!(sets["total"], 4);
    let mz_id = a.ok(a.app.get_as(&a.province, "/api/v1/admin/users?q=mz-admin").await).await["items"][0]["id"].clone();
    let by_actor = a.ok(a.app.get_as(&a.province, &format!("/api/v1/admin/audit?actor={mz_id}")).await).await;
    assert_eq!(actions(&by_actor), vec!["user.update"]);
    let page = a.ok(a.app.get_as(&a.province, "/api/v1/admin/audit?page=2&pageSize=4").await).await;
    assert_eq!(actions(&page), vec!["card_set.update", "card_set.create"]);
    let soon = |days: i64| (chrono::Utc::now() + chrono::Duration::days(days)).format("%Y-%m-%d").to_string();
    let future = a.ok(a.app.get_as(&a.province, &format!("/api/v1/admin/audit?from={}", soon(300))).await).await;
    assert_eq!(future["total"], 0);
    let today =
        a.ok(a.app.get_as(&a.province, &format!("/api/v1/admin/audit?from=2000-01-01&to={}", soon(300))).await).await;
    assert_eq!(today["total"], 6);
    let err =
        assert_error(a.app.get_as(&a.province, "/api/v1/admin/audit?from=yesterday").await, 400, "invalid_parameter")
            .await;
    assert_eq!(err["param"], "from");
    let err =
        assert_error(a.app.get_as(&a.province, "/api/v1/admin/audit?actor=bob").await, 400, "invalid_parameter").await;
    assert_eq!(err["param"], "actor");
    // A refused change leaves no trace.
    assert_error(
        a.app
            .post_as(&a.province, &path, json!({"revision": 1, "name": "x", "cards": [{"metric": "mobile.pv"}]}))
            .await,
        409,
        "conflict",
    )
    .await;
    assert_eq!(a.ok(a.app.get_as(&a.province, "/api/v1/admin/audit").await).await["total"], 6);
}
