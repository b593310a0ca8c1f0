use crate::helpers::{eventually, spawn_app};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status().as_u16(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_reports_a_reachable_and_migrated_database() {
    let app = spawn_app().await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status().as_u16(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    assert_eq!(body["migrations"], "current");
}

#[tokio::test]
async fn readyz_is_unavailable_when_a_migration_is_pending() {
    let app = spawn_app().await;
    use migrations::MigratorTrait;
    migrations::Migrator::down(&app.db, Some(1)).await.unwrap();
    let res = app.get("/readyz").await;
    assert_eq!(res.status().as_u16(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["migrations"], "pending");
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let app = spawn_app().await;
    let a = app.get("/healthz").await;
    let b = app.get("/healthz").await;
    let id = |r: &reqwest::Response| r.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned();
    assert!(!id(&a).is_empty());
    assert_ne!(id(&a), id(&b));
}

#[tokio::test]
async fn prometheus_metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    app.get("/api/v1/metrics").await;
    app.get("/api/v1/metrics").await;
    app.get("/no/such/path").await;
    // A request is counted when its answer has been streamed out, just after the client has
    // it: look again briefly until the counts settle.
    let expected = r#"canmou_http_requests_total{endpoint="/api/v1/metrics",method="GET",status="200"} 2"#;
    let text = eventually("the counts to settle", std::time::Duration::from_secs(5), || async {
        let text = app.get("/metrics").await.text().await.unwrap();
        (text.contains(expected) && text.contains(r#"endpoint="UNKNOWN""#)).then_some(text)
    })
    .await;
    assert!(text.contains(r#"endpoint="UNKNOWN",method="GET",status="404"}"#), "{text}");
    assert!(text.contains("canmou_http_requests_duration_seconds_bucket"), "{text}");
}

#[tokio::test]
async fn the_openapi_description_lists_the_endpoints() {
    let app = spawn_app().await;
    let spec: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/api/v1/metrics", "/healthz", "/readyz"] {
        assert!(spec["paths"][path]["get"].is_object(), "{path} missing");
    }
}
