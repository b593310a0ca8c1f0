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

/// The answer cache's outcomes are counted: a first home screen is a miss, the same again a
/// hit, and a revalidation with its ETag a 304.
#[tokio::test]
async fn the_answer_cache_counts_hits_misses_and_304s() {
    let app = spawn_app().await;
    crate::fixture::seed(&app.db).await;
    let official = crate::fixture::add_user(&app.db, "counted", "viewer", &[crate::fixture::MINGZHOU], true).await;
    app.state.reload().await.unwrap();
    let token = crate::fixture::token(&app.db, &app.settings, official).await;
    let first = app.get_as(&token, "/api/v1/home").await;
    assert_eq!(first.status().as_u16(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(app.get_as(&token, "/api/v1/home").await.status().as_u16(), 200);
    let url = app.url("/api/v1/home");
    let again = app.client.get(url).bearer_auth(&token).header("If-None-Match", etag).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 304);
    let text = app.get("/metrics").await.text().await.unwrap();
    for outcome in ["hit", "miss", "not_modified"] {
        let line = format!("canmou_answer_cache_requests_total{{outcome=\"{outcome}\"}} 1");
        assert!(text.contains(&line), "{line} in\n{text}");
    }
}

#[tokio::test]
async fn every_route_of_the_table_is_described_with_its_methods_and_path_parameters() {
    let app = spawn_app().await;

    let spec: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();

    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let routes = canmou::startup::route_list();
    let mut faults = Vec::new();
    let mut operation_ids = std::collections::BTreeSet::new();
    for (method, path) in &routes {
        let op = &spec["paths"][*path][method.as_str().to_lowercase()];
        if !op.is_object() {
            faults.push(format!("{method} {path}: not described"));
            continue;
        }
        if !operation_ids.insert(op["operationId"].to_string()) {
            faults.push(format!("{method} {path}: operationId {} is not unique", op["operationId"]));
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for name in path.split('{').skip(1).filter_map(|rest| rest.split_once('}')).map(|(name, _)| name) {
            if !params.iter().any(|p| p["in"] == "path" && p["name"] == name) {
                faults.push(format!("{method} {path}: path parameter `{name}` not declared"));
            }
        }
        if op["tags"].as_array().is_none_or(Vec::is_empty) {
            faults.push(format!("{method} {path}: no tag"));
        }
        if path.starts_with("/api/v1/admin") && !op["security"].to_string().contains("bearer") {
            faults.push(format!("{method} {path}: no bearer security"));
        }
    }
    // And nothing is described that is not served.
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys().filter(|k| *k != "parameters") {
            if !routes.iter().any(|(m, p)| p == path && m.as_str().eq_ignore_ascii_case(method)) {
                faults.push(format!("{method} {path}: described, not served"));
            }
        }
    }
    assert!(faults.is_empty(), "{faults:#?}");
    assert!(spec["components"]["schemas"]["ErrorBody"].is_object());
}

#[tokio::test]
async fn a_prometheus_scrape_is_answered_as_text() {
    let app = spawn_app().await;

    let res = app.get("/metrics").await;

    assert_eq!(res.status().as_u16(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
}
