//! Opening the database: SQLite (a file, WAL) or PostgreSQL, and running migrations.
//!
//! A file at the SQLite path that is not a SQLite database, or a SQLite database that is not
//! Canmou's, is refused with a clear message and never touched.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use secrecy::ExposeSecret;

use crate::config::DatabaseSettings;

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The file behind a `sqlite:` URL, if it names one.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" { None } else { Some(PathBuf::from(path)) }
}

/// Refuses a file that exists but is not a SQLite database.
pub fn check_sqlite_file(path: &Path) -> anyhow::Result<()> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    if !meta.is_file() {
        bail!("{} is not a regular file; refusing to use it as the database", path.display());
    }
    if meta.len() == 0 {
        return Ok(());
    }
    let mut header = [0u8; 16];
    let read = std::io::Read::read(
        &mut std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
        &mut header,
    )?;
    if read < 16 || &header != SQLITE_MAGIC {
        bail!(
            "{} exists but is not a SQLite database (corrupt, or another kind of file); \
             refusing to open or overwrite it. Move it away or point database.url elsewhere.",
            path.display()
        );
    }
    Ok(())
}

/// Connects with the settings' pool limits; for SQLite, WAL and a busy timeout.
pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    let url = file_url(settings)?;
    // SQLite has one writer and runs each connection on a thread of its own: a few connections
    // serve a 2-core machine as well as many, with a page cache each.
    let sqlite = url.starts_with("sqlite:");
    let connections = if sqlite { settings.max_connections.min(6) } else { settings.max_connections };
    let mut options = options(url, settings, settings.sqlite_cache_mb);
    options.max_connections(connections);
    let db = Database::connect(options).await.context("cannot connect to the database")?;
    Ok(db)
}

/// The connection the syncs write their pages through. On a SQLite file, a pool of its own with
/// one connection and a large page cache (`database.sqlite_sync_cache_mb`): a page of upserts
/// touches pages of every index of its table, and a cache that keeps them from one page to the
/// next spares reading them again; the connection closes after a minute idle and gives the
/// memory back. SQLite has one writer whatever the pool, so this costs no concurrency. It opens
/// the file `db` has open, whatever the settings name (the demo opens a file of its own). On
/// PostgreSQL (or an in-memory SQLite, which a second pool would not see) it is `db` itself.
pub async fn connect_sync_writer(
    settings: &DatabaseSettings,
    db: &DatabaseConnection,
) -> anyhow::Result<DatabaseConnection> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(db.clone());
    }
    let sql = "SELECT file FROM pragma_database_list WHERE name = 'main'";
    let row = db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql)).await?;
    let file: String = row.and_then(|r| r.try_get_by_index(0).ok()).unwrap_or_default();
    if file.is_empty() {
        return Ok(db.clone());
    }
    // The URL's path is percent-decoded: a `?`, `#` or `%` in the file's name stays in it.
    const PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b'%').add(b'?').add(b'#').add(b' ');
    let url = format!("sqlite://{}?mode=rw", percent_encoding::utf8_percent_encode(&file, PATH));
    let mut options = options(url, settings, settings.sqlite_sync_cache_mb);
    options.max_connections(1).min_connections(0).idle_timeout(Duration::from_secs(60)).connect_lazy(true);
    Database::connect(options).await.context("cannot connect to the database")
}

/// The settings' URL; for a SQLite file, checked, its folder made, opened read-write-create.
fn file_url(settings: &DatabaseSettings) -> anyhow::Result<String> {
    let mut url = settings.url.expose_secret().to_owned();
    if let Some(path) = sqlite_path(&url) {
        check_sqlite_file(&path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        if !url.contains("mode=") {
            url.push_str(if url.contains('?') { "&mode=rwc" } else { "?mode=rwc" });
        }
    }
    Ok(url)
}

/// A pool's options but its size; SQLite's connections get a page cache of `cache_mb`.
fn options(url: String, settings: &DatabaseSettings, cache_mb: u32) -> ConnectOptions {
    let sqlite = url.starts_with("sqlite:");
    let cache_kib = u64::from(cache_mb.max(1)) * 1024;
    let mut options = ConnectOptions::new(url);
    if sqlite {
        // A file cannot drop a connection: pinging it on every checkout would only add a
        // round trip to the connection's thread before each query.
        options.test_before_acquire(false);
    } else {
        // A server, a proxy or a firewall can drop an idle connection; a busy one is fine.
        options.test_before_acquire_if_idle_for(Duration::from_secs(30));
    }
    options
        .acquire_timeout(Duration::from_secs(settings.acquire_timeout_secs))
        .connect_timeout(Duration::from_secs(settings.acquire_timeout_secs))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // A home screen reads about a hundred rows: let them all through at once
                // rather than in hand-offs of 50 between the connection's thread and ours.
                .row_buffer_size(256)
                // A negative size is in KiB.
                .pragma("cache_size", format!("-{cache_kib}"))
        });
    options
}

/// Refuses a database that already holds tables but not Canmou's migration history, or one
/// migrated by a newer Canmou.
pub async fn check_ownership(db: &DatabaseConnection) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let tables_sql = match backend {
        DbBackend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        _ => "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()",
    };
    let rows = db.query_all_raw(Statement::from_string(backend, tables_sql)).await?;
    let tables: Vec<String> = rows.iter().filter_map(|r| r.try_get::<String>("", "name").ok()).collect();
    if tables.is_empty() {
        return Ok(());
    }
    if !tables.iter().any(|t| t == "seaql_migrations") {
        bail!(
            "the database already holds tables ({}) but is not a Canmou database; refusing to touch it",
            tables.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        );
    }
    let known: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let applied = db.query_all_raw(Statement::from_string(backend, "SELECT version FROM seaql_migrations")).await?;
    for row in applied {
        let version: String = row.try_get("", "version")?;
        if !known.contains(&version) {
            bail!("the database was migrated by a newer Canmou (migration {version} is unknown to this build)");
        }
    }
    Ok(())
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    check_ownership(db).await?;
    Migrator::up(db, None).await.context("migrations failed")?;
    Ok(())
}

/// Whether every known migration has been applied (for `/readyz`).
pub async fn migrations_current(db: &DatabaseConnection) -> anyhow::Result<bool> {
    Ok(Migrator::get_pending_migrations(db).await?.is_empty())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_path("sqlite://data/canmou.db"), Some(PathBuf::from("data/canmou.db")));
        assert_eq!(sqlite_path("sqlite:///tmp/x.db?mode=rwc"), Some(PathBuf::from("/tmp/x.db")));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://localhost/test"), None);
    }

    async fn cache_size(db: &DatabaseConnection) -> i64 {
        let row = db.query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA cache_size")).await.unwrap();
        row.unwrap().try_get_by_index(0).unwrap()
    }

    #[tokio::test]
    async fn the_syncs_write_through_one_connection_with_a_large_cache_and_see_the_same_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = crate::config::Settings::default().database;
        // A name the URL must carry intact.
        settings.url = format!(
            "sqlite://{}",
            dir.path().join("canmou 50%?.db").display().to_string().replace('%', "%25").replace('?', "%3F")
        )
        .into();
        let db = connect(&settings).await.unwrap();
        // The demo opens a file of its own: the settings may name another.
        settings.url = format!("sqlite://{}", dir.path().join("elsewhere.db").display()).into();
        let writer = connect_sync_writer(&settings, &db).await.unwrap();
        assert_eq!(cache_size(&db).await, -4 * 1024);
        assert_eq!(cache_size(&writer).await, -64 * 1024);
        writer.execute_unprepared("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7)").await.unwrap();
        let row = db.query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT x FROM t")).await.unwrap();
        assert_eq!(row.unwrap().try_get_by_index::<i64>(0).unwrap(), 7);
        assert!(!dir.path().join("elsewhere.db").exists());
        assert!(dir.path().join("canmou 50%?.db").exists());
    }

    #[tokio::test]
    async fn an_in_memory_database_is_written_through_its_own_pool() {
        let mut settings = crate::config::Settings::default().database;
        settings.url = "sqlite::memory:".to_owned().into();
        settings.max_connections = 1;
        let db = connect(&settings).await.unwrap();
        let writer = connect_sync_writer(&settings, &db).await.unwrap();
        writer.execute_unprepared("CREATE TABLE t (x INTEGER)").await.unwrap();
        db.execute_unprepared("INSERT INTO t VALUES (1)").await.unwrap();
    }

    #[test]
    fn a_foreign_file_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("canmou.db");
        std::fs::write(&path, "name,value\nnot,a database\n").unwrap();
        let err = check_sqlite_file(&path).unwrap_err().to_string();
        assert!(err.contains("not a SQLite database"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "name,value\nnot,a database\n");
    }
}
