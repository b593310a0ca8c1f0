//! Users, scopes, roles, deactivation and the catalogue, as administrators manage them.

use chrono::Utc;
use entities::scope;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};

use crate::admin_card_sets::admins;
use crate::fixture::{self, DONGCHENG, LINJIANG, MINGZHOU, PROVINCE};
use crate::helpers::assert_error;

fn userids(list: &Value) -> Vec<&str> {
    list["items"].as_array().unwrap().iter().map(|u| u["userid"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn administrators_list_and_search_only_the_users_inside_their_scope() {
    let a = admins().await;
    let all = a.ok(a.app.get_as(&a.province, "/api/v1/admin/users").await).await;
    assert_eq!(all["total"], 4);
    let mine = a.ok(a.app.get_as(&a.mingzhou, "/api/v1/admin/users").await).await;
    assert_eq!(userids(&mine), vec!["mz-admin", "mz-leader"]);
    assert_eq!(mine["items"][1]["scopes"][0]["name"], "明州市");
    assert_eq!(mine["items"][1]["scopes"][0]["source"], "admin");
    let found = a.ok(a.app.get_as(&a.province, "/api/v1/admin/users?q=LJ-&pageSize=10").await).await;
    assert_eq!(userids(&found), vec!["lj-leader"]);
    let page2 = a.ok(a.app.get_as(&a.province, "/api/v1/admin/users?page=2&pageSize=3").await).await;
    assert_eq!((page2["items"].as_array().unwrap().len(), page2["total"].as_u64()), (1, Some(4)));
    let err =
        assert_error(a.app.get_as(&a.province, "/api/v1/admin/users?pageSize=0").await, 400, "invalid_parameter").await;
    assert_eq!(err["param"], "pageSize");
    let err = assert_error(
        a.app.get_as(&a.mingzhou, &format!("/api/v1/admin/users/{}", a.linjiang_id)).await,
        403,
        "out_of_scope",
    )
    .await;
    assert_eq!(err["param"], "id");
}

#[tokio::test]
async fn scopes_are_granted_and_revoked_inside_the_administrators_scope_only() {
    let a = admins().await;
    let path = format!("/api/v1/admin/users/{}/scopes", a.official_id);
    // Outside the 明州 administrator's scope: refused, naming the entry.
    let err = assert_error(
        a.app.post_as(&a.mingzhou, &path, json!({"grant": [DONGCHENG, LINJIANG]})).await,
        403,
        "out_of_scope",
    )
    .await;
    assert_eq!(err["param"], "grant[1]");

    // The province administrator grants 临江: the official sees it at once.
    let after = a.ok(a.app.post_as(&a.province, &path, json!({"grant": [LINJIANG]})).await).await;
    let roots: Vec<i64> = after["scopes"].as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect();
    assert_eq!(roots, vec![i64::from(MINGZHOU), i64::from(LINJIANG)]);
    let home = a.ok(a.app.get_as(&a.official, &format!("/api/v1/home?org={LINJIANG}")).await).await;
    assert_eq!(home["org"]["name"], "临江市");

    // Revoked: refused at once again.
    a.ok(a.app.post_as(&a.province, &path, json!({"revoke": [LINJIANG]})).await).await;
    assert_error(a.app.get_as(&a.official, &format!("/api/v1/home?org={LINJIANG}")).await, 403, "out_of_scope").await;

    // Scopes derived from DingTalk follow the directory, not the console.
    scope::ActiveModel {
        user_id: Set(entities::ids::UserId(a.official_id)),
        org_id: Set(entities::ids::OrgId(DONGCHENG)),
        source: Set(entities::scope::ScopeSource::Dingtalk),
        granted_by: Set(None),
        granted_at: Set(Utc::now().fixed_offset()),
    }
    .insert(&a.app.db)
    .await
    .unwrap();
    let err =
        assert_error(a.app.post_as(&a.province, &path, json!({"revoke": [DONGCHENG]})).await, 400, "invalid_parameter")
            .await;
    assert_eq!(err["param"], "revoke[0]");
    let err =
        assert_error(a.app.post_as(&a.province, &path, json!({"grant": [12345]})).await, 400, "invalid_parameter")
            .await;
    assert_eq!(err["param"], "grant[0]");
}

#[tokio::test]
async fn a_deactivated_user_is_refused_at_once_and_roles_change() {
    let a = admins().await;
    let path = format!("/api/v1/admin/users/{}", a.official_id);
    // Warm the principal cache.
    a.ok(a.app.get_as(&a.official, "/api/v1/me").await).await;

    let after = a.ok(a.app.post_as(&a.mingzhou, &path, json!({"active": false})).await).await;

    assert_eq!(after["active"], false);
    assert_error(a.app.get_as(&a.official, "/api/v1/me").await, 401, "unauthenticated").await;
    a.ok(a.app.post_as(&a.mingzhou, &path, json!({"active": true, "role": "admin"})).await).await;
    let me = a.ok(a.app.get_as(&a.official, "/api/v1/me").await).await;
    assert_eq!(me["user"]["role"], "admin");
    a.ok(a.app.get_as(&a.official, "/api/v1/admin/users").await).await;

    let err =
        assert_error(a.app.post_as(&a.mingzhou, &path, json!({"role": "king"})).await, 400, "invalid_parameter").await;
    assert_eq!(err["param"], "role");
    let own = format!("/api/v1/admin/users/{}", a.province_id);
    let err =
        assert_error(a.app.post_as(&a.province, &own, json!({"role": "viewer"})).await, 400, "invalid_parameter").await;
    assert_eq!(err["param"], "role");
    let err =
        assert_error(a.app.post_as(&a.province, &own, json!({"active": false})).await, 400, "invalid_parameter").await;
    assert_eq!(err["param"], "active");
    assert_error(a.app.post_as(&a.province, &own, json!({"active": false, "admin": true})).await, 400, "invalid_body")
        .await;
    assert_error(
        a.app.post_as(&a.mingzhou, &format!("/api/v1/admin/users/{}", a.linjiang_id), json!({"active": false})).await,
        403,
        "out_of_scope",
    )
    .await;
    assert_error(
        a.app.post_as(&a.province, "/api/v1/admin/users/9999", json!({"active": false})).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn the_catalogue_is_edited_by_a_province_administrator() {
    let a = admins().await;
    let path = "/api/v1/admin/metrics/collab.msg_total";
    let after = a
        .ok(a
            .app
            .post_as(&a.province, path, json!({"name": "消息量", "precision": 1, "description": "单聊与群聊消息之和"}))
            .await)
        .await;
    assert_eq!((after["name"].as_str(), after["precision"].as_i64()), (Some("消息量"), Some(1)));
    // Users see the new name on their cards.
    let home = a.ok(a.app.get_as(&a.official, "/api/v1/home").await).await;
    let card = home["cards"].as_array().unwrap().iter().find(|c| c["metric"] == "collab.msg_total").unwrap();
    assert_eq!(card["title"], "消息量");
    let listed = a.ok(a.app.get_as(&a.province, "/api/v1/admin/metrics").await).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 44 + 15, "metrics.md's and the records' metrics");

    let err =
        assert_error(a.app.post_as(&a.province, path, json!({"precision": 9})).await, 400, "invalid_parameter").await;
    assert_eq!(err["param"], "precision");
    let err = assert_error(a.app.post_as(&a.province, path, json!({"name": ""})).await, 400, "invalid_parameter").await;
    assert_eq!(err["param"], "name");
    assert_error(
        a.app.post_as(&a.province, "/api/v1/admin/metrics/no.such", json!({"active": false})).await,
        404,
        "not_found",
    )
    .await;
    // A city administrator cannot change what the whole province sees.
    assert_error(a.app.post_as(&a.mingzhou, path, json!({"active": false})).await, 403, "forbidden").await;
    // Deactivating a metric takes its card off the home screen.
    a.ok(a.app.post_as(&a.province, path, json!({"active": false})).await).await;
    let home = a.ok(a.app.get_as(&a.official, "/api/v1/home").await).await;
    assert!(home["cards"].as_array().unwrap().iter().all(|c| c["metric"] != "collab.msg_total"));
    let _ = (PROVINCE, fixture::D);
}
