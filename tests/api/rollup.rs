//! Roll-ups checked by hand on the fixture province, for each kind, over time and over orgs.
//!
//! Leaves: 东城区大数据局 (7, under 东城区 4), 西湖区 (5) and 明州市大数据局 (6) under 明州市 (2);
//! 临江市 (3). Days: Wed 2026-09-30 (September, Q3) and Thu 2026-10-01 (October, Q4), both in
//! the ISO week starting Mon 2026-09-28.

use canmou::domain::period::{Grain, day_number};
use canmou_sandboxes::feed::FeedRow;
use chrono::NaiveDate;
use entities::fact;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::feed_sync::{at, feed_env};
use crate::fixture::{self, DONGCHENG, LINJIANG, MINGZHOU, PROVINCE, XIHU, day};
use entities::sync_run::RunStatus;

const SEP30: &str = "2026-09-30";
const OCT01: &str = "2026-10-01";

fn v(metric: &str, org: &str, date: &str, value: f64) -> FeedRow {
    FeedRow::value(metric, org, Grain::Day, day(date), value, at("2026-10-02T01:10:00Z"))
}

fn r(metric: &str, org: &str, date: &str, num: f64, den: f64) -> FeedRow {
    FeedRow::ratio(metric, org, Grain::Day, day(date), (num, den), at("2026-10-02T01:10:00Z"))
}

struct Facts(Vec<fact::Model>);

impl Facts {
    fn get(&self, org: i32, grain: Grain, start: &str) -> Option<&fact::Model> {
        let start = day_number(NaiveDate::parse_from_str(start, "%Y-%m-%d").unwrap());
        self.0.iter().find(|f| f.org_id.get() == org && f.grain == grain.code() && f.period_start == start)
    }

    fn value(&self, org: i32, grain: Grain, start: &str) -> Option<f64> {
        self.get(org, grain, start).and_then(|f| f.value)
    }

    fn parts(&self, org: i32, grain: Grain, start: &str) -> Option<(f64, f64)> {
        self.get(org, grain, start).and_then(|f| Some((f.num?, f.den?)))
    }
}

async fn facts_of(db: &sea_orm::DatabaseConnection, code: &str) -> Facts {
    let id = fixture::metric_id(db, code).await;
    Facts(fact::Entity::find().filter(fact::Column::MetricId.eq(id)).all(db).await.unwrap())
}

#[tokio::test]
async fn each_kind_rolls_up_over_orgs_and_over_time_by_its_own_rule() {
    // Arrange
    let rows = vec![
        // sum
        v("collab.meetings", "fx7", SEP30, 10.0),
        v("collab.meetings", "fx7", OCT01, 20.0),
        v("collab.meetings", "fx5", SEP30, 1.0),
        v("collab.meetings", "fx5", OCT01, 2.0),
        v("collab.meetings", "fx6", OCT01, 100.0),
        v("collab.meetings", "fx3", SEP30, 1000.0),
        // last (a stock)
        v("collab.org_users", "fx7", SEP30, 50.0),
        v("collab.org_users", "fx7", OCT01, 52.0),
        v("collab.org_users", "fx5", SEP30, 30.0),
        v("collab.org_users", "fx6", OCT01, 8.0),
        // ratio of sums
        r("collab.todo_done_rate", "fx7", SEP30, 9.0, 10.0),
        r("collab.todo_done_rate", "fx7", OCT01, 1.0, 90.0),
        r("collab.todo_done_rate", "fx5", SEP30, 3.0, 4.0),
        // ratio of stocks
        r("service.implementation_rate", "fx7", SEP30, 80.0, 100.0),
        r("service.implementation_rate", "fx7", OCT01, 90.0, 100.0),
        r("service.implementation_rate", "fx5", SEP30, 40.0, 50.0),
        // distinct, with the upstream's own week figure for 明州市
        v("collab.dau", "fx7", SEP30, 7.0),
        v("collab.dau", "fx5", SEP30, 5.0),
        FeedRow::value("collab.dau", "fx2", Grain::Week, day("2026-09-28"), 11.0, at("2026-10-02T01:10:00Z")),
    ];
    let env = feed_env(vec![rows], |s| s.feed.page_size = 100).await;

    // Act
    let report = env.run().await;

    // Assert
    assert_eq!(report.status, RunStatus::Ok, "{report:?}");
    let db = &env.app.db;
    use Grain::*;

    let sum = facts_of(db, "collab.meetings").await;
    assert_eq!(sum.value(DONGCHENG, Day, SEP30), Some(10.0));
    assert_eq!(sum.value(MINGZHOU, Day, SEP30), Some(11.0));
    assert_eq!(sum.value(MINGZHOU, Day, OCT01), Some(122.0));
    assert_eq!(sum.value(PROVINCE, Day, SEP30), Some(1011.0));
    assert_eq!(sum.value(PROVINCE, Day, OCT01), Some(122.0));
    assert_eq!(sum.value(MINGZHOU, Week, "2026-09-28"), Some(133.0));
    assert_eq!(sum.value(MINGZHOU, Month, "2026-09-01"), Some(11.0));
    assert_eq!(sum.value(MINGZHOU, Month, "2026-10-01"), Some(122.0));
    assert_eq!(sum.value(MINGZHOU, Quarter, "2026-07-01"), Some(11.0));
    assert_eq!(sum.value(MINGZHOU, Quarter, "2026-10-01"), Some(122.0));
    assert_eq!(sum.value(MINGZHOU, Year, "2026-01-01"), Some(133.0));
    assert_eq!(sum.value(PROVINCE, Year, "2026-01-01"), Some(1133.0));
    assert_eq!(sum.value(XIHU, Week, "2026-09-28"), Some(3.0), "a leaf's own coarser periods");
    assert_eq!(sum.get(MINGZHOU, Day, SEP30).map(|f| f.origin), Some(1), "marked as a roll-up");

    let last = facts_of(db, "collab.org_users").await;
    assert_eq!(last.value(MINGZHOU, Day, SEP30), Some(80.0), "stocks add up over orgs");
    assert_eq!(last.value(MINGZHOU, Day, OCT01), Some(60.0));
    assert_eq!(last.value(MINGZHOU, Week, "2026-09-28"), Some(60.0), "the last day with data");
    assert_eq!(last.value(MINGZHOU, Month, "2026-09-01"), Some(80.0));
    assert_eq!(last.value(MINGZHOU, Quarter, "2026-10-01"), Some(60.0));
    assert_eq!(last.value(MINGZHOU, Year, "2026-01-01"), Some(60.0));
    assert_eq!(last.value(XIHU, Week, "2026-09-28"), Some(30.0));
    assert_eq!(last.value(LINJIANG, Day, SEP30), None, "nothing invented");

    let rate = facts_of(db, "collab.todo_done_rate").await;
    assert_eq!(rate.parts(MINGZHOU, Day, SEP30), Some((12.0, 14.0)));
    assert_eq!(rate.parts(DONGCHENG, Week, "2026-09-28"), Some((10.0, 100.0)));
    assert_eq!(rate.value(DONGCHENG, Week, "2026-09-28"), Some(0.1), "summed parts divided, never averaged");
    assert_eq!(rate.parts(MINGZHOU, Week, "2026-09-28"), Some((13.0, 104.0)));
    assert_eq!(rate.value(MINGZHOU, Week, "2026-09-28"), Some(0.125));

    let stock_rate = facts_of(db, "service.implementation_rate").await;
    assert_eq!(stock_rate.parts(MINGZHOU, Day, SEP30), Some((120.0, 150.0)));
    assert_eq!(stock_rate.parts(MINGZHOU, Week, "2026-09-28"), Some((90.0, 100.0)), "both parts from the last day");
    assert_eq!(stock_rate.value(MINGZHOU, Quarter, "2026-07-01"), Some(0.8));

    let distinct = facts_of(db, "collab.dau").await;
    assert_eq!(distinct.0.len(), 3, "distinct counts are never derived: {:?}", distinct.0);
    assert_eq!(distinct.value(MINGZHOU, Week, "2026-09-28"), Some(11.0), "the upstream's own figure is kept");
    assert_eq!(distinct.value(MINGZHOU, Day, SEP30), None);
}

#[tokio::test]
async fn a_correction_rolls_up_again_and_an_unchanged_day_stays() {
    let env =
        feed_env(vec![vec![v("collab.meetings", "fx7", SEP30, 10.0), v("collab.meetings", "fx5", SEP30, 1.0)]], |_| {})
            .await;
    env.run().await;
    let version = env.app.state.snapshot().version;

    // A later correction of one department's day.
    env.sandbox().deliver(vec![FeedRow::value(
        "collab.meetings",
        "fx7",
        Grain::Day,
        day(SEP30),
        15.0,
        at("2026-10-03T01:10:00Z"),
    )]);
    let report = env.run().await;

    assert_eq!(report.rows_stored, 1);
    let sum = facts_of(&env.app.db, "collab.meetings").await;
    assert_eq!(sum.value(MINGZHOU, Grain::Day, SEP30), Some(16.0));
    assert_eq!(sum.value(PROVINCE, Grain::Month, "2026-09-01"), Some(16.0));
    assert!(env.app.state.snapshot().version > version, "the data version moved");
}
