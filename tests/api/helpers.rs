//! `spawn_app()`: a fresh database, the real application on a random port, an HTTP client.

use canmou::config::Settings;
use canmou::startup::Application;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

/// A fresh database that disappears with the test.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    /// The temporary directory holding the SQLite file.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    /// The PostgreSQL server's admin URL and the database to drop.
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    pub async fn new() -> TestDb {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("canmou_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url).await.expect("TEST_DATABASE_URL must be reachable");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("cannot create a test database");
                admin.close().await.ok();
                let url = replace_database(&admin_url, &name);
                TestDb { url, cleanup: Cleanup::Postgres { admin_url, name } }
            }
            _ => {
                let dir = tempfile::tempdir().expect("cannot create a temporary directory");
                let url = format!("sqlite://{}", dir.path().join("canmou.db").display());
                TestDb { url, cleanup: Cleanup::Sqlite(dir) }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.cleanup, Cleanup::Postgres { .. })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime; a database call needs a runtime of its own.
            let dropper = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                rt.block_on(async {
                    let admin = Database::connect(&admin_url).await.ok()?;
                    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()?;
                    admin.close().await.ok()
                })
            });
            let _ = dropper.join();
        }
    }
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    pub client: reqwest::Client,
    pub settings: Settings,
    pub state: actix_web::web::Data<canmou::state::AppState>,
    /// Dropped with the app: removes the test database.
    _test_db: TestDb,
}

/// Settings for a test: a random port, the given database, quiet logs.
pub fn test_settings(db: &TestDb) -> Settings {
    let mut settings = Settings::default();
    // `RUST_LOG=warn cargo test …` shows the server's own lines (a 500's cause, say) beside the
    // test's output; without it, tests are quiet.
    if std::env::var_os("RUST_LOG").is_some() {
        canmou::telemetry::init(&settings.log);
    }
    settings.server.port = 0;
    settings.server.workers = 2;
    settings.database.url = db.url.clone().into();
    settings.database.max_connections = 5;
    settings.cache.version_poll_ms = 50;
    // Tests drive jobs directly ("run until idle"), never by a schedule.
    settings.schedule.enabled = false;
    // A feed that fails fails fast.
    settings.feed.retry_budget_secs = 2;
    settings.feed.backoff_base_ms = 20;
    settings.feed.backoff_max_ms = 200;
    settings.feed.timeout_secs = 5;
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// As [`spawn_app`], with settings changed by `change` first.
pub async fn spawn_app_with(change: impl FnOnce(&mut Settings)) -> TestApp {
    let test_db = TestDb::new().await;
    let mut settings = test_settings(&test_db);
    change(&mut settings);
    let db = canmou::db::connect(&settings.database).await.expect("cannot connect to the test database");
    canmou::db::migrate(&db).await.expect("migrations failed");
    spawn_app_on(test_db, settings, db).await
}

/// Starts the app on a database prepared by the caller (e.g. seeded before start-up).
pub async fn spawn_app_on(test_db: TestDb, settings: Settings, db: DatabaseConnection) -> TestApp {
    let app = Application::build(settings.clone(), db.clone()).await.expect("cannot build the app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    canmou::tls::install();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("cannot build the HTTP client");
    TestApp { address, db, client, settings, state, _test_db: test_db }
}

impl TestApp {
    /// The address the app says it is served at (`server.public_url`, made from the bound
    /// port when not configured).
    pub fn settings_public_url(&self) -> String {
        self.state.settings.server.public_url.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request failed")
    }

    /// `GET path` signed in with `token`.
    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.expect("request failed")
    }

    /// `POST path` with a JSON body, signed in with `token`.
    pub async fn post_as(&self, token: &str, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.client.post(self.url(path)).bearer_auth(token).json(&body).send().await.expect("request failed")
    }

    /// The JSON of a `GET path` signed in with `token`, which must answer 200.
    pub async fn json_as(&self, token: &str, path: &str) -> serde_json::Value {
        let res = self.get_as(token, path).await;
        let status = res.status().as_u16();
        let body = res.json().await.expect("a JSON body");
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    /// The names of the tables in the database.
    pub async fn tables(&self) -> Vec<String> {
        let backend = self.db.get_database_backend();
        let sql = match backend {
            DbBackend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            _ => "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()",
        };
        let rows = self.db.query_all_raw(Statement::from_string(backend, sql)).await.expect("cannot list tables");
        let mut names: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "name").expect("name")).collect();
        names.sort();
        names
    }
}

/// Asserts the common error shape and returns the body.
pub async fn assert_error(res: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let header_id = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("x-request-id header");
    assert_eq!(res.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/json"));
    let body: serde_json::Value = res.json().await.expect("a JSON error body");
    assert_eq!(body["error"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert_eq!(body["requestId"].as_str(), Some(header_id.as_str()), "{body}");
    body
}

/// A fresh, migrated database without the HTTP app, for driving workers directly.
pub async fn migrated_db() -> (TestDb, DatabaseConnection) {
    let test_db = TestDb::new().await;
    let settings = test_settings(&test_db);
    let db = canmou::db::connect(&settings.database).await.expect("cannot connect to the test database");
    canmou::db::migrate(&db).await.expect("migrations failed");
    (test_db, db)
}

/// Asks `probe` again every 20 ms until it answers `Some`, for at most `within`: waiting on a
/// condition, never for a fixed time. Panics naming `what` when the time is up.
pub async fn eventually<T, Fut>(what: &str, within: std::time::Duration, mut probe: impl FnMut() -> Fut) -> T
where
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A job started by hand: asserts the `202 Accepted` with its `Location`, then polls the run
/// there (bounded) until it ends; returns the finished run.
pub async fn follow_run(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    res: reqwest::Response,
) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), 202, "a job answers 202 Accepted");
    let location = res.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned).expect("Location");
    let started: serde_json::Value = res.json().await.expect("a JSON body");
    assert_eq!(started["location"].as_str(), Some(location.as_str()), "{started}");
    assert_eq!(location, format!("/api/v1/admin/sync/runs/{}", started["runId"]));
    eventually("the run ends", std::time::Duration::from_secs(60), || async {
        let run: serde_json::Value = client
            .get(format!("{base}{location}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("poll the run")
            .json()
            .await
            .expect("a run");
        (run["status"] != "running").then_some(run)
    })
    .await
}
