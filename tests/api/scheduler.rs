//! Two scheduler instances on one PostgreSQL: one leads; when it dies the other runs the next
//! schedule; never both. (SQLite means one instance: skipped there.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use canmou::workers::scheduler::{Event, Job, Leadership, Scheduler};
use chrono::{DateTime, Utc};

use crate::helpers::TestDb;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn instance(url: &str, runs: &Arc<AtomicUsize>) -> Scheduler {
    let runs = runs.clone();
    let job = Job::new("feed", "*/5 * * * *", move || {
        let runs = runs.clone();
        Box::pin(async move {
            runs.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
    })
    .unwrap();
    Scheduler::new(
        vec![job],
        chrono_tz::Asia::Shanghai,
        Duration::from_secs(60),
        Leadership::for_url(url, Duration::ZERO),
        at("2026-11-27T00:00:30Z"),
    )
}

#[tokio::test]
async fn one_leader_runs_schedules_and_another_takes_over_when_it_dies() {
    let db = TestDb::new().await;
    if !db.is_postgres() {
        eprintln!("skipped: leader election needs PostgreSQL (set TEST_DATABASE_URL); SQLite runs one instance");
        return;
    }
    // Arrange
    let (runs_a, runs_b) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut a = instance(&db.url, &runs_a);
    let mut b = instance(&db.url, &runs_b);

    // Act: both instances see 00:05 come.
    let events_a = a.tick(at("2026-11-27T00:05:01Z")).await;
    let events_b = b.tick(at("2026-11-27T00:05:01Z")).await;
    a.until_idle().await;
    b.until_idle().await;

    // Assert: one ran it.
    assert!(matches!(events_a[..], [Event::Started { .. }]), "{events_a:?}");
    assert_eq!(events_b, vec![Event::Follower { job: "feed" }]);
    assert_eq!((runs_a.load(Ordering::SeqCst), runs_b.load(Ordering::SeqCst)), (1, 0));

    // The leader dies (its connection goes with it); the other takes over.
    drop(a);
    let mut took_over = false;
    for _ in 0..100 {
        if b.ensure_leader().await {
            took_over = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(took_over, "the follower became the leader");
    let events_b = b.tick(at("2026-11-27T00:10:02Z")).await;
    b.until_idle().await;
    assert!(matches!(events_b[..], [Event::Started { .. }]), "{events_b:?}");
    assert_eq!((runs_a.load(Ordering::SeqCst), runs_b.load(Ordering::SeqCst)), (1, 1));

    // A new instance while the leader lives: a follower.
    let runs_c = Arc::new(AtomicUsize::new(0));
    let mut c = instance(&db.url, &runs_c);
    let events_c = c.tick(at("2026-11-27T00:15:01Z")).await;
    assert_eq!(events_c, vec![Event::Follower { job: "feed" }]);
    b.stop().await;
    c.stop().await;
}
