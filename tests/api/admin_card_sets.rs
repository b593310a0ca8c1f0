//! Card-set curation: drafts, publishing, versions, assignments, preview — and the rules on
//! every payload (unknown metrics, positions, targets, scope, concurrent edits).

use serde_json::{Value, json};

use crate::fixture::{self, LINJIANG, MINGZHOU, PROVINCE};
use crate::helpers::{TestApp, assert_error, spawn_app};

/// The fixture province with a province administrator, a 明州 administrator, a 明州 official
/// and a 临江 official.
pub struct Admins {
    pub app: TestApp,
    pub province: String,
    pub province_id: i32,
    pub mingzhou: String,
    pub official: String,
    pub official_id: i32,
    pub linjiang_id: i32,
}

pub async fn admins() -> Admins {
    let app = spawn_app().await;
    fixture::seed(&app.db).await;
    let province_id = fixture::add_user(&app.db, "prov-admin", "admin", &[PROVINCE], true).await;
    let mz_admin = fixture::add_user(&app.db, "mz-admin", "admin", &[MINGZHOU], true).await;
    let official_id = fixture::add_user(&app.db, "mz-leader", "viewer", &[MINGZHOU], true).await;
    let linjiang_id = fixture::add_user(&app.db, "lj-leader", "viewer", &[LINJIANG], true).await;
    app.state.reload().await.unwrap();
    Admins {
        province: fixture::token(&app.db, &app.settings, province_id).await,
        mingzhou: fixture::token(&app.db, &app.settings, mz_admin).await,
        official: fixture::token(&app.db, &app.settings, official_id).await,
        province_id,
        official_id,
        linjiang_id,
        app,
    }
}

impl Admins {
    pub async fn ok(&self, res: reqwest::Response) -> Value {
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        assert!(status == 200 || status == 201, "{status}: {body}");
        body
    }

    pub async fn create(&self, token: &str, body: Value) -> Value {
        self.ok(self.app.post_as(token, "/api/v1/admin/card-sets", body).await).await
    }
}

fn cards(metrics: &[&str]) -> Value {
    Value::Array(metrics.iter().map(|m| json!({ "metric": m })).collect())
}

fn metrics_of(home: &Value) -> Vec<String> {
    home["cards"].as_array().unwrap().iter().map(|c| c["metric"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_seeded_default_set_is_published_as_version_1() {
    let a = admins().await;
    let home = a.ok(a.app.get_as(&a.official, "/api/v1/home").await).await;
    assert_eq!(home["cardSet"]["version"], 1);
    assert_eq!(home["cards"].as_array().unwrap().len(), 8);

    let versions = a.ok(a.app.get_as(&a.province, "/api/v1/admin/card-sets/1/versions").await).await;
    let v1 = &versions["items"][0];
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["cards"].as_array().unwrap().len(), 8);
    assert_eq!(v1["cards"][0]["metric"], "collab.activation_rate");
    let list = a.ok(a.app.get_as(&a.province, "/api/v1/admin/card-sets").await).await;
    let default = &list["items"][0];
    assert_eq!((default["isDefault"].as_bool(), default["draftChanged"].as_bool()), (Some(true), Some(false)));
    assert_eq!(default["editable"], true);
}

#[tokio::test]
async fn a_set_is_created_published_assigned_and_previewed() {
    let a = admins().await;
    // Arrange: a new set, still a draft.
    let set = a
        .create(
            &a.province,
            json!({"name": "明州专题", "description": "协同", "defaultGrain": "day",
                   "cards": [{"metric": "collab.msg_total", "title": "消息", "sparkLen": 7},
                             {"metric": "service.cases_completed", "comparison": "yoy"}]}),
        )
        .await;
    let id = set["id"].as_i64().unwrap();
    assert_eq!((set["version"].as_i64(), set["revision"].as_i64()), (Some(0), Some(1)));
    assert_eq!(set["cards"][0]["title"], "消息");
    let assign = format!("/api/v1/admin/card-sets/{id}/assignments");
    a.ok(a.app.post_as(&a.province, &assign, json!({"orgs": [MINGZHOU]})).await).await;
    // Assigned but never published: the official still gets the default set.
    let home = a.ok(a.app.get_as(&a.official, "/api/v1/home").await).await;
    assert_eq!(home["cardSet"]["id"], 1);

    // Act
    let published =
        a.ok(a.app.post_as(&a.province, &format!("/api/v1/admin/card-sets/{id}/publish"), json!({})).await).await;

    // Assert
    assert_eq!(published["version"], 1);
    assert_eq!(published["draftChanged"], false);
    assert_eq!(published["orgs"][0]["name"], "明州市");
    let home = a.ok(a.app.get_as(&a.official, "/api/v1/home").await).await;
    assert_eq!(home["cardSet"]["id"].as_i64(), Some(id));
    assert_eq!(metrics_of(&home), vec!["collab.msg_total", "service.cases_completed"]);
    assert_eq!(home["cards"][0]["title"], "消息");
    assert_eq!(home["cards"][0]["spark"].as_array().unwrap().len(), 7);
    // The preview is the official's own answer, byte for byte.
    let preview = a.ok(a.app.get_as(&a.province, &format!("/api/v1/admin/preview?user={}", a.official_id)).await).await;
    assert_eq!(preview, home);
    let by_userid = a.ok(a.app.get_as(&a.province, "/api/v1/admin/preview?user=mz-leader&grain=month").await).await;
    assert_eq!(by_userid["period"]["grain"], "month");
    // 临江 is not under 明州: its official keeps the default set.
    let lj = a.ok(a.app.get_as(&a.province, &format!("/api/v1/admin/preview?user={}", a.linjiang_id)).await).await;
    assert_eq!(lj["cardSet"]["id"], 1);
}

#[tokio::test]
async fn users_get_the_published_version_never_the_draft_and_versions_can_be_restored() {
    let a = admins().await;
    let set = a.create(&a.province, json!({"name": "试点", "cards": cards(&["collab.msg_total"])})).await;
    let id = set["id"].as_i64().unwrap();
    a.ok(a.app.post_as(&a.province, &format!("/api/v1/admin/card-sets/{id}/publish"), json!({})).await).await;
    let path = format!("/api/v1/admin/card-sets/{id}");
    a.ok(a.app.post_as(&a.province, &format!("{path}/assignments"), json!({"users": [a.official_id]})).await).await;

    // A draft edit is not served…
    let edited = a
        .ok(a
            .app
            .post_as(
                &a.province,
                &path,
                json!({"revision": 1, "name": "试点", "cards": cards(&["mobile.pv", "collab.dau"])}),
            )
            .await)
        .await;
    assert_eq!((edited["revision"].as_i64(), edited["draftChanged"].as_bool()), (Some(2), Some(true)));
    let home = a.ok(a.app.get_as(&a.official, "/api/v1/home").await).await;
    assert_eq!(metrics_of(&home), vec!["collab.msg_total"]);
    // …until published.
    let v2 = a.ok(a.app.post_as(&a.province, &format!("{path}/publish"), json!({"revision": 2})).await).await;
    assert_eq!(v2["version"], 2);
    let home = a.ok(a.app.get_as(&a.official, "/api/v1/home").await).await;
    assert_eq!(
        (home["cardSet"]["version"].as_i64(), metrics_of(&home)),
        (Some(2), vec!["mobile.pv".into(), "collab.dau".into()])
    );

    // Restoring version 1 publishes it again, as version 3.
    let restored = a.ok(a.app.post_as(&a.province, &format!("{path}/restore"), json!({"version": 1})).await).await;
    assert_eq!(restored["version"], 3);
    assert_eq!(restored["cards"][0]["metric"], "collab.msg_total");
    let home = a.ok(a.app.get_as(&a.official, "/api/v1/home").await).await;
    assert_eq!(
        (home["cardSet"]["version"].as_i64(), metrics_of(&home)),
        (Some(3), vec!["collab.msg_total".to_owned()])
    );
    let versions = a.ok(a.app.get_as(&a.province, &format!("{path}/versions")).await).await;
    assert_eq!(versions["items"].as_array().unwrap().len(), 3);
    let body = assert_error(
        a.app.post_as(&a.province, &format!("{path}/restore"), json!({"version": 9})).await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_eq!(body["param"], "version");
}

#[tokio::test]
async fn cards_are_reordered_by_id() {
    let a = admins().await;
    let set = a
        .create(&a.province, json!({"name": "排序", "cards": cards(&["collab.msg_total", "mobile.pv", "collab.dau"])}))
        .await;
    let id = set["id"].as_i64().unwrap();
    let ids: Vec<i64> = set["cards"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    let path = format!("/api/v1/admin/card-sets/{id}/reorder");

    let moved =
        a.ok(a.app.post_as(&a.province, &path, json!({"revision": 1, "cards": [ids[2], ids[0], ids[1]]})).await).await;

    let order: Vec<&str> = moved["cards"].as_array().unwrap().iter().map(|c| c["metric"].as_str().unwrap()).collect();
    assert_eq!(order, vec!["collab.dau", "collab.msg_total", "mobile.pv"]);
    assert_eq!(moved["revision"], 2);
    let body = assert_error(
        a.app.post_as(&a.province, &path, json!({"revision": 2, "cards": [ids[0], ids[1]]})).await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_eq!(body["param"], "cards");
}

#[tokio::test]
async fn every_bad_card_is_refused_naming_its_field() {
    let a = admins().await;
    let bad = |cards: Value| json!({"name": "坏", "cards": cards});
    for (body, param) in [
        (
            bad(json!([{"metric": "collab.msg_total"}, {"metric": "mobile.pv"}, {"metric": "no.such"}])),
            "cards[2].metric",
        ),
        (
            bad(json!([{"metric": "collab.msg_total", "position": 1}, {"metric": "mobile.pv", "position": 1}])),
            "cards[1].position",
        ),
        (bad(json!([{"metric": "collab.msg_total", "target": -5}])), "cards[0].target"),
        (bad(json!([{"metric": "collab.activation_rate", "comparison": "target", "target": 95}])), "cards[0].target"),
        (bad(json!([{"metric": "collab.activation_rate", "comparison": "target"}])), "cards[0].target"),
        (bad(json!([{"metric": "collab.msg_total", "comparison": "mom"}])), "cards[0].comparison"),
        (bad(json!([{"metric": "collab.msg_total"}, {"metric": "mobile.pv", "sparkLen": 1}])), "cards[1].sparkLen"),
        (bad(json!([])), "cards"),
        (json!({"name": "", "cards": cards(&["mobile.pv"])}), "name"),
        (json!({"name": "x", "defaultGrain": "decade", "cards": cards(&["mobile.pv"])}), "defaultGrain"),
    ] {
        let res = a.app.post_as(&a.province, "/api/v1/admin/card-sets", body.clone()).await;
        let err = assert_error(res, 400, "invalid_parameter").await;
        assert_eq!(err["param"], param, "{body}: {err}");
    }
    // A rate's target as a fraction is fine.
    a.create(&a.province, bad(json!([{"metric": "collab.activation_rate", "comparison": "target", "target": 0.95}])))
        .await;
    // Unknown fields and malformed JSON.
    let res =
        a.app.post_as(&a.province, "/api/v1/admin/card-sets", json!({"name": "x", "cards": [], "colour": "red"})).await;
    let err = assert_error(res, 400, "invalid_body").await;
    assert!(err["message"].as_str().unwrap().contains("colour"), "{err}");
    let res = a
        .app
        .client
        .post(a.app.url("/api/v1/admin/card-sets"))
        .bearer_auth(&a.province)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_error(res, 400, "invalid_body").await;
    let res = a
        .app
        .client
        .post(a.app.url("/api/v1/admin/card-sets/1/publish"))
        .bearer_auth(&a.province)
        .header("content-type", "application/json")
        .body("{\"revison\": 1}")
        .send()
        .await
        .unwrap();
    assert_error(res, 400, "invalid_body").await;
}

#[tokio::test]
async fn two_administrators_editing_one_set_never_overwrite_each_other() {
    let a = admins().await;
    let set = a.create(&a.province, json!({"name": "并发", "cards": cards(&["collab.msg_total"])})).await;
    let path = format!("/api/v1/admin/card-sets/{}", set["id"]);
    let edit = |title: &str, revision: Option<i64>| {
        let mut body = json!({"name": "并发", "cards": [{"metric": "collab.msg_total", "title": title}]});
        if let Some(r) = revision {
            body["revision"] = r.into();
        }
        body
    };

    // Both loaded revision 1 and fire at once: exactly one wins.
    let (one, two) = tokio::join!(
        a.app.post_as(&a.province, &path, edit("甲", Some(1))),
        a.app.post_as(&a.province, &path, edit("乙", Some(1)))
    );
    let mut statuses = [one.status().as_u16(), two.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    let loser = if one.status().as_u16() == 409 { one } else { two };
    assert_error(loser, 409, "conflict").await;
    let now = a.ok(a.app.get_as(&a.province, &path).await).await;
    assert_eq!(now["revision"], 2);

    // A stale revision through If-Match, and an edit that names none.
    let res = a
        .app
        .client
        .post(a.app.url(&path))
        .bearer_auth(&a.province)
        .header("If-Match", "\"1\"")
        .json(&edit("丙", None))
        .send()
        .await
        .unwrap();
    assert_error(res, 409, "conflict").await;
    let res = a
        .app
        .client
        .post(a.app.url(&path))
        .bearer_auth(&a.province)
        .header("If-Match", "\"2\"")
        .json(&edit("丙", None))
        .send()
        .await
        .unwrap();
    assert_eq!(a.ok(res).await["revision"], 3);
    let err = assert_error(a.app.post_as(&a.province, &path, edit("丁", None)).await, 400, "invalid_parameter").await;
    assert_eq!(err["param"], "revision");
    // Publishing a revision that has moved on is refused too.
    assert_error(a.app.post_as(&a.province, &format!("{path}/publish"), json!({"revision": 2})).await, 409, "conflict")
        .await;
}

#[tokio::test]
async fn administrators_act_only_inside_their_scope() {
    let a = admins().await;
    // The 明州 administrator may curate for 明州…
    let set = a.create(&a.mingzhou, json!({"name": "明州", "cards": cards(&["collab.msg_total"])})).await;
    let id = set["id"].as_i64().unwrap();
    let path = format!("/api/v1/admin/card-sets/{id}");
    a.ok(a
        .app
        .post_as(
            &a.mingzhou,
            &format!("{path}/assignments"),
            json!({"orgs": [fixture::DONGCHENG], "users": [a.official_id]}),
        )
        .await)
        .await;
    // …but not assign outside it, nor to someone outside it.
    let err = assert_error(
        a.app.post_as(&a.mingzhou, &format!("{path}/assignments"), json!({"orgs": [MINGZHOU, LINJIANG]})).await,
        403,
        "out_of_scope",
    )
    .await;
    assert_eq!(err["param"], "orgs[1]");
    let err = assert_error(
        a.app.post_as(&a.mingzhou, &format!("{path}/assignments"), json!({"users": [a.linjiang_id]})).await,
        403,
        "out_of_scope",
    )
    .await;
    assert_eq!(err["param"], "users[0]");
    let err = assert_error(
        a.app.post_as(&a.mingzhou, &format!("{path}/assignments"), json!({"orgs": [999]})).await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_eq!(err["param"], "orgs[0]");
    // The default set and sets assigned beyond its scope are not its to change.
    assert_error(a.app.post_as(&a.mingzhou, "/api/v1/admin/card-sets/1/publish", json!({})).await, 403, "forbidden")
        .await;
    a.ok(a.app.post_as(&a.province, &format!("{path}/assignments"), json!({"orgs": [LINJIANG]})).await).await;
    // Now straddling the boundary, the set is neither listed to nor readable by 明州's admin.
    let list = a.ok(a.app.get_as(&a.mingzhou, "/api/v1/admin/card-sets").await).await;
    assert!(list["items"].as_array().unwrap().iter().all(|s| s["id"].as_i64() != Some(id)), "{list}");
    assert_error(a.app.get_as(&a.mingzhou, &path).await, 403, "forbidden").await;
    assert_error(a.app.post_as(&a.mingzhou, &format!("{path}/publish"), json!({})).await, 403, "forbidden").await;
    // Preview: only users and orgs inside the scope.
    let err = assert_error(
        a.app.get_as(&a.mingzhou, &format!("/api/v1/admin/preview?user={}", a.linjiang_id)).await,
        403,
        "out_of_scope",
    )
    .await;
    assert_eq!(err["param"], "user");
    let err = assert_error(
        a.app.get_as(&a.mingzhou, &format!("/api/v1/admin/preview?user={}&org={PROVINCE}", a.official_id)).await,
        403,
        "out_of_scope",
    )
    .await;
    assert_eq!(err["param"], "org");
    // Removing an assignment.
    let after = a
        .ok(a.app.post_as(&a.province, &format!("{path}/assignments/remove"), json!({"orgs": [LINJIANG]})).await)
        .await;
    assert_eq!(after["assignedOrgs"], json!([fixture::DONGCHENG]));
}

#[tokio::test]
async fn viewers_and_strangers_are_kept_out_of_every_admin_endpoint() {
    let a = admins().await;
    let gets = [
        "/api/v1/admin/card-sets",
        "/api/v1/admin/card-sets/1",
        "/api/v1/admin/card-sets/1/versions",
        "/api/v1/admin/users",
        "/api/v1/admin/users/1",
        "/api/v1/admin/metrics",
        "/api/v1/admin/preview?user=1",
        "/api/v1/admin/audit",
    ];
    let posts = [
        "/api/v1/admin/card-sets",
        "/api/v1/admin/card-sets/1",
        "/api/v1/admin/card-sets/1/reorder",
        "/api/v1/admin/card-sets/1/publish",
        "/api/v1/admin/card-sets/1/restore",
        "/api/v1/admin/card-sets/1/assignments",
        "/api/v1/admin/card-sets/1/assignments/remove",
        "/api/v1/admin/users/1",
        "/api/v1/admin/users/1/scopes",
        "/api/v1/admin/metrics/collab.msg_total",
    ];
    for path in gets {
        assert_error(a.app.get_as(&a.official, path).await, 403, "forbidden").await;
        assert_error(a.app.get(path).await, 401, "unauthenticated").await;
    }
    for path in posts {
        assert_error(a.app.post_as(&a.official, path, json!({})).await, 403, "forbidden").await;
    }
    // Nothing changed.
    let home = a.ok(a.app.get_as(&a.official, "/api/v1/home").await).await;
    assert_eq!(home["cardSet"]["version"], 1);
}

#[tokio::test]
async fn only_a_set_that_reaches_nobody_can_be_deleted() {
    let a = admins().await;
    let delete = |token: &str, id: i64, if_match: Option<&str>| {
        let mut req = a.app.client.delete(a.app.url(&format!("/api/v1/admin/card-sets/{id}"))).bearer_auth(token);
        if let Some(tag) = if_match {
            req = req.header("If-Match", tag);
        }
        req.send()
    };
    let set = a.create(&a.province, json!({"name": "临时", "cards": cards(&["collab.msg_total"])})).await;
    let id = set["id"].as_i64().unwrap();
    a.ok(a.app.post_as(&a.province, &format!("/api/v1/admin/card-sets/{id}/publish"), json!({})).await).await;
    a.ok(a
        .app
        .post_as(&a.province, &format!("/api/v1/admin/card-sets/{id}/assignments"), json!({"orgs": [MINGZHOU]}))
        .await)
        .await;

    // The default set is everyone's fallback; an assigned set still reaches 明州's officials.
    assert_error(delete(&a.province, 1, None).await.unwrap(), 409, "conflict").await;
    let err = assert_error(delete(&a.province, id, None).await.unwrap(), 409, "conflict").await;
    assert!(err["message"].as_str().unwrap().contains("assigned"), "{err}");
    let home = a.ok(a.app.get_as(&a.official, "/api/v1/home").await).await;
    assert_eq!(home["cardSet"]["id"].as_i64(), Some(id), "nothing was lost");
    // Viewers never delete.
    assert_error(delete(&a.official, id, None).await.unwrap(), 403, "forbidden").await;

    a.ok(a
        .app
        .post_as(&a.province, &format!("/api/v1/admin/card-sets/{id}/assignments/remove"), json!({"orgs": [MINGZHOU]}))
        .await)
        .await;
    // A stale revision is refused, as for any edit.
    assert_error(delete(&a.province, id, Some("\"99\"")).await.unwrap(), 409, "conflict").await;

    let res = delete(&a.province, id, Some(&format!("\"{}\"", set["revision"]))).await.unwrap();
    assert_eq!(res.status().as_u16(), 204);
    assert_error(a.app.get_as(&a.province, &format!("/api/v1/admin/card-sets/{id}")).await, 404, "not_found").await;
    // Its cards and published versions went with it.
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let id32 = i32::try_from(id).unwrap();
    let versions = entities::card_set_version::Entity::find()
        .filter(entities::card_set_version::Column::CardSetId.eq(id32))
        .count(&a.app.db)
        .await
        .unwrap();
    let cards = entities::card::Entity::find().filter(entities::card::Column::CardSetId.eq(id32)).count(&a.app.db);
    assert_eq!((versions, cards.await.unwrap()), (0, 0));
    let home = a.ok(a.app.get_as(&a.official, "/api/v1/home").await).await;
    assert_eq!(home["cardSet"]["id"], 1, "back on the default set");
    let audit = a.ok(a.app.get_as(&a.province, "/api/v1/admin/audit?action=card_set.delete").await).await;
    assert_eq!(audit["items"][0]["target"], format!("card_set:{id}"));
    assert_eq!(audit["items"][0]["before"]["name"], "临时");
}

/// Administrators saving at the same moment all succeed: on SQLite a transaction that reads
/// before it writes would otherwise fail with "database is locked" (a 500) when another one
/// committed in between.
#[tokio::test]
async fn administrators_saving_at_once_all_succeed() {
    let a = admins().await;
    let mut saves = tokio::task::JoinSet::new();
    for i in 0..24 {
        let (client, token, base) = (a.app.client.clone(), a.province.clone(), a.app.url("/api/v1/admin/card-sets"));
        saves.spawn(async move {
            let body = json!({"name": format!("并发{i}"), "cards": [{"metric": "collab.msg_total"}]});
            let res = client.post(&base).bearer_auth(&token).json(&body).send().await.unwrap();
            let status = res.status().as_u16();
            let set: Value = res.json().await.unwrap();
            if status != 201 {
                return (status, set.to_string());
            }
            let publish = format!("{base}/{}/publish", set["id"]);
            let res = client.post(&publish).bearer_auth(&token).json(&json!({})).send().await.unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        });
    }
    while let Some(done) = saves.join_next().await {
        let (status, body) = done.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    let sets = a.app.json_as(&a.province, "/api/v1/admin/card-sets").await.to_string();
    assert!((0..24).all(|i| sets.contains(&format!("并发{i}"))), "every set was stored");
}
