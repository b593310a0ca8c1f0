//! The bulk write of facts, on both databases: every value back bit for bit, batches of any
//! size, and only a correction at least as new as what is stored wins.

use canmou::store::facts::{self, FactRow};

use crate::fixture::{self, DC_BUREAU};
use crate::helpers::spawn_app;

#[tokio::test]
async fn facts_come_back_bit_for_bit_from_batches_of_any_size_and_only_newer_corrections_win() {
    // Arrange: more rows than one statement takes, with values that print awkwardly.
    let app = spawn_app().await;
    let meetings = fixture::metric_id(&app.db, "collab.meetings").await;
    let first = fixture::fact(meetings, DC_BUREAU, "2001-01-01", 0.0);
    let awkward = [0.1 + 0.2, 1e-300, -2.5e300, 123_456_789.123_456_78, 7.0, 1.0 / 3.0];
    let rows: Vec<FactRow> = (0..10_050)
        .map(|i| FactRow {
            period_start: first.period_start + i,
            value: (i % 7 != 3).then_some(awkward[i as usize % awkward.len()]),
            num: (i % 3 == 0).then_some(f64::from(i) / 7.0),
            den: (i % 3 == 0).then_some(f64::from(i % 11) + 0.5),
            updated_at: 100,
            ..first
        })
        .collect();

    // Act: the rows, then a stale correction (ignored) and a newer one (kept).
    facts::upsert(&app.db, &rows).await.unwrap();
    let stale = FactRow { value: Some(-1.0), updated_at: 99, ..rows[5] };
    let newer = FactRow { value: None, num: Some(2.0), updated_at: 101, ..rows[10_020] };
    facts::upsert(&app.db, &[stale, newer]).await.unwrap();

    // Assert
    let last = first.period_start + 10_049;
    let mut stored = facts::load(&app.db, meetings, first.grain, &[DC_BUREAU], first.period_start, last).await.unwrap();
    stored.sort_by_key(|r| r.period_start);
    let mut expected = rows.clone();
    expected[10_020] = newer;
    assert_eq!(stored.len(), expected.len());
    let bits = |r: &FactRow| {
        (r.period_start, r.value.map(f64::to_bits), r.num.map(f64::to_bits), r.den.map(f64::to_bits), r.updated_at)
    };
    for (s, e) in stored.iter().zip(&expected) {
        assert_eq!(bits(s), bits(e), "stored {s:?}, sent {e:?}");
    }
}

#[tokio::test]
async fn inserting_mostly_new_rows_has_the_upserts_outcome_when_some_are_stored_already() {
    // Arrange: a history of new days and weeks (2001-01-01 is a Monday), stored in one
    // writer's transaction.
    let app = spawn_app().await;
    let meetings = fixture::metric_id(&app.db, "collab.meetings").await;
    let first = fixture::fact(meetings, DC_BUREAU, "2001-01-01", 0.0);
    let week_grain = canmou::domain::period::Grain::Week.code();
    let day = |i: i32, value: f64| FactRow {
        period_start: first.period_start + i,
        value: Some(value),
        updated_at: 100,
        ..first
    };
    let week = |i: i32, value: f64| FactRow { grain: week_grain, ..day(7 * i, value) };
    let mut history: Vec<FactRow> = (0..10_050).map(|i| day(i, f64::from(i))).collect();
    history.extend((0..3).map(|i| week(i, 7.0 * f64::from(i))));
    let txn = canmou::store::begin_writer(&app.db).await.unwrap();
    assert_eq!(facts::insert_new(&txn, &history).await.unwrap(), 10_053);

    // Act: a full batch of new days, then a batch that mixes new days with a stale correction
    // (ignored) and a newer one (kept), among them a restated week and a new one; the same
    // transaction writes on and commits.
    let stale = FactRow { value: Some(-1.0), updated_at: 99, ..history[5] };
    let newer = FactRow { value: Some(-2.0), updated_at: 101, ..history[10_020] };
    let restated = FactRow { value: Some(-3.0), updated_at: 101, ..week(2, 0.0) };
    let mut next: Vec<FactRow> = (10_050..20_050).map(|i| day(i, f64::from(i))).collect();
    next.extend([day(20_050, 1.5), restated, stale, week(3, 21.0), newer, day(20_051, 2.5)]);
    let written = facts::insert_new(&txn, &next).await.unwrap();
    facts::insert_new(&txn, &[day(20_052, 3.5)]).await.unwrap();
    txn.commit().await.unwrap();

    // Assert: every new day and week once, the newer corrections, not the stale one.
    assert_eq!(written, 10_000 + 5, "new rows and newer corrections count, the stale one does not");
    let last = first.period_start + 20_052;
    let days = facts::load(&app.db, meetings, first.grain, &[DC_BUREAU], first.period_start, last).await.unwrap();
    let value = |i: i32| days.iter().find(|r| r.period_start == first.period_start + i).and_then(|r| r.value);
    assert_eq!(days.len(), 20_053);
    assert_eq!((value(5), value(10_020)), (Some(5.0), Some(-2.0)));
    assert_eq!(
        (value(10_049), value(20_049), value(20_050), value(20_052)),
        (Some(10_049.0), Some(20_049.0), Some(1.5), Some(3.5))
    );
    let mut weeks = facts::load(&app.db, meetings, week_grain, &[DC_BUREAU], first.period_start, last).await.unwrap();
    weeks.sort_by_key(|r| r.period_start);
    let weeks: Vec<Option<f64>> = weeks.iter().map(|r| r.value).collect();
    assert_eq!(weeks, [Some(0.0), Some(7.0), Some(-3.0), Some(21.0)]);
}

#[tokio::test]
async fn a_transaction_that_reads_then_writes_waits_for_another_writer_instead_of_failing() {
    use sea_orm::ConnectionTrait;
    // Arrange: a writer's transaction reads first (as the record statistics do).
    let app = spawn_app().await;
    let txn = canmou::store::begin_writer(&app.db).await.unwrap();
    txn.execute_unprepared("SELECT COUNT(*) FROM sync_state").await.unwrap();

    // Act: another connection writes meanwhile (SQLite: it waits for the lock), then the
    // transaction writes and commits.
    let db = app.db.clone();
    let other = tokio::spawn(async move {
        db.execute_unprepared("INSERT INTO sync_state (source, updated_at) VALUES ('other', CURRENT_TIMESTAMP)").await
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let written =
        txn.execute_unprepared("INSERT INTO sync_state (source, updated_at) VALUES ('mine', CURRENT_TIMESTAMP)").await;
    let committed = txn.commit().await;

    // Assert: neither fails (a deferred transaction's write fails here with "database is
    // locked" on SQLite).
    assert!(written.is_ok() && committed.is_ok(), "{written:?} {committed:?}");
    assert!(other.await.unwrap().is_ok());
}
