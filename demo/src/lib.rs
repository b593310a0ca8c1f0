//! Everything that is not production: the demo (a generated province in a SQLite file under
//! `demo.data_dir`, made on the first start and reused afterwards, served with the sandboxes
//! mounted beside the server) and the benchmarks' helpers. Generation writes to a temporary
//! file that is renamed into place only when complete, so an interrupted first start leaves no
//! half-filled database.

pub mod bench;
pub mod bench_briefing;
pub mod calendar;
pub mod directory;
pub mod generate;
pub mod launch;
pub mod model;
pub mod province;
pub mod records;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Days, Utc};
use entities::{org, period_status};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, EntityTrait, PaginatorTrait};

use canmou::config::{DatabaseSettings, DemoScale, Settings};
use canmou::db;
use canmou::domain::period::{Grain, business_date, from_day_number};
use canmou::domain::records::RecordKind;
use canmou::store::sync;
use canmou::workers::feed::SOURCE as FEED;
use canmou_sandboxes::feed::{DEMO_TOKEN, Sandbox, rfc3339};
pub use generate::Stats;
use model::Model;

/// The SQLite file demo mode uses.
pub fn database_path(settings: &Settings) -> PathBuf {
    settings.demo.data_dir.join("canmou.db")
}

/// Opens the demo database, generating the province first when there is none. Returns the
/// connection and, when it generated, what it made.
pub async fn open_or_generate(settings: &Settings) -> anyhow::Result<(DatabaseConnection, Option<Stats>)> {
    let path = database_path(settings);
    let database = DatabaseSettings { url: sqlite_url(&path).into(), ..settings.database.clone() };
    if path.exists() {
        let conn = db::connect(&database).await?;
        db::migrate(&conn).await?;
        if org::Entity::find().count(&conn).await? > 0 {
            return Ok((conn, None));
        }
        // Ours but empty (e.g. made by `canmou migrate`): fill it in place.
        let stats = fill(&conn, settings).await?;
        return Ok((conn, Some(stats)));
    }
    std::fs::create_dir_all(&settings.demo.data_dir)
        .with_context(|| format!("cannot create {}", settings.demo.data_dir.display()))?;
    let partial = path.with_extension("db.generating");
    for stale in [partial.clone(), partial.with_extension("generating-wal"), partial.with_extension("generating-shm")] {
        let _ = std::fs::remove_file(stale);
    }
    let stats = {
        let conn = connect_for_bulk_load(&partial).await?;
        db::migrate(&conn).await?;
        let stats = fill(&conn, settings).await?;
        conn.close().await?;
        stats
    };
    std::fs::rename(&partial, &path)
        .with_context(|| format!("cannot move the generated database to {}", path.display()))?;
    let conn = db::connect(&database).await?;
    Ok((conn, Some(stats)))
}

/// Generates the province into an empty, migrated database (SQLite or PostgreSQL).
pub async fn fill(conn: &DatabaseConnection, settings: &Settings) -> anyhow::Result<Stats> {
    if org::Entity::find().count(conn).await? > 0 {
        bail!("the database already holds an org tree; generate into an empty database");
    }
    let nodes = province::build(settings.demo.scale);
    canmou::store::orgs::insert_all(conn, &nodes).await?;
    let tz = settings.timezone();
    let yesterday = business_date(&tz, Utc::now()) - Days::new(1);
    let stats = generate::facts(conn, &nodes, settings.demo.seed, settings.demo.days, yesterday, &tz).await?;
    // After a bulk load, fresh statistics (without them PostgreSQL plans the roll-up's
    // multi-org lookups as scans of a whole metric) and a vacuum: otherwise the first reader
    // of every page looks up whether the loading transaction committed and writes hint bits,
    // and the first home screens after a load pay for that — autovacuum may be off, or late.
    if sea_orm::ConnectionTrait::get_database_backend(conn) == sea_orm::DbBackend::Postgres {
        sea_orm::ConnectionTrait::execute_unprepared(conn, "VACUUM (ANALYZE) facts").await?;
    }
    // The history is in: the feed's first sync asks only for what comes after it.
    let stamp = generate::stamp(yesterday + Days::new(1), &tz);
    let watermark = DateTime::from_timestamp(stamp, 0).map(rfc3339);
    sync::set_watermark(conn, FEED, watermark.as_deref()).await?;
    fill_records(conn, settings, &nodes, yesterday, stamp).await?;
    canmou::workers::records::set_watermarks(conn, watermark.as_deref()).await?;
    Ok(stats)
}

/// Days of cases the demo generates: a year at most.
fn record_days(settings: &Settings) -> u64 {
    u64::from(settings.demo.days.clamp(1, 365))
}

/// The demo's records: catalogue, items and a year of cases, then their statistics as facts,
/// rolled up.
async fn fill_records(
    conn: &DatabaseConnection,
    settings: &Settings,
    nodes: &[canmou::store::orgs::NewOrg],
    yesterday: chrono::NaiveDate,
    stamp: i64,
) -> anyhow::Result<()> {
    let model = records::RecordModel::new(nodes, settings.demo.seed, settings.timezone());
    let first = yesterday - Days::new(record_days(settings) - 1);
    let made = records::history(conn, &model, first, yesterday, stamp).await?;
    let started = std::time::Instant::now();
    let records = made.catalog + made.items + made.cases;
    canmou::workers::analyze_after_bulk(conn, "record_catalog, record_items, record_cases", records as u64).await;
    let (lo, hi) = (canmou::domain::period::day_number(first), canmou::domain::period::day_number(yesterday));
    canmou::store::record_stats::mark_pending(conn, lo, hi).await?;
    let (facts, changes) = canmou::store::record_stats::refresh(conn, yesterday, true).await?;
    canmou::workers::analyze_after_bulk(conn, "facts", facts).await;
    let rollup = canmou::workers::rollup::apply(conn, &changes).await?;
    tracing::info!(
        catalog = made.catalog,
        items = made.items,
        cases = made.cases,
        seconds = made.seconds,
        facts,
        rollup_rows = rollup.rows,
        stats_seconds = started.elapsed().as_secs_f64(),
        "demo records generated"
    );
    Ok(())
}

/// The feed sandbox of demo mode: the demo province's upstream, a new business day every
/// day (it follows the clock) or on `POST /_sandbox/advance`. Its log starts where the
/// generated history starts; the stored watermark (set when the history was generated, or
/// here for a database generated before there was one) makes the first sync ask only for
/// later days.
pub async fn feed_sandbox(settings: &Settings, db: &DatabaseConnection) -> anyhow::Result<Sandbox> {
    let tz = settings.timezone();
    let yesterday = business_date(&tz, Utc::now()) - Days::new(1);
    let first_day = yesterday - Days::new(u64::from(settings.demo.days.max(1) - 1));
    let complete_day = period_status::Entity::find_by_id(Grain::Day.code())
        .one(db)
        .await?
        .and_then(|s| from_day_number(s.complete_through))
        .unwrap_or(yesterday)
        .min(yesterday);
    let metrics = generate::metric_infos(db).await?;
    let feed = generate::feed(
        Model::new(settings.demo.seed),
        province::build(settings.demo.scale),
        metrics,
        tz,
        first_day,
        complete_day,
        true,
    );
    if sync::state(db, FEED).await?.and_then(|s| s.watermark).is_none() {
        let watermark = DateTime::from_timestamp(feed.stamp(complete_day), 0).map(rfc3339);
        sync::set_watermark(db, FEED, watermark.as_deref()).await?;
    }
    let sandbox = Sandbox::with_demo(DEMO_TOKEN, feed);
    let model = records::RecordModel::new(&province::build(settings.demo.scale), settings.demo.seed, tz);
    let record_first = yesterday - Days::new(record_days(settings) - 1);
    let generate: canmou_sandboxes::feed::record_log::DayGenerator = Box::new(move |kind, day| {
        let stamp = generate::stamp(day + Days::new(1), &tz);
        match kind {
            RecordKind::Catalog if day == record_first => model.catalog(stamp, record_first),
            RecordKind::Items if day == record_first => model.items(stamp, record_first),
            RecordKind::Cases => model.cases_of_day(day, stamp),
            _ => Vec::new(),
        }
    });
    sandbox.set_records(canmou_sandboxes::feed::record_log::RecordLog::Demo(Box::new(
        canmou_sandboxes::feed::record_log::DemoRecords::new(record_first, complete_day, true, tz, generate),
    )));
    Ok(sandbox)
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// A connection tuned for loading millions of rows into a file nobody else uses yet: no
/// journal, no fsync (the file is renamed into place only when complete).
async fn connect_for_bulk_load(path: &Path) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(format!("{}?mode=rwc", sqlite_url(path)));
    options.max_connections(1).sqlx_logging(false).acquire_timeout(Duration::from_secs(30)).map_sqlx_sqlite_opts(|o| {
        o.journal_mode(SqliteJournalMode::Off)
            .synchronous(SqliteSynchronous::Off)
            .foreign_keys(true)
            // 64 MiB: the facts go in key order and need little; more would only raise the
            // first start's peak memory (256 MiB of cache made it 644 MiB).
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory")
    });
    Database::connect(options).await.context("cannot create the demo database")
}

/// For `--scale` on the command line.
pub fn parse_scale(s: &str) -> Result<DemoScale, String> {
    match s {
        "standard" => Ok(DemoScale::Standard),
        "large" => Ok(DemoScale::Large),
        other => Err(format!("unknown scale `{other}`: expected standard or large")),
    }
}

/// The demo's people: on the first start, a directory sync from the in-process DingTalk
/// sandbox creates the users, their memberships and scopes; `demo-admin` is made an
/// administrator.
pub async fn ensure_people(
    state: &canmou::state::AppState,
) -> anyhow::Result<Option<canmou::workers::directory::RunReport>> {
    use canmou::workers::directory;
    use entities::sync_run::RunStatus;
    use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, Statement};
    let mut report = None;
    // Until a directory sync has completed (an interrupted first start left none), sync.
    let synced = entities::sync_run::Entity::find()
        .filter(entities::sync_run::Column::Source.eq(directory::JOB))
        .filter(entities::sync_run::Column::Status.is_in([RunStatus::Ok, RunStatus::Partial]))
        .count(&state.db)
        .await?
        > 0;
    if !synced {
        println!("Syncing the demo directory from the DingTalk sandbox…");
        let trigger = canmou::workers::RunTrigger::Manual;
        let run = directory::run_until(&state.db, &state.dingtalk, trigger, &state.tz, &state.jobs.token()).await?;
        if run.status == RunStatus::Cancelled {
            return Ok(Some(run));
        }
        if let Some(error) = &run.error {
            bail!("the demo directory sync failed: {error}");
        }
        report = Some(run);
    }
    let backend = state.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "UPDATE users SET role = 'admin' WHERE dingtalk_userid = $1",
        _ => "UPDATE users SET role = 'admin' WHERE dingtalk_userid = ?",
    };
    state.db.execute_raw(Statement::from_sql_and_values(backend, sql, [crate::directory::ADMIN_USERID.into()])).await?;
    state.reload().await?;
    state.principals.invalidate_all();
    Ok(report)
}
