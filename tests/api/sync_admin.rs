//! `/api/v1/admin/sync/...`: runs, rejected rows, running a sync by hand; administrators only.

use std::time::Duration;

use canmou_sandboxes::feed::FaultSpec;
use serde_json::Value;

use crate::feed_sync::{feed_env, meetings};
use crate::fixture::{self, PROVINCE};
use crate::helpers::{assert_error, eventually};

#[tokio::test]
async fn admins_list_runs_and_rejected_rows_and_start_a_run() {
    // Arrange: a partial run with rejected rows.
    let env = feed_env(vec![meetings(6, "2026-12-02T01:10:00Z")], |s| s.feed.page_size = 10).await;
    env.sandbox().set_faults(FaultSpec { bad_rows: Some(2), ..Default::default() });
    let first = env.run().await;
    let admin = fixture::add_user(&env.app.db, "admin", "admin", &[PROVINCE], true).await;
    let token = fixture::token(&env.app.db, &env.app.settings, admin).await;
    let client = &env.app.client;
    let get = |path: &str| client.get(env.app.url(path)).bearer_auth(&token).send();

    // Runs, newest first.
    let runs: Value = get("/api/v1/admin/sync/runs?source=feed").await.unwrap().json().await.unwrap();
    let run = &runs["runs"][0];
    assert_eq!(run["id"], first.run_id);
    assert_eq!(run["source"], "feed");
    assert_eq!(run["status"], "partial");
    assert_eq!((run["rowsStored"].as_i64(), run["rowsRejected"].as_i64()), (Some(4), Some(2)));
    assert!(run["finishedAt"].is_string() && run["startedAt"].is_string());

    // Its rejected rows, with reasons.
    let rejected: Value =
        get(&format!("/api/v1/admin/sync/rejected?run={}", first.run_id)).await.unwrap().json().await.unwrap();
    let rows = rejected["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows[0]["reason"].as_str().unwrap().contains("missing field `org`"), "{rejected}");
    assert_error(get("/api/v1/admin/sync/rejected?run=9999").await.unwrap(), 404, "not_found").await;
    assert_error(get("/api/v1/admin/sync/runs?source=ftp").await.unwrap(), 400, "invalid_parameter").await;

    // Act: start a run by hand; a second one meanwhile is refused.
    env.sandbox().set_faults(FaultSpec { delay_ms: Some(1_500), ..Default::default() });
    let post = || client.post(env.app.url("/api/v1/admin/sync/feed/run")).bearer_auth(&token).send();
    let res = post().await.unwrap();
    assert_eq!(res.status().as_u16(), 202);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let started: Value = res.json().await.unwrap();
    let run_id = started["runId"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/admin/sync/runs/{run_id}"));
    let busy = post().await.unwrap();
    assert_eq!(busy.headers()["location"].to_str().unwrap(), location, "the 409 points at the running one");
    let err = assert_error(busy, 409, "run_in_progress").await;
    assert!(err["message"].as_str().unwrap().contains(&format!("run {run_id}")), "{err}");
    // Polled where the 202 pointed: running, then done.
    let polled: Value = get(&location).await.unwrap().json().await.unwrap();
    assert_eq!((polled["id"].as_i64(), polled["source"].as_str()), (Some(run_id), Some("feed")), "{polled}");
    assert_error(
        client.post(env.app.url("/api/v1/admin/sync/ftp/run")).bearer_auth(&token).send().await.unwrap(),
        404,
        "not_found",
    )
    .await;

    // Assert: it ends (polled, bounded).
    let status = eventually("the run to end", Duration::from_secs(5), || async {
        let runs: Value = get("/api/v1/admin/sync/runs?limit=1").await.unwrap().json().await.unwrap();
        assert_eq!(runs["runs"][0]["id"], run_id);
        let status = runs["runs"][0]["status"].as_str().unwrap().to_owned();
        (status != "running").then_some(status)
    })
    .await;
    assert_eq!(status, "ok");
}

#[tokio::test]
async fn viewers_are_refused() {
    let env = feed_env(vec![], |_| {}).await;
    let viewer = fixture::add_user(&env.app.db, "viewer", "viewer", &[PROVINCE], true).await;
    let token = fixture::token(&env.app.db, &env.app.settings, viewer).await;
    let client = &env.app.client;
    for path in ["/api/v1/admin/sync/runs", "/api/v1/admin/sync/rejected?run=1"] {
        let res = client.get(env.app.url(path)).bearer_auth(&token).send().await.unwrap();
        assert_error(res, 403, "forbidden").await;
    }
    let res = client.post(env.app.url("/api/v1/admin/sync/feed/run")).bearer_auth(&token).send().await.unwrap();
    assert_error(res, 403, "forbidden").await;
    let res = client.get(env.app.url("/api/v1/admin/sync/runs")).send().await.unwrap();
    assert_error(res, 401, "unauthenticated").await;
}
