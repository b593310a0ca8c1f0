//! Comparisons an official can trust: day-grain 环比 of working-week indicators compares like
//! with like by the calendar, periods the data does not fully cover are partial and never the
//! base of a comparison, and the answer says why a comparison is missing.

use canmou::domain::period::{Grain, Period, day_number};
use canmou::store::facts::{self, FactRow};
use serde_json::{Value, json};

use crate::fixture::{self, MINGZHOU, PROVINCE, day, fact, metric_id};
use crate::read::seeded;

fn at(metric: i32, org: i32, grain: Grain, start: &str, value: f64) -> FactRow {
    FactRow {
        grain: grain.code(),
        period_start: day_number(Period::containing(grain, day(start)).start()),
        ..fact(metric, org, start, value)
    }
}

#[tokio::test]
async fn a_saturday_compares_with_the_previous_sunday_and_a_monday_with_friday() {
    let (app, token) = seeded().await;
    let msg = metric_id(&app.db, "collab.msg_total").await;
    let pv = metric_id(&app.db, "mobile.pv").await;
    facts::upsert(
        &app.db,
        &[
            fact(msg, MINGZHOU, "2026-11-08", 5_000.0),  // Sunday
            fact(msg, MINGZHOU, "2026-11-13", 16_000.0), // Friday
            fact(msg, MINGZHOU, "2026-11-14", 4_000.0),  // Saturday
            fact(msg, MINGZHOU, "2026-11-16", 17_600.0), // Monday
            fact(pv, MINGZHOU, "2026-11-13", 1_000.0),
            fact(pv, MINGZHOU, "2026-11-14", 900.0),
        ],
    )
    .await
    .unwrap();
    app.state.reload().await.unwrap();

    let saturday = app.json_as(&token, "/api/v1/metrics/collab.msg_total?grain=day&date=2026-11-14").await;
    let card = &saturday["card"];
    assert_eq!(card["prev"], 5_000.0, "a rest day compares with the previous rest day: {card}");
    assert_eq!(card["prevLabel"], "11月8日");
    assert_eq!(card["deltaDisplay"], "↓20.0%");
    let monday = app.json_as(&token, "/api/v1/metrics/collab.msg_total?grain=day&date=2026-11-16").await;
    assert_eq!(monday["card"]["prev"], 16_000.0, "Monday compares with Friday");
    assert_eq!(monday["card"]["deltaDisplay"], "↑10.0%");
    // An indicator outside the working week compares with the day before.
    let visits = app.json_as(&token, "/api/v1/metrics/mobile.pv?grain=day&date=2026-11-14").await;
    assert_eq!(visits["card"]["prev"], 1_000.0);
    assert!(visits["card"].get("prevLabel").is_none(), "{}", visits["card"]);
    let catalogue = app.json_as(&token, "/api/v1/metrics").await;
    let flagged: Vec<&str> = catalogue["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["workingDays"] == true)
        .map(|m| m["code"].as_str().unwrap())
        .collect();
    assert!(flagged.contains(&"collab.msg_total") && !flagged.contains(&"mobile.pv"), "{flagged:?}");

    // The administrator makes Friday the 13th a holiday: Monday now compares with Thursday.
    let admin = fixture::add_user(&app.db, "admin", "admin", &[PROVINCE], true).await;
    let admin = fixture::token(&app.db, &app.settings, admin).await;
    let res = app
        .client
        .post(app.url("/api/v1/admin/calendar"))
        .bearer_auth(&admin)
        .json(&json!({"days": [{"date": "2026-11-13", "kind": "holiday", "name": "测试"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    facts::upsert(&app.db, &[fact(msg, MINGZHOU, "2026-11-12", 22_000.0)]).await.unwrap();
    app.state.reload().await.unwrap();
    let monday = app.json_as(&token, "/api/v1/metrics/collab.msg_total?grain=day&date=2026-11-16").await;
    assert_eq!(monday["card"]["prev"], 22_000.0, "{}", monday["card"]);
    assert_eq!(monday["card"]["prevLabel"], "11月12日");
    assert_eq!(monday["card"]["deltaDisplay"], "↓20.0%");
}

#[tokio::test]
async fn periods_before_the_first_day_of_data_are_partial_and_never_a_base() {
    let (app, token) = seeded().await;
    let admin = fixture::add_user(&app.db, "province", "viewer", &[PROVINCE], true).await;
    let token_p = fixture::token(&app.db, &app.settings, admin).await;
    let msg = metric_id(&app.db, "collab.msg_total").await;
    // The province's history starts on 2025-10-25, inside October 2025 and the year 2025.
    facts::upsert(
        &app.db,
        &[
            fact(msg, PROVINCE, "2025-10-25", 1_000.0),
            at(msg, PROVINCE, Grain::Month, "2025-10-01", 7_000.0),
            at(msg, PROVINCE, Grain::Month, "2025-11-01", 30_000.0),
            at(msg, PROVINCE, Grain::Month, "2026-10-01", 34_000.0),
            at(msg, PROVINCE, Grain::Month, "2026-09-01", 33_000.0),
            at(msg, PROVINCE, Grain::Year, "2025-01-01", 37_000.0),
        ],
    )
    .await
    .unwrap();
    app.state.reload().await.unwrap();
    let _ = token;

    let october = app.json_as(&token_p, "/api/v1/metrics/collab.msg_total?org=1&grain=month&date=2026-10-01").await;
    let card = &october["card"];
    assert_eq!(card["yoy"], Value::Null, "October 2025 is not a base: {card}");
    assert_eq!(card["yoyDelta"], Value::Null);
    assert_eq!(card["yoyMissing"], "partial");
    assert_eq!(card["prev"], 33_000.0, "September 2026 is");
    assert_ne!(card["status"], "partial");

    let november = app.json_as(&token_p, "/api/v1/metrics/collab.msg_total?org=1&grain=month&date=2025-11-01").await;
    assert_eq!(november["card"]["prev"], Value::Null);
    assert_eq!(november["card"]["prevMissing"], "partial");

    let first = app.json_as(&token_p, "/api/v1/metrics/collab.msg_total?org=1&grain=month&date=2025-10-01").await;
    assert_eq!(first["card"]["status"], "partial");
    assert_eq!(first["period"]["partial"], true);
    let year = app.json_as(&token_p, "/api/v1/metrics/collab.msg_total?org=1&grain=year&date=2025-01-01").await;
    assert_eq!(year["card"]["status"], "partial");
    assert_eq!(year["card"]["value"], 37_000.0);
}

#[tokio::test]
async fn a_trend_carries_last_year_for_its_comparison_line() {
    let (app, token) = seeded().await;

    let detail = app.json_as(&token, "/api/v1/metrics/service.cases_completed?grain=day&date=2026-11-20").await;

    let points = detail["series"]["points"].as_array().unwrap();
    let last_year = detail["series"]["lastYear"].as_array().unwrap();
    assert_eq!(points.len(), last_year.len());
    assert_eq!(points.last().unwrap()["value"], 120.0);
    assert_eq!(last_year.last().unwrap(), &json!(100.0), "2025-11-20");
    assert_eq!(last_year[0], Value::Null);
}

#[tokio::test]
async fn a_working_day_compares_year_on_year_with_the_nearest_working_day_a_year_earlier() {
    let (app, token) = seeded().await;
    let msg = metric_id(&app.db, "collab.msg_total").await;
    let pv = metric_id(&app.db, "mobile.pv").await;
    facts::upsert(
        &app.db,
        &[
            fact(msg, MINGZHOU, "2025-11-14", 15_000.0), // Friday, two days before
            fact(msg, MINGZHOU, "2025-11-16", 1_000.0),  // Sunday, the same date
            fact(msg, MINGZHOU, "2025-11-17", 16_000.0), // Monday, one day after
            fact(msg, MINGZHOU, "2026-11-16", 17_600.0), // Monday
            fact(pv, MINGZHOU, "2025-11-16", 800.0),
            fact(pv, MINGZHOU, "2026-11-16", 1_000.0),
        ],
    )
    .await
    .unwrap();
    app.state.reload().await.unwrap();

    // A Monday is not compared with last year's Sunday (↑1660%), but with the nearest working
    // day, and the answer says which.
    let monday = app.json_as(&token, "/api/v1/metrics/collab.msg_total?grain=day&date=2026-11-16").await;
    let card = &monday["card"];
    assert_eq!(card["yoy"], 16_000.0, "{card}");
    assert_eq!(card["yoyDisplay"], "↑10.0%");
    assert_eq!(card["yoyLabel"], "2025年11月17日");
    // The home screen's card says the same.
    let home = app.json_as(&token, &format!("/api/v1/home?org={MINGZHOU}&grain=day&date=2026-11-16")).await;
    let c = home["cards"].as_array().unwrap().iter().find(|c| c["metric"] == "collab.msg_total");
    let c = c.unwrap_or_else(|| panic!("the card set shows collab.msg_total: {home}"));
    assert_eq!(c["yoy"], 16_000.0, "{c}");
    assert_eq!(c["yoyLabel"], "2025年11月17日");
    // An indicator outside the working week keeps the same date a year earlier, unlabelled.
    let visits = app.json_as(&token, "/api/v1/metrics/mobile.pv?grain=day&date=2026-11-16").await;
    assert_eq!(visits["card"]["yoy"], 800.0);
    assert!(visits["card"].get("yoyLabel").is_none(), "{}", visits["card"]);
}
