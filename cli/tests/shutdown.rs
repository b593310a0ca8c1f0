//! Black-box: the real `canmou` binary, stopped by SIGTERM or SIGINT in the middle of its work,
//! exits within the grace period, and the next run completes the work (issue #13, 3). Also the
//! demo's confinement and `serve`'s lack of sandboxes, as an operator would meet them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use canmou_sandboxes::feed::{self as sandbox, FaultSpec, FeedRow, Sandbox};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};

const BIN: &str = env!("CARGO_BIN_EXE_canmou");
/// `server.shutdown_grace_secs`' default: the process must be gone by then (plus the time a
/// loaded test machine takes to notice).
const GRACE: Duration = Duration::from_secs(10);
const SLACK: Duration = Duration::from_secs(2);

/// A `canmou` process whose output lines arrive on a channel.
struct Canmou {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Canmou {
    fn start(args: &[&str], env: &[(&str, String)]) -> Canmou {
        let mut cmd = Command::new(BIN);
        cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).env("CANMOU_LOG__FILTER", "warn");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("cannot start canmou");
        let (tx, lines) = mpsc::channel();
        for out in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        Canmou { child, lines, seen: Vec::new() }
    }

    /// Waits (bounded) for a line containing `text`.
    fn wait_for(&mut self, text: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        if let Some(l) = self.seen.iter().find(|l| l.contains(text)) {
            return l.clone();
        }
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no line with {text:?} within {within:?}; output so far:\n{}", self.seen.join("\n"));
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill").args([&format!("-{name}"), &self.child.id().to_string()]).status().unwrap();
        assert!(ok.success());
    }

    /// Waits for the process to exit; its status and how long it took.
    fn exit(&mut self, within: Duration) -> (std::process::ExitStatus, Duration) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                while let Ok(line) = self.lines.try_recv() {
                    self.seen.push(line);
                }
                return (status, started.elapsed());
            }
            if started.elapsed() > within {
                let _ = self.child.kill();
                panic!("still running after {within:?}; output:\n{}", self.seen.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn output(&self) -> String {
        self.seen.join("\n")
    }
}

impl Drop for Canmou {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Polls `check` until it holds (bounded).
fn until(what: &str, within: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn get_json(url: &str) -> Option<serde_json::Value> {
    let out = Command::new("curl").args(["-sf", "--max-time", "2", url]).output().ok()?;
    serde_json::from_slice(&out.stdout).ok()
}

/// A JSON request with curl: `body` is POSTed when given, `token` sent as the bearer.
fn call(url: &str, token: Option<&str>, body: Option<&str>) -> serde_json::Value {
    let mut cmd = Command::new("curl");
    cmd.args(["-sf", "--max-time", "10", "-H", "content-type: application/json", url]);
    if let Some(token) = token {
        cmd.args(["-H", &format!("authorization: Bearer {token}")]);
    }
    if let Some(body) = body {
        cmd.args(["-X", "POST", "-d", body]);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{url}: curl {}", out.status);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_signal_during_the_demos_first_directory_sync_stops_it_in_time_and_the_next_start_does_it() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let env = |delay: u64| {
        vec![
            ("CANMOU_DEMO__DATA_DIR", data.path().display().to_string()),
            ("CANMOU_DEMO__DAYS", "3".to_owned()),
            ("CANMOU_SERVER__PORT", port.to_string()),
            ("CANMOU_SCHEDULE__ENABLED", "false".to_owned()),
            // Every DingTalk call answers late: the walk takes minutes, the signal lands in it.
            ("CANMOU_DEMO__SANDBOX_DELAY_MS", delay.to_string()),
        ]
    };
    let mut demo = Canmou::start(&["demo"], &env(200));
    demo.wait_for("Syncing the demo directory", Duration::from_secs(600));
    let stats = format!("http://127.0.0.1:{port}/sandbox/dingtalk/_sandbox/stats");
    until("the walk has begun", Duration::from_secs(60), || {
        get_json(&stats)
            .and_then(|s| s["calls"].as_object().map(|c| c.values().filter_map(serde_json::Value::as_u64).sum::<u64>()))
            .is_some_and(|n| n >= 3)
    });
    demo.signal("TERM");
    let (status, took) = demo.exit(GRACE + SLACK);
    assert!(took <= GRACE + SLACK, "took {took:?}");
    assert!(status.success(), "{status}: {}", demo.output());
    assert!(demo.output().contains("the next start runs it again"), "{}", demo.output());
    assert!(!demo.output().contains("Press Ctrl-C"), "no banner after a stopped sync");
    drop(demo);

    // The next start syncs the whole directory, then serves.
    let mut demo = Canmou::start(&["demo"], &env(0));
    let synced = demo.wait_for("Synced the demo directory", Duration::from_secs(300));
    let users: u64 = synced.split(", ").nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse().ok()).unwrap();
    assert!(users > 1_000, "{synced}");
    demo.wait_for("Press Ctrl-C", Duration::from_secs(60));
    // Syncs started by an administrator write into the demo's own database (they once opened
    // the file the default settings name, and failed on its missing tables).
    let base = format!("http://127.0.0.1:{port}");
    let code = call(&format!("{base}/sandbox/dingtalk/_sandbox/auth-codes"), None, Some(r#"{"userid":"demo-admin"}"#));
    let login = format!(r#"{{"authCode":"{}"}}"#, code["authCode"].as_str().unwrap());
    let token = call(&format!("{base}/api/v1/auth/dingtalk"), None, Some(&login))["token"].as_str().unwrap().to_owned();
    call(&format!("{base}/sandbox/feed/_sandbox/advance"), None, Some(r#"{"days":1}"#));
    for source in ["records", "feed"] {
        let run = call(&format!("{base}/api/v1/admin/sync/{source}/run"), Some(&token), Some("{}"));
        let url = format!("{base}{}", run["location"].as_str().unwrap());
        let mut last = serde_json::Value::Null;
        until(&format!("the {source} sync ends"), Duration::from_secs(120), || {
            last = call(&url, Some(&token), None);
            last["status"] != "running"
        });
        assert_eq!(last["status"], "ok", "{source}: {last}");
        assert!(last["rowsStored"].as_i64().unwrap() > 0, "{source}: {last}");
    }
    // SIGINT, as Ctrl-C sends: the same graceful stop.
    demo.signal("INT");
    let (status, took) = demo.exit(GRACE + SLACK);
    assert!(status.success() && took <= GRACE + SLACK, "{status} after {took:?}");
}

async fn sqlite(path: &std::path::Path) -> DatabaseConnection {
    let mut options = ConnectOptions::new(format!("sqlite://{}?mode=rwc", path.display()));
    options.sqlx_logging(false);
    Database::connect(options).await.unwrap()
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    let sql = format!("SELECT ({sql}) AS n");
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows[0].try_get::<i64>("", "n").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_during_a_feed_sync_stops_it_at_a_page_and_the_next_run_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("canmou.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    // The orgs the rows name, in a migrated database.
    let migrate = Command::new(BIN).arg("migrate").env("CANMOU_DATABASE__URL", &url).output().unwrap();
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    let db = sqlite(&file).await;
    let orgs: Vec<canmou::store::orgs::NewOrg> = (0..50)
        .map(|i| canmou::store::orgs::NewOrg {
            id: canmou::domain::org_tree::OrgId(i + 1),
            code: format!("o{i}"),
            dingtalk_dept_id: None,
            parent_id: (i > 0).then_some(canmou::domain::org_tree::OrgId(1)),
            name: format!("机构{i}"),
            kind: canmou::domain::org_tree::OrgKind::Region,
            level: i16::from(i > 0),
            path: if i == 0 { "/1/".into() } else { format!("/1/{}/", i + 1) },
            sort_order: i + 1,
        })
        .collect();
    canmou::store::orgs::insert_all(&db, &orgs).await.unwrap();

    // Forty business days of 50 rows, delivered a page of 50 at a time, each page slow.
    let first = chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-01T01:10:00Z").unwrap().with_timezone(&chrono::Utc);
    let batches: Vec<Vec<FeedRow>> = (0..40u64)
        .map(|d| {
            let day = first + chrono::Days::new(d);
            let stamp = at + chrono::Duration::minutes(d as i64);
            (0..50)
                .map(|i| {
                    FeedRow::value(
                        "collab.msg_total",
                        &format!("o{i}"),
                        canmou::domain::period::Grain::Day,
                        day,
                        (d * 100 + i) as f64,
                        stamp,
                    )
                })
                .collect()
        })
        .collect();
    let feed =
        sandbox::spawn(Sandbox::with_rows("feed-token", batches, Some(first + chrono::Days::new(39)))).await.unwrap();
    feed.sandbox.set_faults(FaultSpec { delay_ms: Some(300), times: Some(10_000), ..Default::default() });
    let env = vec![
        ("CANMOU_DATABASE__URL", url.clone()),
        ("CANMOU_FEED__BASE_URL", feed.base_url.clone()),
        ("CANMOU_FEED__TOKEN", "feed-token".to_owned()),
        ("CANMOU_FEED__PAGE_SIZE", "50".to_owned()),
    ];

    let mut sync = Canmou::start(&["sync", "feed"], &env);
    tokio::task::block_in_place(|| {
        until("a few pages stored", Duration::from_secs(120), || feed.sandbox.stats().pages >= 4);
    });
    sync.signal("TERM");
    let (status, took) = tokio::task::block_in_place(|| sync.exit(GRACE + SLACK));
    assert!(took <= GRACE + SLACK, "took {took:?}");
    assert!(!status.success(), "a stopped sync is not a success");
    assert!(sync.output().contains("cancelled"), "{}", sync.output());
    let stored = scalar(&db, "SELECT COUNT(*) FROM facts WHERE grain = 0").await;
    assert!(stored > 0 && stored < 2_000, "stopped part-way: {stored} rows");
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM sync_runs WHERE source = 'feed' AND status = 'cancelled'").await, 1);
    drop(sync);

    // The next run resumes from the stored cursor: every row once, nothing twice.
    feed.sandbox.clear_faults();
    let before = feed.sandbox.stats().rows;
    let run = tokio::task::block_in_place(|| {
        Command::new(BIN).args(["sync", "feed"]).envs(env.iter().map(|(k, v)| (k, v))).output().unwrap()
    });
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let fetched_again = feed.sandbox.stats().rows - before;
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM facts WHERE grain = 0 AND metric_id = (SELECT id FROM metrics WHERE code = 'collab.msg_total')").await, 2_000);
    assert!(fetched_again as i64 <= 2_000 - stored + 50, "resumed, not restarted: {fetched_again} rows fetched again");
    feed.stop().await;
}

#[test]
fn the_demo_refuses_production_settings_and_serve_mounts_no_sandbox() {
    for (key, value) in [
        ("CANMOU_DATABASE__URL", "postgres://canmou@127.0.0.1:5432/canmou"),
        ("CANMOU_DINGTALK__APP_KEY", "dingrealappkey"),
        ("CANMOU_DINGTALK__APP_SECRET", "a-real-app-secret"),
    ] {
        let data = tempfile::tempdir().unwrap();
        let out =
            Command::new(BIN).arg("demo").env("CANMOU_DEMO__DATA_DIR", data.path()).env(key, value).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{key}: the demo started");
        assert!(err.contains("canmou serve"), "{key}: {err}");
        assert!(!data.path().join("canmou.db").exists(), "{key}: nothing generated");
    }

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let env = vec![
        ("CANMOU_DATABASE__URL", format!("sqlite://{}?mode=rwc", dir.path().join("prod.db").display())),
        ("CANMOU_SERVER__PORT", port.to_string()),
        ("CANMOU_AUTH__JWT_SECRET", "Zq3v8Jt1Lw6Nc0Rb5Yh2Kd9Pf4Xm7Us1".to_owned()),
        ("CANMOU_DINGTALK__APP_KEY", "dingrealappkey".to_owned()),
        ("CANMOU_DINGTALK__APP_SECRET", "a-real-app-secret".to_owned()),
        ("CANMOU_DINGTALK__AGENT_ID", "1".to_owned()),
        ("CANMOU_DINGTALK__CORP_ID", "dingcorp".to_owned()),
        ("CANMOU_SCHEDULE__ENABLED", "false".to_owned()),
    ];
    let mut serve = Canmou::start(&["serve"], &env);
    let base = format!("http://127.0.0.1:{port}");
    until("serve answers", Duration::from_secs(120), || get_json(&format!("{base}/healthz")).is_some());
    let status = |method: &str, path: &str| {
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method, &format!("{base}{path}")])
            .args(["-H", "content-type: application/json", "-d", r#"{"userid":"anyone"}"#])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // No sandbox minting logins, no feed sandbox, no benchmark ceiling.
    assert_eq!(status("POST", "/sandbox/dingtalk/_sandbox/auth-codes"), "404");
    assert_eq!(status("GET", "/sandbox/feed/_sandbox/stats"), "404");
    assert_eq!(status("GET", "/api/v1/bench/ceiling"), "404");
    serve.signal("TERM");
    let (status, took) = serve.exit(GRACE + SLACK);
    assert!(status.success() && took < GRACE, "{status} after {took:?}: {}", serve.output());
}
