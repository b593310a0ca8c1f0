use crate::helpers::spawn_app;

#[tokio::test]
async fn the_catalogue_lists_every_indicator_of_metrics_md() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/metrics").await;
    assert_eq!(res.status().as_u16(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    let metrics = body["metrics"].as_array().unwrap();
    // metrics.md's 44, and the 15 computed from the records behind them.
    assert_eq!(metrics.len(), 44 + migrations::m20261202_000040_create_records::RECORD_METRICS.len());
    assert_eq!(metrics.iter().filter(|m| m["code"].as_str().unwrap_or("").starts_with("records.")).count(), 15);
    let find = |code: &str| metrics.iter().find(|m| m["code"] == code).unwrap_or_else(|| panic!("{code} missing"));

    let active_rate = find("collab.active_rate");
    assert_eq!(active_rate["name"], "活跃率");
    assert_eq!(active_rate["unit"], "%");
    assert_eq!(active_rate["kind"], "ratio");
    assert_eq!(active_rate["partKind"], "distinct");
    assert_eq!(active_rate["numerator"], "collab.dau");
    assert_eq!(active_rate["denominator"], "collab.org_users");

    assert_eq!(find("collab.dau")["kind"], "distinct");
    assert_eq!(find("collab.org_users")["kind"], "last");
    assert_eq!(find("collab.msg_total")["kind"], "sum");
    assert_eq!(find("service.overdue_cases")["direction"], "down");
    assert_eq!(find("service.avg_handling_days")["direction"], "down");
    assert_eq!(find("service.good_rate")["direction"], "up");
    assert_eq!(find("governance.directory_completeness")["category"], "governance");
}
