//! Directory sync, driven directly against the DingTalk sandbox and a fresh database.

use canmou::config::{DemoScale, DingtalkSettings};
use canmou::dingtalk::DingTalkClient;
use canmou::store::directory::Changes;
use canmou::workers::RunTrigger;
use canmou::workers::directory::{RunReport, run};
use canmou_sandboxes::dingtalk::{Directory, SandboxOptions};
use chrono::Utc;
use entities::{data_version, fact, org, scope, sync_run, user, user_org};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::json;

use crate::helpers::{TestDb, migrated_db};
use crate::sandbox::{Sandbox, department, user};
use entities::sync_run::RunStatus;

/// 东海省 (1) ─ 明州市 (2) ─ 大数据局 (3); 临江市 (4) ─ 民政局 (5). Alice leads 2, Erin leads
/// 4 and belongs to 5; Carol's profile lacks e-mail and avatar.
fn province() -> Directory {
    let mut d = Directory::with_root("东海省");
    d.upsert_department(department(2, 1, "明州市"));
    d.upsert_department(department(3, 2, "明州市大数据局"));
    d.upsert_department(department(4, 1, "临江市"));
    d.upsert_department(department(5, 4, "临江市民政局"));
    let mut alice = user("alice", &[2]);
    alice.leader_of = vec![2];
    let mut carol = user("carol", &[3]);
    carol.email.clear();
    carol.avatar.clear();
    let mut erin = user("erin", &[4, 5]);
    erin.leader_of = vec![4];
    for u in [alice, user("bob", &[3]), carol, user("dave", &[5]), erin] {
        d.upsert_user(u);
    }
    d
}

struct World {
    sb: Sandbox,
    client: DingTalkClient,
    db: DatabaseConnection,
    _test_db: TestDb,
}

impl World {
    /// The sandbox without its rate limit and a client without pacing: these tests are about
    /// what is stored, not about pace.
    async fn new(directory: Directory) -> World {
        let sb = Sandbox::start_with(directory, SandboxOptions { qps: 0, ..SandboxOptions::default() }).await;
        let client = DingTalkClient::new(&DingtalkSettings { qps: 10_000, ..sb.settings() }).unwrap();
        let (test_db, db) = migrated_db().await;
        World { sb, client, db, _test_db: test_db }
    }

    async fn sync(&self) -> RunReport {
        run(&self.db, &self.client, RunTrigger::Manual, &chrono_tz::Asia::Shanghai).await.unwrap()
    }

    async fn org(&self, dept_id: i64) -> org::Model {
        org::Entity::find().filter(org::Column::DingtalkDeptId.eq(dept_id)).one(&self.db).await.unwrap().unwrap()
    }

    async fn user(&self, userid: &str) -> user::Model {
        user::Entity::find().filter(user::Column::DingtalkUserid.eq(userid)).one(&self.db).await.unwrap().unwrap()
    }

    /// `(org id, source)` of a user's scopes, sorted.
    async fn scopes(&self, userid: &str) -> Vec<(i32, String)> {
        let id = self.user(userid).await.id;
        let rows = scope::Entity::find().filter(scope::Column::UserId.eq(id)).all(&self.db).await.unwrap();
        let mut scopes: Vec<_> = rows.into_iter().map(|s| (s.org_id.get(), s.source.as_str().to_owned())).collect();
        scopes.sort();
        scopes
    }

    async fn completeness(&self, dept_id: i64) -> (Option<f64>, Option<f64>) {
        let org_id = self.org(dept_id).await.id;
        let today = canmou::domain::period::business_date(&chrono_tz::Asia::Shanghai, Utc::now());
        let row = fact::Entity::find()
            .filter(fact::Column::OrgId.eq(org_id))
            .filter(fact::Column::Grain.eq(0))
            .filter(fact::Column::PeriodStart.eq(canmou::domain::period::day_number(today)))
            .one(&self.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.origin, 2, "computed");
        (row.num, row.den)
    }

    async fn data_version(&self) -> i64 {
        data_version::Entity::find_by_id(1).one(&self.db).await.unwrap().unwrap().version
    }
}

#[tokio::test]
async fn the_first_sync_builds_the_tree_the_users_their_scopes_and_completeness() {
    let w = World::new(province()).await;
    let version = w.data_version().await;

    let report = w.sync().await;

    assert_eq!(report.status, RunStatus::Ok);
    assert_eq!((report.changes.orgs_created, report.changes.users_created), (5, 5));
    let (root, city, bureau) = (w.org(1).await, w.org(2).await, w.org(3).await);
    assert_eq!(bureau.path, format!("/{}/{}/{}/", root.id, city.id, bureau.id));
    assert_eq!((bureau.level, bureau.kind.as_str(), bureau.parent_id), (2, "department", Some(city.id)));
    assert_eq!(w.user("alice").await.role, entities::user::Role::Viewer);
    assert_eq!(w.scopes("alice").await, vec![(city.id.get(), "dingtalk".into())], "leaders see what they lead");
    assert_eq!(w.scopes("bob").await, vec![(bureau.id.get(), "dingtalk".into())], "others where they belong");
    assert_eq!(w.scopes("erin").await, vec![(w.org(4).await.id.get(), "dingtalk".into())]);
    let alice_in = user_org::Entity::find().filter(user_org::Column::UserId.eq(w.user("alice").await.id));
    assert!(alice_in.one(&w.db).await.unwrap().unwrap().leader);
    let carol = w.user("carol").await;
    assert!(carol.has_mobile && !carol.has_email && !carol.has_avatar && carol.has_position);
    // Bob has all 7 fields, Carol 5.
    assert_eq!(w.completeness(3).await, (Some(12.0), Some(14.0)));
    assert_eq!(w.completeness(1).await, (Some(33.0), Some(35.0)));
    assert!(w.data_version().await > version);
    let recorded = sync_run::Entity::find_by_id(report.run_id).one(&w.db).await.unwrap().unwrap();
    assert_eq!(
        (recorded.source.as_str(), recorded.status, recorded.trigger),
        ("directory", RunStatus::Ok, RunTrigger::Manual)
    );
    assert_eq!(recorded.detail.unwrap()["changes"]["users_created"], 5);
}

#[tokio::test]
async fn moves_renames_deletions_and_deactivations_in_dingtalk_are_followed() {
    let w = World::new(province()).await;
    w.sync().await;
    let bob = w.user("bob").await.id;
    let granted = scope::ActiveModel {
        user_id: Set(bob),
        org_id: Set(w.org(4).await.id),
        source: Set(entities::scope::ScopeSource::Admin),
        granted_by: Set(None),
        granted_at: Set(Utc::now().fixed_offset()),
    };
    granted.insert(&w.db).await.unwrap();
    w.sb.post("/_sandbox/departments", json!({ "dept_id": 3, "parent_id": 4, "name": "明州市大数据局" })).await;
    w.sb.post("/_sandbox/departments", json!({ "dept_id": 2, "parent_id": 1, "name": "明州市人民政府" })).await;
    w.sb.http.delete(w.sb.url("/_sandbox/departments/5")).send().await.unwrap();
    w.sb.post("/_sandbox/users/carol/deactivate", json!({})).await;

    let report = w.sync().await;

    assert_eq!(report.status, RunStatus::Ok);
    let (root, linjiang, bureau) = (w.org(1).await, w.org(4).await, w.org(3).await);
    assert_eq!(
        (bureau.parent_id, bureau.path.clone()),
        (Some(linjiang.id), format!("/{}/{}/{}/", root.id, linjiang.id, bureau.id))
    );
    assert_eq!(w.org(2).await.name, "明州市人民政府");
    assert!(!w.org(5).await.active, "deleted department");
    assert!(!w.user("carol").await.active, "deactivated");
    assert!(!w.user("dave").await.active, "vanished with his department");
    assert!(w.scopes("carol").await.is_empty());
    let mut expected = vec![(bureau.id.get(), "dingtalk".to_owned()), (linjiang.id.get(), "admin".to_owned())];
    expected.sort();
    assert_eq!(w.scopes("bob").await, expected, "the admin grant is kept");
    assert_eq!(
        (report.changes.orgs_updated, report.changes.orgs_deactivated, report.changes.users_deactivated),
        (2, 1, 2)
    );
    // 临江市 now holds Erin and, through the moved bureau, Bob.
    assert_eq!(w.completeness(4).await, (Some(14.0), Some(14.0)));
    assert_eq!(w.completeness(5).await, (Some(0.0), Some(0.0)), "a deleted department keeps no stale figure");
}

#[tokio::test]
async fn a_second_run_without_changes_changes_nothing() {
    let w = World::new(province()).await;
    w.sync().await;
    let version = w.data_version().await;
    let stamp = w.user("bob").await.updated_at;

    let again = w.sync().await;

    assert_eq!((again.status, again.changes), (RunStatus::Ok, Changes::default()));
    assert_eq!(w.data_version().await, version);
    assert_eq!(w.user("bob").await.updated_at, stamp);
    assert_eq!(sync_run::Entity::find().count(&w.db).await.unwrap(), 2);
}

#[tokio::test]
async fn a_failed_walk_changes_nothing_and_is_recorded() {
    let w = World::new(province()).await;
    w.sync().await;
    w.sb.post("/_sandbox/departments", json!({ "dept_id": 2, "parent_id": 1, "name": "改名" })).await;
    w.sb.fault(json!({ "path": "/topapi/v2/department/listsub", "errcode": 60011, "times": 10 })).await;

    let report = w.sync().await;

    assert_eq!(report.status, RunStatus::Failed);
    assert!(report.error.as_deref().unwrap_or("").contains("60011"), "{:?}", report.error);
    assert_eq!(w.org(2).await.name, "明州市");
    let recorded = sync_run::Entity::find_by_id(report.run_id).one(&w.db).await.unwrap().unwrap();
    assert_eq!(recorded.status, RunStatus::Failed);
    assert!(recorded.finished_at.is_some());
}

#[tokio::test]
async fn members_that_cannot_be_listed_make_the_run_partial_and_deactivate_no_one() {
    let w = World::new(province()).await;
    w.sync().await;
    w.sb.http.delete(w.sb.url("/_sandbox/users/bob")).send().await.unwrap();
    // The root is listed first: its members cannot be read this time.
    w.sb.fault(json!({ "path": "/topapi/v2/user/list", "errcode": 60011 })).await;

    let report = w.sync().await;

    assert_eq!((report.status, report.failed_departments.clone()), (RunStatus::Partial, vec![1]));
    assert!(w.user("bob").await.active, "not seen is not gone when the walk was partial");
    let recorded = sync_run::Entity::find_by_id(report.run_id).one(&w.db).await.unwrap().unwrap();
    assert_eq!(recorded.status, RunStatus::Partial);
}

#[tokio::test]
async fn five_thousand_users_at_twenty_calls_a_second_are_never_throttled() {
    let mut directory = Directory::with_root("东海省");
    for d in 0..50 {
        let dept_id = 1_000 + d;
        directory.upsert_department(department(dept_id, 1, &format!("部门{d}")));
        for k in 0..100 {
            directory.upsert_user(user(&format!("u{dept_id}-{k}"), &[dept_id]));
        }
    }
    // DingTalk's limit and the client's default pace: 20 calls a second each.
    let sb = Sandbox::start(directory).await;
    let client = DingTalkClient::new(&sb.settings()).unwrap();
    assert_eq!((sb.running.state.options().qps, sb.settings().qps), (20, 20));
    let (_test_db, db) = migrated_db().await;

    let report = run(&db, &client, RunTrigger::Manual, &chrono_tz::Asia::Shanghai).await.unwrap();

    assert_eq!((report.status, report.users), (RunStatus::Ok, 5_000));
    assert_eq!(user::Entity::find().count(&db).await.unwrap(), 5_000);
    let (_, throttled) = sb.stats("/gettoken").await;
    assert_eq!(throttled, 0, "the sandbox never answered 90018");
}

#[tokio::test]
async fn the_demo_directory_matches_the_demo_org_tree() {
    let nodes = canmou_demo::province::build(DemoScale::Standard);
    let w = World::new(canmou_demo::directory::build(DemoScale::Standard, 20261127)).await;
    canmou::store::orgs::insert_all(&w.db, &nodes).await.unwrap();

    let report = w.sync().await;

    assert_eq!(report.status, RunStatus::Ok);
    assert_eq!((report.changes.orgs_created, report.changes.orgs_updated), (0, 0), "every department is a known org");
    let mingzhou = org::Entity::find().filter(org::Column::Code.eq("900100")).one(&w.db).await.unwrap().unwrap();
    assert_eq!(w.scopes("demo-official").await, vec![(mingzhou.id.get(), "dingtalk".into())]);
    assert_eq!(w.scopes("demo-admin").await, vec![(1, "dingtalk".into())]);
    let (num, den) = w.completeness(1).await;
    assert!(num.unwrap() < den.unwrap() && num.unwrap() > 0.5 * den.unwrap(), "{num:?}/{den:?}");
}

/// The demo's generated history of 通讯录人数 and 信息完备度 is the demo directory's: the first
/// sync finds the figures already stored, for every org, and the people counts of the history
/// fit under the directory's headcount.
#[tokio::test]
async fn the_demo_history_agrees_with_the_first_directory_sync() {
    const SEED: u64 = 20261127;
    let nodes = canmou_demo::province::build(DemoScale::Standard);
    let w = World::new(canmou_demo::directory::build(DemoScale::Standard, SEED)).await;
    canmou::store::orgs::insert_all(&w.db, &nodes).await.unwrap();
    let tz = chrono_tz::Asia::Shanghai;
    let today = canmou::domain::period::business_date(&tz, Utc::now());
    canmou_demo::generate::facts(&w.db, &nodes, SEED, 2, today, &tz).await.unwrap();
    let figure = |code: &'static str, org_id: i32| {
        let db = w.db.clone();
        async move {
            let metric = entities::metric::Entity::find()
                .filter(entities::metric::Column::Code.eq(code))
                .one(&db)
                .await
                .unwrap()
                .unwrap();
            fact::Entity::find()
                .filter(fact::Column::MetricId.eq(metric.id))
                .filter(fact::Column::OrgId.eq(org_id))
                .filter(fact::Column::Grain.eq(0))
                .filter(fact::Column::PeriodStart.eq(canmou::domain::period::day_number(today)))
                .one(&db)
                .await
                .unwrap()
                .map(|f| (f.value, f.num, f.den))
        }
    };
    let mingzhou = nodes.iter().find(|n| n.code == "900100").unwrap().id.get();
    let generated = [
        figure("governance.directory_completeness", 1).await,
        figure("governance.directory_completeness", mingzhou).await,
    ];

    let report = w.sync().await;

    assert_eq!(report.status, RunStatus::Ok);
    assert_eq!(report.changes.facts_written, 0, "the sync found every completeness figure stored");
    let synced = [
        figure("governance.directory_completeness", 1).await,
        figure("governance.directory_completeness", mingzhou).await,
    ];
    assert_eq!(synced, generated);
    // 通讯录人数 is the directory's headcount: its active users, each counted once.
    let active = user::Entity::find().filter(user::Column::Active.eq(true)).count(&w.db).await.unwrap();
    let headcount = figure("collab.org_users", 1).await.and_then(|f| f.0).unwrap();
    assert_eq!(headcount, active as f64);
    let dau = figure("collab.dau", mingzhou).await.and_then(|f| f.0).unwrap();
    let staff = figure("collab.org_users", mingzhou).await.and_then(|f| f.0).unwrap();
    assert!(dau <= staff && staff < 1_000.0, "{dau} active of {staff}");
}
