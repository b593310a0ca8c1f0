//! The feed sync against the real feed sandbox on a random port: resumes, replays, throttling,
//! outages, bad rows, bad tokens.

use std::time::Duration;

use canmou::config::Settings;
use canmou::domain::period::{Grain, day_number};
use canmou::store::sync;
use canmou::workers::{self, RunTrigger, feed};
use canmou_sandboxes::feed::{self as sandbox, FaultSpec, FeedRow, Sandbox, Spawned};
use chrono::{DateTime, NaiveDate, Utc};
use entities::{fact, sync_run};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::fixture::{self, day};
use crate::helpers::{TestApp, TestDb, eventually, spawn_app_on, test_settings};
use entities::sync_run::RunStatus;

pub const TOKEN: &str = "test-feed-token";

pub struct FeedEnv {
    pub app: TestApp,
    pub feed: Spawned,
}

impl FeedEnv {
    pub fn ctx(&self) -> workers::Context {
        workers::Context::in_server(self.app.state.clone().into_inner())
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.feed.sandbox
    }

    /// Facts delivered by the upstream from `from` on (the fixture's own are earlier).
    pub async fn upstream_facts(&self, from: &str) -> Vec<fact::Model> {
        fact::Entity::find()
            .filter(fact::Column::Origin.eq(0))
            .filter(fact::Column::PeriodStart.gte(day_number(day(from))))
            .all(&self.app.db)
            .await
            .unwrap()
    }

    pub async fn watermark(&self) -> Option<String> {
        sync::state(&self.app.db, feed::SOURCE).await.unwrap().and_then(|s| s.watermark)
    }

    pub async fn run(&self) -> feed::Report {
        feed::run(&self.ctx(), RunTrigger::Manual).await.unwrap()
    }
}

/// The fixture province, a sandbox serving `batches`, and the app pointed at it (pages of 5).
pub async fn feed_env(batches: Vec<Vec<FeedRow>>, tweak: impl FnOnce(&mut Settings)) -> FeedEnv {
    let feed = sandbox::spawn(Sandbox::with_rows(TOKEN, batches, Some(day("2026-12-02")))).await.unwrap();
    let test_db = TestDb::new().await;
    let mut settings = test_settings(&test_db);
    settings.feed.base_url = feed.base_url.clone();
    settings.feed.token = TOKEN.into();
    settings.feed.page_size = 5;
    tweak(&mut settings);
    let db = canmou::db::connect(&settings.database).await.unwrap();
    canmou::db::migrate(&db).await.unwrap();
    fixture::seed(&db).await;
    let app = spawn_app_on(test_db, settings, db).await;
    app.state.reload().await.unwrap();
    FeedEnv { app, feed }
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// `n` day rows of `collab.meetings` for the fixture's leaves, from 2026-12-01 on.
pub fn meetings(n: usize, stamp: &str) -> Vec<FeedRow> {
    let leaves = ["fx7", "fx5", "fx6", "fx3"];
    (0..n)
        .map(|i| {
            let date = day("2026-12-01") + chrono::Days::new((i / leaves.len()) as u64);
            FeedRow::value("collab.meetings", leaves[i % leaves.len()], Grain::Day, date, (i + 1) as f64, at(stamp))
        })
        .collect()
}

fn value_of(facts: &[fact::Model], org: i32, date: NaiveDate) -> Option<f64> {
    facts
        .iter()
        .find(|f| f.org_id.get() == org && f.period_start == day_number(date) && f.grain == 0)
        .and_then(|f| f.value)
}

#[tokio::test]
async fn a_sync_stores_every_row_once_and_a_replayed_delivery_changes_nothing() {
    // Arrange: 12 rows in two deliveries, pages of 5.
    let env =
        feed_env(vec![meetings(8, "2026-12-02T01:10:00Z"), meetings(12, "2026-12-03T01:10:00Z")[8..].to_vec()], |_| {})
            .await;

    // Act
    let report = env.run().await;

    // Assert
    assert_eq!(report.status, RunStatus::Ok, "{report:?}");
    assert_eq!(report.rows_stored, 12);
    assert_eq!(report.pages, 3);
    let first = env.upstream_facts("2026-12-01").await;
    assert_eq!(first.len(), 12);
    assert_eq!(value_of(&first, 7, day("2026-12-03")), Some(9.0));
    assert_eq!(env.watermark().await.as_deref(), Some("2026-12-03T01:10:00Z"));

    // The same pages again (from scratch, and each page twice): nothing changes.
    sync::set_watermark(&env.app.db, feed::SOURCE, None).await.unwrap();
    env.sandbox().set_faults(FaultSpec {
        duplicate_page: Some(true),
        times: Some(2),
        after_pages: Some(1),
        ..Default::default()
    });
    let replay = env.run().await;
    assert_eq!(replay.status, RunStatus::Ok, "{replay:?}");
    assert_eq!(replay.pages, 5, "two pages were delivered twice");
    let again = env.upstream_facts("2026-12-01").await;
    assert_eq!(again, first);
}

#[tokio::test]
async fn a_run_stopped_between_pages_resumes_from_its_cursor_and_stores_every_row_exactly_once() {
    // Arrange: 10 rows in pages of 3; the third page hangs, as if the process died meanwhile.
    let rows = meetings(10, "2026-12-02T01:10:00Z");
    let env = feed_env(vec![rows.clone()], |s| {
        s.feed.page_size = 3;
        s.feed.stale_run_secs = 0;
    })
    .await;
    env.sandbox().set_faults(FaultSpec { delay_ms: Some(30_000), after_pages: Some(2), ..Default::default() });
    let ctx = env.ctx();
    let run_id = feed::start(&ctx, RunTrigger::Manual).await.unwrap();
    let task = tokio::spawn(async move { feed::execute(&ctx, run_id).await });
    eventually("the stalled page", Duration::from_secs(4), || async {
        (env.sandbox().stats().faults_injected > 0).then_some(())
    })
    .await;
    assert_eq!(env.sandbox().stats().faults_injected, 1, "the third page was asked for");
    // It was asked for while the second was being written: the crash comes once that one is in.
    eventually("the second page committed", Duration::from_secs(4), || async {
        (env.upstream_facts("2026-12-01").await.len() == 6).then_some(())
    })
    .await;

    // Act: the crash, then a new run.
    task.abort();
    let _ = task.await;
    let state = sync::state(&env.app.db, feed::SOURCE).await.unwrap().unwrap();
    assert!(state.cursor.is_some() && state.watermark.is_none(), "two pages committed, the run unfinished");
    assert_eq!(env.upstream_facts("2026-12-01").await.len(), 6);
    env.sandbox().clear_faults();
    let report = env.run().await;

    // Assert
    assert_eq!(report.status, RunStatus::Ok, "{report:?}");
    assert_eq!(report.rows_stored, 4, "resumed after the committed pages");
    let facts = env.upstream_facts("2026-12-01").await;
    assert_eq!(facts.len(), 10);
    for (i, r) in rows.iter().enumerate() {
        let org = r.org.trim_start_matches("fx").parse::<i32>().unwrap();
        assert_eq!(value_of(&facts, org, r.period), Some((i + 1) as f64), "{r:?}");
    }
    let crashed = sync_run::Entity::find_by_id(run_id).one(&env.app.db).await.unwrap().unwrap();
    assert_eq!(crashed.status, RunStatus::Failed);
    assert!(crashed.error.unwrap_or_default().contains("interrupted"));
}

#[tokio::test]
async fn a_429_storm_is_waited_out_from_the_same_cursor() {
    let env = feed_env(vec![meetings(7, "2026-12-02T01:10:00Z")], |s| s.feed.retry_budget_secs = 30).await;
    env.sandbox().set_faults(FaultSpec {
        status: Some(429),
        retry_after: Some(1),
        times: Some(2),
        after_pages: Some(1),
        ..Default::default()
    });

    let report = env.run().await;

    assert_eq!(report.status, RunStatus::Ok, "{report:?}");
    assert_eq!(report.throttled, 2);
    assert_eq!(report.pages, 2);
    assert_eq!(env.upstream_facts("2026-12-01").await.len(), 7);
}

#[tokio::test]
async fn transient_faults_are_retried_and_a_feed_down_longer_than_the_budget_leaves_the_watermark() {
    // Arrange: a first day synced.
    let env = feed_env(vec![meetings(4, "2026-12-02T01:10:00Z")], |_| {}).await;
    assert_eq!(env.run().await.status, RunStatus::Ok);
    let watermark = env.watermark().await;
    let official = fixture::add_user(&env.app.db, "leader", "viewer", &[fixture::PROVINCE], true).await;
    let token = fixture::token(&env.app.db, &env.app.settings, official).await;
    let home_before: serde_json::Value = env.app.get_as(&token, "/api/v1/home").await.json().await.unwrap();

    // A 503, a truncated answer and a dropped connection are each retried.
    for (i, fault) in [
        FaultSpec { status: Some(503), ..Default::default() },
        FaultSpec { truncate: Some(true), ..Default::default() },
        FaultSpec { reset: Some(true), ..Default::default() },
    ]
    .into_iter()
    .enumerate()
    {
        env.sandbox().deliver(meetings(2, &format!("2026-12-0{}T01:10:00Z", 4 + i)));
        env.sandbox().set_faults(fault.clone());
        let report = env.run().await;
        assert_eq!(report.status, RunStatus::Ok, "{fault:?}: {report:?}");
        assert!(report.attempts >= 2, "{fault:?}: {report:?}");
    }
    let watermark = env.watermark().await.filter(|w| Some(w) != watermark.as_ref());
    assert!(watermark.is_some());

    // Act: the feed goes down for longer than the retry budget (2 s in tests).
    env.sandbox().deliver(meetings(4, "2026-12-08T01:10:00Z"));
    env.sandbox().set_faults(FaultSpec { status: Some(503), times: Some(10_000), ..Default::default() });
    let report = env.run().await;

    // Assert
    assert_eq!(report.status, RunStatus::Failed, "{report:?}");
    assert!(report.error.as_deref().unwrap_or("").contains("unavailable"), "{report:?}");
    assert_eq!(env.watermark().await, watermark, "the watermark stays where it was");
    let res = env.app.get_as(&token, "/api/v1/home").await;
    assert_eq!(res.status().as_u16(), 200, "cards keep serving the last data");
    let home: serde_json::Value = res.json().await.unwrap();
    assert_eq!(home["asOf"], "2026-12-02");
    assert_eq!(home["asOf"], home_before["asOf"]);
}

#[tokio::test]
async fn bad_rows_are_kept_with_their_reasons_and_the_run_ends_partial() {
    let env = feed_env(vec![meetings(12, "2026-12-02T01:10:00Z")], |s| s.feed.page_size = 10).await;
    env.sandbox().set_faults(FaultSpec { bad_rows: Some(7), ..Default::default() });

    let report = env.run().await;

    assert_eq!(report.status, RunStatus::Partial, "{report:?}");
    assert_eq!((report.rows_stored, report.rows_rejected), (5, 7));
    assert_eq!(env.upstream_facts("2026-12-01").await.len(), 5);
    let rejected = sync::rejected(&env.app.db, report.run_id, 100).await.unwrap();
    let reasons: Vec<&str> = rejected.iter().map(|r| r.reason.as_str()).collect();
    for expected in [
        "missing field `org`",
        "not a finite number",
        "negative",
        "unaligned period",
        "unknown metric",
        "unknown org",
        "not a ratio",
    ] {
        assert!(reasons.iter().any(|r| r.contains(expected)), "{expected} in {reasons:?}");
    }
    assert!(rejected.iter().all(|r| r.payload.starts_with('{')));
    assert_eq!(env.watermark().await.as_deref(), Some("2026-12-02T01:10:00Z"), "a partial run still completes");
}

#[tokio::test]
async fn a_refused_token_fails_the_run_at_once() {
    let env = feed_env(vec![meetings(4, "2026-12-02T01:10:00Z")], |s| s.feed.token = "wrong".into()).await;

    let report = env.run().await;

    assert_eq!(report.status, RunStatus::Failed);
    assert!(report.error.as_deref().unwrap_or("").contains("token"), "{report:?}");
    assert!(!report.error.unwrap_or_default().contains("wrong"), "the token is never echoed");
    assert_eq!(env.sandbox().stats().requests, 1, "no retry");
    assert!(env.upstream_facts("2026-12-01").await.is_empty());
}

#[tokio::test]
async fn an_expired_cursor_restarts_from_the_stored_watermark_once() {
    let env = feed_env(vec![meetings(8, "2026-12-02T01:10:00Z")], |_| {}).await;
    // A cursor the feed no longer knows, as a crashed run would have left.
    sync::set_cursor(&env.app.db, feed::SOURCE, Some("bm90LW91cnM")).await.unwrap();

    let report = env.run().await;

    assert_eq!(report.status, RunStatus::Ok, "{report:?}");
    assert_eq!(report.restarts, 1);
    assert_eq!(env.upstream_facts("2026-12-01").await.len(), 8);
}

#[tokio::test]
async fn a_new_business_day_moves_complete_and_as_of() {
    let env = feed_env(vec![meetings(4, "2026-12-02T01:10:00Z")], |_| {}).await;
    env.run().await;
    assert_eq!(env.app.state.snapshot().complete.as_of(), Some(day("2026-12-02")));
    env.sandbox().queue_day(meetings(8, "2026-12-04T01:10:00Z")[4..].to_vec());
    // Whose home screens are warmed: each active user's first scope, once per (set, org).
    fixture::add_user(&env.app.db, "warm-a", "viewer", &[fixture::PROVINCE], true).await;
    fixture::add_user(&env.app.db, "warm-b", "viewer", &[fixture::MZ_BUREAU, fixture::DC_BUREAU], true).await;
    fixture::add_user(&env.app.db, "warm-c", "viewer", &[fixture::DC_BUREAU], true).await;
    fixture::add_user(&env.app.db, "warm-gone", "viewer", &[fixture::LINJIANG], false).await;

    env.sandbox().advance(1);
    let report = env.run().await;

    assert_eq!(report.rows_stored, 4);
    assert_eq!(env.app.state.snapshot().complete.as_of(), Some(day("2026-12-03")), "the snapshot was reloaded");
    assert!(report.rollup.is_some());
    assert_eq!((report.warmed.wanted, report.warmed.screens), (3, 3), "province, MZ and DC bureaus: {report:?}");
}

#[tokio::test]
async fn days_a_crashed_run_stored_but_never_rolled_up_are_rolled_up_by_the_next_run() {
    // Arrange: a committed page whose roll-up never happened (the process died in between).
    let env = feed_env(vec![], |_| {}).await;
    let meetings = fixture::metric_id(&env.app.db, "collab.meetings").await;
    let d = day_number(day("2026-12-01"));
    let txn = sea_orm::TransactionTrait::begin(&env.app.db).await.unwrap();
    let mut row = fixture::fact(meetings, fixture::DC_BUREAU, "2026-12-01", 42.0);
    row.updated_at = 10;
    canmou::store::facts::upsert(&txn, &[row]).await.unwrap();
    canmou::workers::rollup::mark_pending(&txn, d, d).await.unwrap();
    txn.commit().await.unwrap();

    // Act: the next run, with nothing new upstream.
    let report = env.run().await;

    // Assert
    assert_eq!(report.status, RunStatus::Ok, "{report:?}");
    let parent = fact::Entity::find()
        .filter(fact::Column::MetricId.eq(meetings))
        .filter(fact::Column::OrgId.eq(fixture::PROVINCE))
        .filter(fact::Column::Grain.eq(0))
        .filter(fact::Column::PeriodStart.eq(d))
        .one(&env.app.db)
        .await
        .unwrap();
    assert_eq!(parent.and_then(|f| f.value), Some(42.0));
    assert_eq!(canmou::workers::rollup::pending(&env.app.db).await.unwrap(), None);
}

#[tokio::test]
async fn a_large_page_is_stored_whole_and_rolled_up_over_all_its_days() {
    // Arrange: one page of 3,000 rows (750 days of four leaves), which PostgreSQL writes as
    // two halves at once.
    let env = feed_env(vec![meetings(3_000, "2026-12-02T01:10:00Z")], |s| s.feed.page_size = 5_000).await;

    // Act
    let report = env.run().await;

    // Assert
    assert_eq!((report.status, report.rows_stored, report.pages), (RunStatus::Ok, 3_000, 1), "{report:?}");
    assert_eq!(env.upstream_facts("2026-12-01").await.len(), 3_000);
    let run = sync_run::Entity::find_by_id(report.run_id).one(&env.app.db).await.unwrap().unwrap();
    assert_eq!(run.rows_stored, 3_000, "counted once");
    let province: Vec<fact::Model> = fact::Entity::find()
        .filter(fact::Column::OrgId.eq(fixture::PROVINCE))
        .filter(fact::Column::Grain.eq(0))
        .all(&env.app.db)
        .await
        .unwrap();
    // The first day is in the first half, the last in the second: both rolled up.
    let (first, last) = (day("2026-12-01"), day("2026-12-01") + chrono::Days::new(749));
    assert_eq!(value_of(&province, fixture::PROVINCE, first), Some(1.0 + 2.0 + 3.0 + 4.0));
    assert_eq!(value_of(&province, fixture::PROVINCE, last), Some(2_997.0 + 2_998.0 + 2_999.0 + 3_000.0));
    assert_eq!(province.len(), 750, "every day of the page");
}
