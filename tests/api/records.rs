//! The records behind the numbers: the record sync against the feed sandbox (faults, replays,
//! corrections, tombstones, bad and personal records, a crash mid-run), their statistics as
//! metrics with drill-through links, and the query API (scope, filters, search, keyset pages,
//! columns, one record, downloads, bad input).

use std::time::Duration;

use canmou::domain::records::{KindSchema, RecordKind};
use canmou::store::sync;
use canmou::workers::{self, RunTrigger, records};
use canmou_sandboxes::feed::{self as sandbox, FaultSpec, Sandbox, Spawned};
use entities::{record_case, record_catalog, record_item, sync_run};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::fixture::{self, DC_BUREAU, LINJIANG, MINGZHOU, PROVINCE};
use crate::helpers::{TestApp, TestDb, assert_error, eventually, spawn_app_on, test_settings};
use entities::ids::OrgId;
use entities::sync_run::RunStatus;

const TOKEN: &str = "test-records-token";
/// The completion day the fixture's closed cases share.
const DAY: &str = "2026-11-20";
const STAMP: &str = "2026-11-21T01:10:00Z";
/// The day before `DAY`.
const EVE: &str = "2026-11-19";

struct Env {
    app: TestApp,
    feed: Spawned,
}

impl Env {
    fn ctx(&self) -> workers::Context {
        workers::Context::in_server(self.app.state.clone().into_inner())
    }

    fn sandbox(&self) -> &Sandbox {
        &self.feed.sandbox
    }

    async fn run(&self) -> records::Report {
        records::run(&self.ctx(), RunTrigger::Manual).await.unwrap()
    }

    async fn cases(&self) -> Vec<record_case::Model> {
        record_case::Entity::find().all(&self.app.db).await.unwrap()
    }

    async fn watermark(&self, kind: RecordKind) -> Option<String> {
        sync::state(&self.app.db, &records::state_source(kind)).await.unwrap().and_then(|s| s.watermark)
    }

    /// A signed-in viewer with the given scope.
    async fn viewer(&self, userid: &str, scope: &[i32]) -> String {
        let id = fixture::add_user(&self.app.db, userid, "viewer", scope, true).await;
        fixture::token(&self.app.db, &self.app.settings, id).await
    }
}

async fn env(tweak: impl FnOnce(&mut canmou::config::Settings)) -> Env {
    let feed = sandbox::spawn(Sandbox::with_rows(TOKEN, vec![], None)).await.unwrap();
    let test_db = TestDb::new().await;
    let mut settings = test_settings(&test_db);
    settings.feed.base_url = feed.base_url.clone();
    settings.feed.token = TOKEN.into();
    settings.feed.page_size = 50;
    tweak(&mut settings);
    let db = canmou::db::connect(&settings.database).await.unwrap();
    canmou::db::migrate(&db).await.unwrap();
    fixture::seed(&db).await;
    let app = spawn_app_on(test_db, settings, db).await;
    app.state.reload().await.unwrap();
    Env { app, feed }
}

fn catalog(id: &str, org: &str, name: &str, status: &str) -> Value {
    json!({"id": id, "org": org, "updatedAt": STAMP, "code": id.to_uppercase(), "name": name,
           "level": "county", "category": "行政许可", "status": status, "statusAt": "2026-10-01"})
}

fn item(id: &str, org: &str, name: &str, catalog: &str, implementation: &str, mobile: bool) -> Value {
    json!({"id": id, "org": org, "updatedAt": STAMP, "code": id.to_uppercase(), "name": name,
           "catalogCode": catalog.to_uppercase(), "implementation": implementation, "onlineLevel": if mobile { 4 } else { 1 },
           "mobile": mobile, "zeroVisit": mobile, "sharedFields": 6, "totalFields": 10, "sharedMaterials": 1,
           "totalMaterials": 4, "implementedAt": null})
}

/// A case completed on `DAY` after `days` working days against a promise of 3.
fn case(id: &str, org: &str, item: &str, days: i64, rating: Option<i64>) -> Value {
    json!({"id": id, "org": org, "updatedAt": STAMP, "caseNo": format!("NO-{id}"), "itemCode": item.to_uppercase(),
           "channel": "online", "applicantKind": "person", "acceptedAt": "2026-11-16T01:00:00Z",
           "completedAt": format!("{DAY}T08:00:00Z"), "legalDays": 10, "promisedDays": 3, "workingDays": days,
           "result": "completed", "rating": rating})
}

/// 明州 (2): 东城区大数据局 (7) and 明州市大数据局 (6); 临江 (3).
fn deliver_fixture(s: &Sandbox) {
    s.deliver_records(
        RecordKind::Catalog,
        vec![
            catalog("c1", "fx7", "食品经营许可", "published"),
            catalog("c2", "fx7", "公共数据开放申请", "draft"),
            catalog("c3", "fx6", "社会保障卡办理", "published"),
            catalog("c4", "fx3", "驾驶证补办", "published"),
        ],
    );
    s.deliver_records(
        RecordKind::Items,
        vec![
            item("s1", "fx7", "食品经营许可", "c1", "implemented", true),
            item("s2", "fx7", "公共数据开放申请", "c2", "decomposed", false),
            item("s3", "fx6", "社会保障卡办理", "c3", "implemented", true),
            item("s4", "fx3", "驾驶证补办", "c4", "not_started", false),
        ],
    );
    s.deliver_records(
        RecordKind::Cases,
        vec![
            case("k1", "fx7", "s1", 2, Some(5)),
            case("k2", "fx7", "s1", 5, Some(2)),
            case("k3", "fx7", "s2", 1, None),
            case("k4", "fx6", "s3", 3, Some(4)),
            case("k5", "fx6", "s3", 4, Some(5)),
            case("k6", "fx3", "s4", 9, Some(1)),
        ],
    );
}

async fn synced_env() -> Env {
    let env = env(|_| {}).await;
    deliver_fixture(env.sandbox());
    let report = env.run().await;
    assert_eq!(report.status, RunStatus::Ok, "{report:?}");
    env
}

#[tokio::test]
async fn a_record_sync_stores_every_kind_and_a_replay_changes_nothing() {
    // Arrange
    let env = env(|s| s.feed.page_size = 4).await;
    deliver_fixture(env.sandbox());

    // Act
    let report = env.run().await;

    // Assert
    assert_eq!(report.status, RunStatus::Ok, "{report:?}");
    assert_eq!(report.rows_stored, 14);
    assert_eq!(record_catalog::Entity::find().count(&env.app.db).await.unwrap(), 4);
    assert_eq!(record_item::Entity::find().count(&env.app.db).await.unwrap(), 4);
    let cases = env.cases().await;
    assert_eq!(cases.len(), 6);
    let k2 = cases.iter().find(|c| c.id == "k2").unwrap();
    assert!(k2.overdue, "5 working days against a promise of 3");
    assert_eq!(k2.item_name, "食品经营许可", "the item's name is kept with the case");
    for kind in RecordKind::ALL {
        assert_eq!(env.watermark(kind).await.as_deref(), Some(STAMP), "{kind}");
    }
    let again = env.run().await;
    assert_eq!((again.status, again.rows_stored), (RunStatus::Ok, 0), "{again:?}");
    assert_eq!(env.cases().await, cases, "nothing changed");
}

#[tokio::test]
async fn the_later_updated_at_wins_and_tombstones_delete() {
    // Arrange
    let env = synced_env().await;

    // Act: a correction, a stale one (older than what is stored), and a tombstone.
    let mut later = case("k1", "fx7", "s1", 7, Some(5));
    later["updatedAt"] = json!("2026-11-22T01:10:00Z");
    let mut stale = case("k4", "fx6", "s3", 9, None);
    stale["updatedAt"] = json!("2026-11-20T01:10:00Z");
    env.sandbox().deliver_records(
        RecordKind::Cases,
        vec![later, stale, json!({"id": "k3", "deleted": true, "updatedAt": "2026-11-22T01:10:00Z"})],
    );
    let report = env.run().await;

    // Assert
    assert_eq!(report.status, RunStatus::Ok, "{report:?}");
    assert_eq!(report.rows_deleted, 1);
    let cases = env.cases().await;
    assert_eq!(cases.len(), 5);
    assert!(cases.iter().all(|c| c.id != "k3"), "the tombstone deleted k3");
    let k1 = cases.iter().find(|c| c.id == "k1").unwrap();
    assert_eq!((k1.working_days, k1.overdue), (7, true), "the later correction won");
    assert_eq!(cases.iter().find(|c| c.id == "k4").unwrap().working_days, 3, "the stale one lost");
    assert_eq!(env.watermark(RecordKind::Cases).await.as_deref(), Some("2026-11-22T01:10:00Z"));
}

#[tokio::test]
async fn bad_records_are_rejected_with_reasons_and_personal_fields_dropped_and_counted() {
    // Arrange: six cases spoiled six ways, and one carrying an applicant's name and phone.
    let env = env(|_| {}).await;
    deliver_fixture(env.sandbox());
    let mut personal = case("k9", "fx7", "s1", 1, None);
    personal["applicantName"] = json!("张三");
    personal["applicantPhone"] = json!("13800000000");
    env.sandbox().deliver_records(RecordKind::Catalog, vec![]);
    env.sandbox().deliver_records(RecordKind::Cases, vec![personal]);
    // Catalogue and items pass (two pages); the spoiling hits the first cases page.
    env.sandbox().set_faults(FaultSpec { bad_rows: Some(6), after_pages: Some(2), ..Default::default() });

    // Act
    let report = env.run().await;

    // Assert
    assert_eq!(report.status, RunStatus::Partial, "{report:?}");
    assert_eq!(report.rows_rejected, 6);
    assert_eq!(report.personal_dropped, 1);
    let rejected = sync::rejected(&env.app.db, report.run_id, 100).await.unwrap();
    let reasons: Vec<&str> = rejected.iter().map(|r| r.reason.as_str()).collect();
    for expected in [
        "missing field `id`",
        "unknown org",
        "unknown value `bogus`",
        "before `acceptedAt`",
        "negative",
        "missing field `updatedAt`",
    ] {
        assert!(reasons.iter().any(|r| r.contains(expected)), "{expected} in {reasons:?}");
    }
    let cases = env.cases().await;
    assert!(cases.iter().any(|c| c.id == "k9"), "stored, without the personal fields");
    let dump = format!("{cases:?}");
    assert!(!dump.contains("张三") && !dump.contains("13800000000"));
    let run = sync_run::Entity::find_by_id(report.run_id).one(&env.app.db).await.unwrap().unwrap();
    assert_eq!(run.detail.unwrap()["personalDropped"], 1);
}

#[tokio::test]
async fn transient_faults_are_retried_a_refused_token_fails_and_an_expired_cursor_restarts() {
    let env = env(|s| s.feed.page_size = 3).await;
    deliver_fixture(env.sandbox());
    for fault in [
        FaultSpec { status: Some(503), times: Some(2), ..Default::default() },
        FaultSpec { truncate: Some(true), after_pages: Some(3), ..Default::default() },
        FaultSpec { reset: Some(true), ..Default::default() },
        FaultSpec { status: Some(429), retry_after: Some(1), ..Default::default() },
    ] {
        // A fresh start each time: forget the watermarks.
        records::set_watermarks(&env.app.db, None).await.unwrap();
        env.sandbox().set_faults(fault.clone());
        let report = env.run().await;
        assert_eq!(report.status, RunStatus::Ok, "{fault:?}: {report:?}");
        assert!(report.attempts > report.pages, "{fault:?}: {report:?}");
        assert_eq!(env.cases().await.len(), 6);
    }

    // An expired cursor, as a crashed run would leave, is dropped once.
    sync::set_cursor(&env.app.db, &records::state_source(RecordKind::Catalog), Some("bm90LW91cnM")).await.unwrap();
    let report = env.run().await;
    assert_eq!((report.status, report.restarts), (RunStatus::Ok, 1), "{report:?}");

    // A refused token fails at once, the watermark stays.
    let before = env.watermark(RecordKind::Cases).await;
    let mut settings = (*env.app.state.settings).clone();
    settings.feed.token = "wrong".into();
    let ctx = workers::Context { feed: canmou::feed::FeedClient::new(&settings.feed).unwrap(), ..env.ctx() };
    let requests = env.sandbox().stats().requests;
    let report = records::run(&ctx, RunTrigger::Manual).await.unwrap();
    assert_eq!(report.status, RunStatus::Failed);
    assert!(report.error.as_deref().unwrap_or("").contains("token"), "{report:?}");
    assert_eq!(env.sandbox().stats().requests, requests + 1, "no retry");
    assert_eq!(env.watermark(RecordKind::Cases).await, before);
}

#[tokio::test]
async fn a_run_stopped_between_pages_resumes_from_its_cursor_and_stores_every_record_exactly_once() {
    // Arrange: pages of 2; the fifth page (the second of cases) hangs as if the process died.
    let env = env(|s| {
        s.feed.page_size = 2;
        s.feed.stale_run_secs = 0;
    })
    .await;
    deliver_fixture(env.sandbox());
    env.sandbox().set_faults(FaultSpec { delay_ms: Some(30_000), after_pages: Some(5), ..Default::default() });
    let ctx = env.ctx();
    let run_id = records::start(&ctx, RunTrigger::Manual).await.unwrap();
    let task = tokio::spawn(async move { records::execute(&ctx, run_id).await });
    eventually("the stalled page", Duration::from_secs(6), || async {
        (env.sandbox().stats().faults_injected > 0).then_some(())
    })
    .await;
    assert_eq!(env.sandbox().stats().faults_injected, 1);
    // The stalled page was asked for while the one before it was being written: the crash
    // comes once that one is committed.
    let cases = records::state_source(RecordKind::Cases);
    eventually("the first cases page committed", Duration::from_secs(6), || async {
        sync::state(&env.app.db, &cases).await.unwrap().and_then(|s| s.cursor).map(|_| ())
    })
    .await;

    // Act: the crash, then a new run.
    task.abort();
    let _ = task.await;
    let state = sync::state(&env.app.db, &records::state_source(RecordKind::Cases)).await.unwrap().unwrap();
    assert!(state.cursor.is_some() && state.watermark.is_none(), "one cases page committed, the run unfinished");
    assert_eq!(env.cases().await.len(), 2);
    env.sandbox().clear_faults();
    let report = env.run().await;

    // Assert
    assert_eq!(report.status, RunStatus::Ok, "{report:?}");
    assert_eq!(report.rows_stored, 4, "resumed after the committed page");
    let mut ids: Vec<String> = env.cases().await.into_iter().map(|c| c.id).collect();
    ids.sort();
    assert_eq!(ids, ["k1", "k2", "k3", "k4", "k5", "k6"]);
    let crashed = sync_run::Entity::find_by_id(run_id).one(&env.app.db).await.unwrap().unwrap();
    assert_eq!(crashed.status, RunStatus::Failed);
    // The statistics of the committed page were not lost with the crash.
    let overdue = fixture::metric_id(&env.app.db, "records.cases_overdue").await;
    let figure = entities::fact::Entity::find()
        .filter(entities::fact::Column::MetricId.eq(overdue))
        .filter(entities::fact::Column::OrgId.eq(PROVINCE))
        .filter(entities::fact::Column::Grain.eq(0))
        .one(&env.app.db)
        .await
        .unwrap();
    assert_eq!(figure.and_then(|f| f.value), Some(3.0), "k2, k5 and k6 are overdue");
}

#[tokio::test]
async fn record_statistics_are_metrics_that_roll_up_and_drill_through_to_their_records() {
    // Arrange
    let env = synced_env().await;
    let token = env.viewer("leader", &[PROVINCE]).await;

    // Act: the overdue cases by region on the day, then the link of 明州市's row.
    let breakdown = env
        .app
        .json_as(
            &token,
            &format!("/api/v1/metrics/records.cases_overdue/breakdown?org={PROVINCE}&grain=day&date={DAY}"),
        )
        .await;
    let rows = breakdown["items"].as_array().unwrap();
    let mingzhou = rows.iter().find(|r| r["org"]["id"] == MINGZHOU).unwrap();
    let linjiang = rows.iter().find(|r| r["org"]["id"] == LINJIANG).unwrap();

    // Assert: 明州 has k2 (东城) and k5 (市大数据局); 临江 k6.
    assert_eq!(mingzhou["value"], 2.0, "{breakdown}");
    assert_eq!(linjiang["value"], 1.0, "{breakdown}");
    let link = mingzhou["records"].as_str().unwrap();
    assert_eq!(
        link,
        format!("/api/v1/records/cases?org={MINGZHOU}&completedFrom={DAY}&completedTo={DAY}&overdue=true")
    );
    let list = env.app.json_as(&token, link).await;
    let mut ids: Vec<&str> = list["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["k2", "k5"], "exactly the overdue cases of 明州市 that day");

    // The card of 明州 carries the same link; ratios roll up from their parts.
    let card = env
        .app
        .json_as(&token, &format!("/api/v1/metrics/records.overdue_rate?org={MINGZHOU}&grain=day&date={DAY}"))
        .await;
    assert_eq!(card["card"]["value"], 0.4, "2 overdue of 5 completed: {card}");
    assert!(card["card"]["records"].as_str().unwrap().starts_with(&format!("/api/v1/records/cases?org={MINGZHOU}")));
    let month = env
        .app
        .json_as(&token, &format!("/api/v1/metrics/records.cases_completed?org={PROVINCE}&grain=month&date=2026-11-01"))
        .await;
    assert_eq!(month["card"]["value"], 6.0, "{month}");

    // The stocks are counted on the business date before today.
    let yesterday =
        (chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive() - chrono::Days::new(1)).to_string();
    let rate = env
        .app
        .json_as(
            &token,
            &format!("/api/v1/metrics/records.implementation_rate?org={MINGZHOU}&grain=day&date={yesterday}"),
        )
        .await;
    let value = rate["card"]["value"].as_f64().unwrap_or_default();
    assert!((value - 2.0 / 3.0).abs() < 1e-3, "s1 and s3 of s1, s2, s3: {rate}");
    let catalogue: Value = env.app.json_as(&token, "/api/v1/metrics").await;
    assert!(catalogue.to_string().contains("records.cases_overdue"), "in the catalogue with its 口径");
}

#[tokio::test]
async fn a_large_page_is_stored_whole_and_counted_in_the_statistics() {
    // Arrange: pages of 5,000 records, large enough for PostgreSQL to write each as two
    // halves on two connections.
    let env = env(|s| s.feed.page_size = 5_000).await;
    deliver_fixture(env.sandbox());
    // Half of them completed on `DAY`, half the day before.
    let extra: Vec<Value> = (0..3_000)
        .map(|i| {
            let mut c = case(&format!("m{i:04}"), "fx7", "s1", 2, Some(5));
            if i >= 1_500 {
                c["completedAt"] = json!(format!("{EVE}T08:00:00Z"));
            }
            c
        })
        .collect();
    env.sandbox().deliver_records(RecordKind::Cases, extra);
    let token = env.viewer("leader", &[PROVINCE]).await;
    let completed = |day: &str| format!("/api/v1/metrics/records.cases_completed?org={MINGZHOU}&grain=day&date={day}");

    // Act
    let report = env.run().await;
    let before = (env.app.json_as(&token, &completed(DAY)).await, env.app.json_as(&token, &completed(EVE)).await);

    // Assert
    assert_eq!((report.status, report.rows_stored), (RunStatus::Ok, 3_014), "{report:?}");
    assert_eq!(env.cases().await.len(), 3_006);
    let run = sync_run::Entity::find_by_id(report.run_id).one(&env.app.db).await.unwrap().unwrap();
    assert_eq!(run.rows_stored, 3_014, "the page's rows counted once");
    assert_eq!(before.0["card"]["value"], 1_505.0, "k1 to k5 and 1,500: {}", before.0["card"]);
    assert_eq!(before.1["card"]["value"], 1_500.0, "the other 1,500: {}", before.1["card"]);

    // Act: a later page reopens the 3,000: the days they were completed on are redone, those
    // of both halves of the page.
    let reopened: Vec<Value> = (0..3_000)
        .map(|i| {
            let mut c = case(&format!("m{i:04}"), "fx7", "s1", 2, None);
            c["updatedAt"] = json!("2026-11-22T01:10:00Z");
            c["completedAt"] = Value::Null;
            c["result"] = json!("open");
            c
        })
        .collect();
    env.sandbox().deliver_records(RecordKind::Cases, reopened);
    let again = env.run().await;
    let after = (env.app.json_as(&token, &completed(DAY)).await, env.app.json_as(&token, &completed(EVE)).await);

    // Assert
    assert_eq!((again.status, again.rows_stored), (RunStatus::Ok, 3_000), "{again:?}");
    assert_eq!(after.0["card"]["value"], 5.0, "only k1 to k5 stay completed that day: {}", after.0["card"]);
    assert_eq!(after.1["card"]["value"], Value::Null, "none the day before, up the tree too: {}", after.1["card"]);
}

#[tokio::test]
async fn lists_are_scoped_filtered_searched_and_paged_by_keyset() {
    // Arrange
    let env = synced_env().await;
    let mingzhou = env.viewer("mz", &[MINGZHOU]).await;

    // Outside the scope: 403, and nothing outside it is ever listed.
    let res = env.app.get_as(&mingzhou, &format!("/api/v1/records/cases?org={LINJIANG}")).await;
    assert_error(res, 403, "out_of_scope").await;
    let all = env.app.json_as(&mingzhou, "/api/v1/records/cases?limit=200").await;
    assert_eq!(all["total"], json!({"count": 5, "more": false}), "k6 is 临江's");

    // Filters and a Chinese substring search.
    let found = env.app.json_as(&mingzhou, "/api/v1/records/cases?q=%E7%A4%BE%E4%BF%9D").await; // 社保
    assert_eq!(found["items"].as_array().unwrap().len(), 0, "社保 is not a substring of 社会保障卡办理");
    let found = env
        .app
        .json_as(
            &mingzhou,
            &format!(
                "/api/v1/records/cases?q={}",
                url::form_urlencoded::byte_serialize("保障卡".as_bytes()).collect::<String>()
            ),
        )
        .await;
    let ids: Vec<&str> = found["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2, "{found}");
    let items =
        env.app.json_as(&mingzhou, &format!("/api/v1/records/items?org={DC_BUREAU}&implementation=implemented")).await;
    assert_eq!(items["items"].as_array().unwrap().len(), 1);
    assert_eq!(items["items"][0]["name"], "食品经营许可");
    let by_no = env.app.json_as(&mingzhou, "/api/v1/records/cases?caseNo=NO-k4").await;
    assert_eq!(by_no["items"][0]["id"], "k4");

    // Keyset pages of 2 by working days, descending: every case once, in order.
    let mut seen = Vec::new();
    let mut path = "/api/v1/records/cases?sort=-workingDays&limit=2&columns=caseNo,workingDays".to_owned();
    for _ in 0..10 {
        let page = env.app.json_as(&mingzhou, &path).await;
        for r in page["items"].as_array().unwrap() {
            seen.push((r["workingDays"].as_i64().unwrap(), r["id"].as_str().unwrap().to_owned()));
            assert_eq!(r.as_object().unwrap().len(), 3, "id and the two columns asked for: {r}");
        }
        match page["nextCursor"].as_str() {
            Some(c) => {
                assert!(page["total"].is_null() || seen.len() == 2, "the total is counted on the first page only");
                path = format!("/api/v1/records/cases?sort=-workingDays&limit=2&columns=caseNo,workingDays&cursor={c}");
            }
            None => break,
        }
    }
    let days: Vec<i64> = seen.iter().map(|s| s.0).collect();
    assert_eq!(days, [5, 4, 3, 2, 1], "{seen:?}");

    // By acceptance (the default order), across the orgs of the subtree, both ways: pages of
    // one walk the same order as the whole list sorted here.
    let whole = env.app.json_as(&mingzhou, "/api/v1/records/cases?limit=200&columns=acceptedAt").await;
    let mut expected: Vec<(String, String)> = whole["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["acceptedAt"].as_str().unwrap().to_owned(), r["id"].as_str().unwrap().to_owned()))
        .collect();
    expected.sort();
    for sort in ["acceptedAt", "-acceptedAt"] {
        let mut walked = Vec::new();
        let mut cursor = String::new();
        for _ in 0..10 {
            let page = env
                .app
                .json_as(&mingzhou, &format!("/api/v1/records/cases?sort={sort}&limit=1&columns=acceptedAt{cursor}"))
                .await;
            for r in page["items"].as_array().unwrap() {
                walked.push((r["acceptedAt"].as_str().unwrap().to_owned(), r["id"].as_str().unwrap().to_owned()));
            }
            match page["nextCursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => break,
            }
        }
        let mut want = expected.clone();
        if sort.starts_with('-') {
            want.reverse();
        }
        assert_eq!(walked, want, "sort={sort}");
    }
    assert_eq!(expected.len(), 5);
    let orgs: std::collections::HashSet<String> =
        env.app.json_as(&mingzhou, "/api/v1/records/cases?limit=200&columns=org").await["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["org"].to_string())
            .collect();
    assert!(orgs.len() > 1, "the cases lie in several orgs of the subtree: {orgs:?}");

    // A cursor of another query is refused.
    let first = env.app.json_as(&mingzhou, "/api/v1/records/cases?limit=1").await;
    let cursor = first["nextCursor"].as_str().unwrap();
    let res = env.app.get_as(&mingzhou, &format!("/api/v1/records/cases?limit=1&overdue=true&cursor={cursor}")).await;
    let body = assert_error(res, 400, "invalid_parameter").await;
    assert_eq!(body["param"], "cursor");
}

#[tokio::test]
async fn bad_parameters_are_a_400_naming_them() {
    let env = synced_env().await;
    let token = env.viewer("leader", &[PROVINCE]).await;
    for (path, param) in [
        ("/api/v1/records/cases?columns=caseNo,applicantName", "columns"),
        ("/api/v1/records/cases?sort=completedAt", "sort"),
        ("/api/v1/records/cases?sort=id;drop", "sort"),
        ("/api/v1/records/cases?channel=fax", "channel"),
        ("/api/v1/records/cases?overdue=maybe", "overdue"),
        ("/api/v1/records/cases?acceptedFrom=2026-02-30", "acceptedFrom"),
        ("/api/v1/records/cases?cursor=%%%", "cursor"),
        ("/api/v1/records/cases?cursor=bm90LW91cnM", "cursor"),
        ("/api/v1/records/cases?limit=201", "limit"),
        ("/api/v1/records/cases?limit=0", "limit"),
        ("/api/v1/records/items?status=published", "status"),
        ("/api/v1/records/catalog?org=abc", "org"),
    ] {
        let res = env.app.get_as(&token, path).await;
        let body = assert_error(res, 400, "invalid_parameter").await;
        assert_eq!(body["param"], param, "{path}: {body}");
    }
    assert_error(env.app.get_as(&token, "/api/v1/records/people").await, 404, "not_found").await;
    assert_error(env.app.get_as(&token, "/api/v1/records/cases/nope").await, 404, "not_found").await;
}

#[tokio::test]
async fn a_saved_column_set_is_used_and_one_record_comes_with_its_item_and_catalogue_entry() {
    // Arrange
    let env = synced_env().await;
    let token = env.viewer("mz", &[MINGZHOU]).await;

    // Act: save a column set for cases.
    let res = env
        .app
        .client
        .put(env.app.url("/api/v1/me/columns/cases"))
        .bearer_auth(&token)
        .json(&json!({"columns": ["caseNo", "rating"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let bad = env
        .app
        .client
        .post(env.app.url("/api/v1/me/columns/cases"))
        .bearer_auth(&token)
        .json(&json!({"columns": ["caseNo", "idNumber"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(assert_error(bad, 400, "invalid_parameter").await["param"], "columns");

    // Assert: lists use it; the record has its item and catalogue entry.
    let saved = env.app.json_as(&token, "/api/v1/me/columns/cases").await;
    assert_eq!((saved["columns"].clone(), saved["saved"].clone()), (json!(["caseNo", "rating"]), json!(true)));
    let list = env.app.json_as(&token, &format!("/api/v1/records/cases?org={DC_BUREAU}&sort=caseNo")).await;
    let keys: Vec<&str> = list["columns"].as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["caseNo", "rating"]);
    assert_eq!(list["items"][0], json!({"id": "k1", "caseNo": "NO-k1", "rating": 5}));
    // An enumerated column names its values for the tables; a plain one has none.
    let named = env.app.json_as(&token, "/api/v1/records/cases?columns=caseNo,result&limit=1").await;
    assert_eq!(named["columns"][1]["values"]["completed"], "办结");
    assert_eq!(named["columns"][1]["values"]["open"], "在办");
    assert!(named["columns"][0].get("values").is_none(), "{named}");
    let one = env.app.json_as(&token, "/api/v1/records/cases/k2").await;
    assert_eq!(one["record"]["org"], "东城区大数据局");
    assert_eq!(one["record"]["overdue"], true);
    assert_eq!(one["item"]["name"], "食品经营许可");
    assert_eq!(one["catalog"]["code"], "C1");
    assert_error(env.app.get_as(&token, "/api/v1/records/cases/k6").await, 403, "out_of_scope").await;
}

/// A name that a spreadsheet would run as a formula (`=HYPERLINK(…)`, the CSV injection) comes
/// out of a CSV download as text; numbers, a negative one included, stay numbers.
#[tokio::test]
async fn a_csv_download_never_carries_a_formula() {
    let env = synced_env().await;
    let mut formula = catalog("c9", "fx7", "=HYPERLINK(\"http://evil.example\",\"点我\")", "published");
    formula["updatedAt"] = json!("2026-11-22T01:10:00Z");
    env.sandbox().deliver_records(RecordKind::Catalog, vec![formula]);
    assert_eq!(env.run().await.status, RunStatus::Ok);
    let token = env.viewer("mz", &[MINGZHOU]).await;

    let res = env.app.get_as(&token, "/api/v1/exports/records-catalog.csv?q=HYPERLINK&columns=code,name").await;

    assert_eq!(res.status().as_u16(), 200);
    let body = res.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 2, "{body}");
    assert_eq!(lines[1], "C9,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"点我\"\")\"", "{body}");
}

#[tokio::test]
async fn downloads_stream_the_query_in_the_chosen_columns_and_are_audited() {
    let env = synced_env().await;
    let token = env.viewer("mz", &[MINGZHOU]).await;

    let res = env
        .app
        .get_as(
            &token,
            "/api/v1/exports/records-cases.csv?overdue=true&sort=caseNo&columns=caseNo,itemName,org,result,overdue",
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["x-export-rows"], "2");
    assert!(res.headers().get("x-export-truncated").is_none());
    let body = res.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines,
        [
            "\u{feff}办件编号,事项名称,办理机构,办理结果,是否超期",
            "NO-k2,食品经营许可,东城区大数据局,办结,是",
            "NO-k5,社会保障卡办理,明州市大数据局,办结,是"
        ]
    );

    let res = env.app.get_as(&token, "/api/v1/exports/records-items.xlsx").await;
    assert_eq!(res.status().as_u16(), 200);
    let rows: usize = res.headers()["x-export-rows"].to_str().unwrap().parse().unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(res.bytes().await.unwrap())).unwrap();
    let sheet = calamine::Reader::worksheet_range_at(&mut book, 0).unwrap().unwrap();
    // A header row, then one row for each record the answer counted.
    assert_eq!(sheet.height(), rows + 1, "{sheet:?}");
    assert!(!sheet.get_value((0, 0)).unwrap().to_string().is_empty());
    assert_error(
        env.app.get_as(&token, &format!("/api/v1/exports/records-cases.csv?org={LINJIANG}")).await,
        403,
        "out_of_scope",
    )
    .await;
    assert_error(
        env.app.get_as(&token, "/api/v1/exports/records-cases.csv?sort=rating").await,
        400,
        "invalid_parameter",
    )
    .await;
    let audit = entities::audit_log::Entity::find()
        .filter(entities::audit_log::Column::Action.eq("export"))
        .all(&env.app.db)
        .await
        .unwrap();
    assert!(audit.iter().any(|a| a.target == "records-cases.csv"), "{audit:?}");
}

/// A case row as the sync stores it (`store::records::insert_columns`).
fn stored_case(id: &str, org: i32, result: &str, item_name: &str, updated_at: i64) -> records::Upsert {
    let completed = (result != "open").then_some(1_795_000_000_i64);
    let values: Vec<sea_orm::Value> = vec![
        id.into(),
        org.into(),
        format!("NO-{id}").into(),
        "S1".into(),
        item_name.into(),
        "online".into(),
        "person".into(),
        1_794_000_000_i64.into(),
        20_770.into(),
        completed.into(),
        completed.map(|_| 20_781).into(),
        10.into(),
        None::<i32>.into(),
        3.into(),
        result.into(),
        None::<i16>.into(),
        false.into(),
        updated_at.into(),
    ];
    records::Upsert { id: id.into(), updated_at, values, completed_day: completed.map(|_| 20_781) }
}

#[tokio::test]
async fn a_page_is_upserted_idempotently_with_its_text_intact_and_counted_up_to_the_cap() {
    use canmou::domain::records::{FilterValue, Query};
    use canmou::store::records::{apply, count_capped};
    use sea_orm::TransactionTrait;
    let e = env(|_| {}).await;
    let db = &e.app.db;
    // Quotes, backslashes, control characters and Chinese survive the page's one statement
    // (PostgreSQL reads its rows from one array parameter a column).
    let tricky = "食品\"经营\\许可\n\t\u{1}'; --";
    let page: Vec<records::Upsert> = (0..25)
        .map(|i| stored_case(&format!("x{i:02}"), MINGZHOU, if i < 20 { "completed" } else { "open" }, tricky, 100))
        .collect();
    for _ in 0..2 {
        let txn = db.begin().await.unwrap();
        let days = apply(&txn, RecordKind::Cases, &page, &[]).await.unwrap();
        txn.commit().await.unwrap();
        assert_eq!(days, Some((20_781, 20_781)));
    }
    let stored = e.cases().await;
    assert_eq!(stored.len(), 25, "a replayed page changes nothing");
    let x00 = stored.iter().find(|c| c.id == "x00").unwrap();
    assert_eq!(x00.item_name, tricky);
    assert_eq!((x00.completed_at, x00.promised_days, x00.rating), (Some(1_795_000_000), None, None));

    // An older correction loses, a later one wins; a tombstone older than the row keeps it.
    let txn = db.begin().await.unwrap();
    apply(&txn, RecordKind::Cases, &[stored_case("x00", MINGZHOU, "completed", "旧", 99)], &[("x01".into(), 99)])
        .await
        .unwrap();
    apply(&txn, RecordKind::Cases, &[stored_case("x02", MINGZHOU, "completed", "新", 101)], &[("x03".into(), 101)])
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let stored = e.cases().await;
    let name = |id: &str| stored.iter().find(|c| c.id == id).map(|c| c.item_name.clone());
    assert_eq!((name("x00").as_deref(), name("x02").as_deref()), (Some(tricky), Some("新")));
    assert!(name("x01").is_some() && name("x03").is_none(), "only the later tombstone deletes");

    // The days whose statistics change: a reopened case names the completion day it replaced,
    // a deleted case the day it had; a stale correction and an open case's tombstone none.
    let txn = db.begin().await.unwrap();
    let reopened = apply(&txn, RecordKind::Cases, &[stored_case("x04", MINGZHOU, "open", tricky, 102)], &[]).await;
    let deleted = apply(&txn, RecordKind::Cases, &[], &[("x05".into(), 102)]).await;
    let stale = apply(&txn, RecordKind::Cases, &[stored_case("x06", MINGZHOU, "open", tricky, 99)], &[]).await;
    let open_gone = apply(&txn, RecordKind::Cases, &[], &[("x21".into(), 102)]).await;
    txn.commit().await.unwrap();
    assert_eq!(
        (reopened.unwrap(), deleted.unwrap(), stale.unwrap(), open_gone.unwrap()),
        (Some((20_781, 20_781)), Some((20_781, 20_781)), None, None)
    );

    // The total: exact up to the cap, else one more than the cap.
    let completed = RecordKind::Cases.filters().iter().find(|f| f.param == "result").copied().unwrap();
    let query = Query {
        kind: RecordKind::Cases,
        org: None,
        q: None,
        filters: vec![(completed, FilterValue::Texts(vec!["completed".into()]))],
        sort: RecordKind::Cases.default_sort(),
    };
    let orgs = [OrgId(MINGZHOU), OrgId(DC_BUREAU)];
    assert_eq!(count_capped(db, &query, Some(&orgs), 100).await.unwrap(), 17, "x03, x04 and x05 are not");
    assert_eq!(count_capped(db, &query, Some(&orgs), 10).await.unwrap(), 11);
    assert_eq!(count_capped(db, &query, Some(&[OrgId(LINJIANG)]), 10).await.unwrap(), 0);
}
