//! The one authorization policy, walked over the whole route table: every admin route ×
//! {province admin, scoped admin, viewer} × {target inside, outside, straddling the scoped
//! admin's subtree}. A route added to the table without a row here fails the test.

use entities::ids::{OrgId, UserId};
use std::collections::BTreeSet;

use entities::user_org;
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};

use crate::admin_card_sets::{Admins, admins};
use crate::fixture::{self, DC_BUREAU, DONGCHENG, LINJIANG, MINGZHOU, XIHU};
use crate::helpers::assert_error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Inside,
    Outside,
    Straddling,
}

const PLACES: [Place; 3] = [Place::Inside, Place::Outside, Place::Straddling];

/// Who may call a route, by the scoped (明州) administrator's view of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Any administrator; what they see is filtered to their subtree.
    AnyAdmin,
    /// Only on targets wholly inside the administrator's subtree.
    Subtree,
    /// Only a province-level administrator.
    Province,
}

/// Users and sets placed inside, outside and across 明州.
struct World {
    a: Admins,
    users: [(Place, i32); 3],
}

impl World {
    fn user(&self, place: Place) -> i32 {
        self.users.iter().find(|(p, _)| *p == place).map(|(_, id)| *id).unwrap()
    }

    fn orgs(place: Place) -> Vec<i32> {
        match place {
            Place::Inside => vec![DONGCHENG],
            Place::Outside => vec![LINJIANG],
            Place::Straddling => vec![DONGCHENG, LINJIANG],
        }
    }

    /// A fresh card set, made by the province admin, assigned to the place's orgs.
    async fn set(&self, place: Place) -> i64 {
        let set =
            self.a.create(&self.a.province, json!({"name": "矩阵", "cards": [{"metric": "collab.msg_total"}]})).await;
        let id = set["id"].as_i64().unwrap();
        let path = format!("/api/v1/admin/card-sets/{id}");
        self.a.ok(self.a.app.post_as(&self.a.province, &format!("{path}/publish"), json!({})).await).await;
        self.a
            .ok(self
                .a
                .app
                .post_as(&self.a.province, &format!("{path}/assignments"), json!({"orgs": Self::orgs(place)}))
                .await)
            .await;
        id
    }

    /// A fresh open-data application, registered by the province admin on the place's orgs.
    async fn open_app(&self, place: Place) -> i64 {
        let body = json!({
            "name": "矩阵应用", "metrics": ["collab.msg_total"], "orgs": Self::orgs(place),
            "ratePerSecond": 10, "dailyQuota": 100
        });
        let app = self.a.ok(self.a.app.post_as(&self.a.province, "/api/v1/admin/open-apps", body).await).await;
        app["id"].as_i64().unwrap()
    }
}

async fn world() -> World {
    let a = admins().await;
    let db = &a.app.db;
    let inside = fixture::add_user(db, "in-dc", "viewer", &[DONGCHENG], true).await;
    let outside = fixture::add_user(db, "out-lj", "viewer", &[LINJIANG], true).await;
    // A 临江 official who is also a member of a 明州 department: the escalation's way in.
    let straddling = fixture::add_user(db, "both", "viewer", &[LINJIANG], true).await;
    user_org::ActiveModel { user_id: Set(UserId(straddling)), org_id: Set(OrgId(DC_BUREAU)), leader: Set(false) }
        .insert(db)
        .await
        .unwrap();
    a.app.state.reload().await.unwrap();
    World { a, users: [(Place::Inside, inside), (Place::Outside, outside), (Place::Straddling, straddling)] }
}

/// The request a route gets for a target in `place`: method, path and body.
async fn request(w: &World, method: &Method, route: &str, place: Place) -> (String, Option<Value>) {
    let user = w.user(place);
    let body = |v: Value| if *method == Method::GET { None } else { Some(v) };
    let path = if route.contains("/card-sets/{id}") {
        route.replace("{id}", &w.set(place).await.to_string())
    } else if route.contains("/open-apps/{id}") {
        route.replace("{id}", &w.open_app(place).await.to_string())
    } else {
        route.replace("{id}", &user.to_string()).replace("{code}", "collab.msg_total").replace("{source}", "feed")
    };
    let payload = match route {
        "/api/v1/admin/card-sets" => json!({"name": "新", "cards": [{"metric": "collab.msg_total"}]}),
        "/api/v1/admin/card-sets/{id}" => json!({"revision": 1, "name": "改", "cards": [{"metric": "mobile.pv"}]}),
        "/api/v1/admin/card-sets/{id}/reorder" => json!({"revision": 1, "cards": [1]}),
        "/api/v1/admin/card-sets/{id}/restore" => json!({"version": 1}),
        "/api/v1/admin/card-sets/{id}/assignments" | "/api/v1/admin/card-sets/{id}/assignments/remove" => {
            json!({"orgs": [XIHU]})
        }
        "/api/v1/admin/users/{id}" => json!({"active": true}),
        "/api/v1/admin/users/{id}/scopes" => json!({"grant": [XIHU]}),
        "/api/v1/admin/metrics/{code}" => json!({"active": true}),
        "/api/v1/admin/calendar" => json!({"days": [{"date": "2026-10-01", "kind": "holiday", "name": "国庆"}]}),
        "/api/v1/admin/briefings/run" => json!({"date": fixture::D}),
        "/api/v1/admin/briefings/resend" => json!({"date": fixture::D, "users": [user]}),
        // A rule for an org inside, outside, or for everyone (which reaches across the boundary).
        "/api/v1/admin/boards/rules" => {
            let audience = match place {
                Place::Inside => json!(DONGCHENG),
                Place::Outside => json!(LINJIANG),
                Place::Straddling => Value::Null,
            };
            json!({"audienceOrgId": audience, "board": "mobile", "hidden": false})
        }
        "/api/v1/admin/open-apps" | "/api/v1/admin/open-apps/{id}" => json!({
            "name": "应用", "metrics": ["collab.msg_total"], "orgs": [DONGCHENG], "ratePerSecond": 10, "dailyQuota": 100
        }),
        _ => json!({}),
    };
    let path = match route {
        "/api/v1/admin/preview" => format!("{path}?user={user}"),
        "/api/v1/admin/sync/rejected" => format!("{path}?run=1"),
        _ => path,
    };
    (path, body(payload))
}

fn rule(method: &Method, route: &str) -> Option<Rule> {
    use Rule::*;
    let get = *method == Method::GET;
    Some(match route {
        "/api/v1/admin/card-sets" | "/api/v1/admin/users" | "/api/v1/admin/audit" | "/api/v1/admin/briefings" => {
            AnyAdmin
        }
        "/api/v1/admin/metrics" => AnyAdmin,
        "/api/v1/admin/calendar" if get => AnyAdmin,
        "/api/v1/admin/calendar" => Province,
        "/api/v1/admin/metrics/{code}" => Province,
        "/api/v1/admin/sync/runs"
        | "/api/v1/admin/sync/runs/{id}"
        | "/api/v1/admin/sync/rejected"
        | "/api/v1/admin/sync/{source}/run" => Province,
        // A scoped administrator's run reaches their own subtree only (checked below).
        "/api/v1/admin/briefings/run" => AnyAdmin,
        "/api/v1/admin/briefings/resend" => Subtree,
        "/api/v1/admin/preview" => Subtree,
        "/api/v1/admin/boards/rules" if get => AnyAdmin,
        "/api/v1/admin/boards/rules" => Subtree,
        r if r.starts_with("/api/v1/admin/card-sets/{id}") => Subtree,
        r if r.starts_with("/api/v1/admin/users/{id}") => Subtree,
        // Listed within the subtree; registered only on orgs inside it (the payload's are).
        "/api/v1/admin/open-apps" => AnyAdmin,
        r if r.starts_with("/api/v1/admin/open-apps/{id}") => Subtree,
        _ => return None,
    })
}

fn allowed(status: u16) -> bool {
    !matches!(status, 401 | 403) && status < 500
}

#[tokio::test]
async fn every_admin_route_asks_the_one_policy() {
    let w = world().await;
    let routes: Vec<(Method, &str)> = canmou::startup::route_list()
        .into_iter()
        .filter(|(_, path)| path.starts_with("/api/v1/admin"))
        .map(|(m, p)| (Method::from_bytes(m.as_str().as_bytes()).unwrap(), p))
        .collect();
    assert!(routes.len() >= 25, "the route table lists the admin routes");
    let mut failures = Vec::new();
    for (method, route) in &routes {
        let Some(rule) = rule(method, route) else {
            failures.push(format!("{method} {route}: no rule in the matrix — add one"));
            continue;
        };
        let places: &[Place] = if route.contains('{') || *route == "/api/v1/admin/preview" || route.ends_with("/resend")
        {
            &PLACES
        } else {
            &[Place::Inside]
        };
        for place in places {
            for (who, token) in [("province", &w.a.province), ("scoped", &w.a.mingzhou), ("viewer", &w.a.official)] {
                let (path, body) = request(&w, method, route, *place).await;
                let mut req = w.a.app.client.request(method.clone(), w.a.app.url(&path)).bearer_auth(token);
                if let Some(b) = body {
                    req = req.json(&b);
                }
                let status = req.send().await.unwrap().status().as_u16();
                let expect_allowed = match (who, rule) {
                    ("viewer", _) => false,
                    ("province", _) => true,
                    (_, Rule::AnyAdmin) => true,
                    (_, Rule::Province) => false,
                    (_, Rule::Subtree) => *place == Place::Inside,
                };
                let ok = if expect_allowed { allowed(status) } else { status == 403 };
                if !ok {
                    failures.push(format!(
                        "{method} {path} ({route}) as {who}, target {place:?}: {status}, expected {}",
                        if expect_allowed { "allowed" } else { "403" }
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn a_scoped_admin_cannot_promote_a_user_who_reaches_beyond_their_subtree() {
    let w = world().await;
    let both = w.user(Place::Straddling);
    // The escalation: make the 临江-and-明州 official an admin, who then grants 临江 back.
    let promote =
        w.a.app.post_as(&w.a.mingzhou, &format!("/api/v1/admin/users/{both}"), json!({"role": "admin"})).await;
    let err = assert_error(promote, 403, "out_of_scope").await;
    assert_eq!(err["param"], "id");
    let grant =
        w.a.app
            .post_as(&w.a.mingzhou, &format!("/api/v1/admin/users/{both}/scopes"), json!({"grant": [DONGCHENG]}))
            .await;
    assert_error(grant, 403, "out_of_scope").await;
    // Nor may it grant anyone, itself included, a scope outside its own.
    let me =
        w.a.ok(w.a.app.get_as(&w.a.province, "/api/v1/admin/users?q=mz-admin").await).await["items"][0]["id"].clone();
    let widen =
        w.a.app.post_as(&w.a.mingzhou, &format!("/api/v1/admin/users/{me}/scopes"), json!({"grant": [LINJIANG]})).await;
    let err = assert_error(widen, 403, "out_of_scope").await;
    assert_eq!(err["param"], "grant[0]");
    // Nothing changed: the user is still a viewer with their own scope only.
    let user = w.a.ok(w.a.app.get_as(&w.a.province, &format!("/api/v1/admin/users/{both}")).await).await;
    assert_eq!(user["role"], "viewer");
    let scopes: BTreeSet<i64> = user["scopes"].as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect();
    assert_eq!(scopes, BTreeSet::from([i64::from(LINJIANG)]));
    // Inside its subtree the scoped admin may still manage users.
    let inside = w.user(Place::Inside);
    w.a.ok(w.a.app.post_as(&w.a.mingzhou, &format!("/api/v1/admin/users/{inside}"), json!({"role": "admin"})).await)
        .await;
    let listed = w.a.ok(w.a.app.get_as(&w.a.mingzhou, "/api/v1/admin/users?pageSize=200").await).await;
    let ids: BTreeSet<i64> = listed["items"].as_array().unwrap().iter().map(|u| u["id"].as_i64().unwrap()).collect();
    assert!(ids.contains(&i64::from(inside)) && !ids.contains(&i64::from(both)), "{listed}");
}

#[tokio::test]
async fn a_scoped_admin_reads_only_the_audit_and_drafts_of_their_subtree() {
    let w = world().await;
    let outside = w.user(Place::Outside);
    let inside = w.user(Place::Inside);
    w.a.ok(w.a.app.post_as(&w.a.province, &format!("/api/v1/admin/users/{outside}"), json!({"active": true})).await)
        .await;
    w.a.ok(w.a.app.post_as(&w.a.province, &format!("/api/v1/admin/users/{inside}"), json!({"active": true})).await)
        .await;
    w.a.ok(w
        .a
        .app
        .post_as(&w.a.province, "/api/v1/admin/calendar", json!({"days": [{"date": "2026-10-02", "kind": "holiday"}]}))
        .await)
        .await;
    let draft = w.a.create(&w.a.province, json!({"name": "省草稿", "cards": [{"metric": "collab.msg_total"}]})).await;

    let audit = w.a.ok(w.a.app.get_as(&w.a.mingzhou, "/api/v1/admin/audit").await).await;
    let targets: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["target"].as_str().unwrap()).collect();
    assert_eq!(targets, vec![format!("user:{inside}")], "{audit}");
    let all = w.a.ok(w.a.app.get_as(&w.a.province, "/api/v1/admin/audit").await).await;
    assert!(all["total"].as_u64().unwrap() >= 4, "{all}");

    // Another administrator's unassigned draft is neither listed, readable nor editable.
    let id = draft["id"].as_i64().unwrap();
    let sets = w.a.ok(w.a.app.get_as(&w.a.mingzhou, "/api/v1/admin/card-sets").await).await;
    assert!(sets["items"].as_array().unwrap().iter().all(|s| s["id"].as_i64() != Some(id)), "{sets}");
    let path = format!("/api/v1/admin/card-sets/{id}");
    let edit =
        w.a.app
            .post_as(&w.a.mingzhou, &path, json!({"revision": 1, "name": "x", "cards": [{"metric": "mobile.pv"}]}))
            .await;
    assert_error(edit, 403, "forbidden").await;
    let delete =
        w.a.app.client.delete(w.a.app.url(&format!("/api/v1/admin/card-sets/{id}"))).bearer_auth(&w.a.mingzhou);
    assert_error(delete.send().await.unwrap(), 403, "forbidden").await;
    // Its own draft is its own.
    let mine = w.a.create(&w.a.mingzhou, json!({"name": "明州草稿", "cards": [{"metric": "collab.msg_total"}]})).await;
    let path = format!("/api/v1/admin/card-sets/{}", mine["id"]);
    w.a.ok(w
        .a
        .app
        .post_as(&w.a.mingzhou, &path, json!({"revision": 1, "name": "明州草稿2", "cards": [{"metric": "mobile.pv"}]}))
        .await)
        .await;
}

#[tokio::test]
async fn an_administrator_signs_a_user_out_everywhere_and_deactivation_bites_at_once() {
    let w = world().await;
    let inside = w.user(Place::Inside);
    let token = fixture::token(&w.a.app.db, &w.a.app.settings, inside).await;
    let me = |t: String| {
        let client = w.a.app.client.clone();
        let url = w.a.app.url("/api/v1/me");
        async move { client.get(url).bearer_auth(t).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(me(token.clone()).await, 200);
    let revoked = w
        .a
        .ok(w.a.app.post_as(&w.a.mingzhou, &format!("/api/v1/admin/users/{inside}/sessions/revoke"), json!({})).await)
        .await;
    assert_eq!(revoked["revoked"], 1);
    assert_eq!(me(token).await, 401);

    let fresh = fixture::token(&w.a.app.db, &w.a.app.settings, inside).await;
    assert_eq!(me(fresh.clone()).await, 200);
    w.a.ok(w.a.app.post_as(&w.a.mingzhou, &format!("/api/v1/admin/users/{inside}"), json!({"active": false})).await)
        .await;
    assert_eq!(me(fresh).await, 401, "deactivation takes effect on the next request");
    let _ = MINGZHOU;
}

/// An administrator's card title reaches a viewer's download as text, never as a formula.
#[tokio::test]
async fn a_card_title_cannot_plant_a_formula_in_a_viewers_export() {
    let w = world().await;
    let title = "=HYPERLINK(\"http://e.x\",\"点\")";
    let set =
        w.a.create(&w.a.province, json!({"name": "注入", "cards": [{"metric": "collab.msg_total", "title": title}]}))
            .await;
    let path = format!("/api/v1/admin/card-sets/{}", set["id"]);
    w.a.ok(w.a.app.post_as(&w.a.province, &format!("{path}/publish"), json!({})).await).await;
    w.a.ok(w.a.app.post_as(&w.a.province, &format!("{path}/assignments"), json!({"orgs": [MINGZHOU]})).await).await;
    let csv = w.a.app.get_as(&w.a.official, "/api/v1/exports/home.csv").await;
    assert_eq!(csv.status().as_u16(), 200);
    let text = csv.text().await.unwrap();
    assert!(text.contains("'=HYPERLINK"), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("=HYPERLINK") || l.contains(",=HYPERLINK")), "{text}");
}
