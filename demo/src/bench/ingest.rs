//! `canmou bench-ingest`: how fast the feed sync stores rows and how long the roll-up takes,
//! against a real database and the feed sandbox over HTTP on a local port.

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::bail;
use chrono::{DateTime, Days, Utc};
use entities::org;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::generate;
use crate::model::Model;
use crate::province;
use canmou::config::{DemoScale, Settings};
use canmou::db;
use canmou::domain::period::business_date;
use canmou::store::sync;
use canmou::workers::{self, RunTrigger, feed};
use canmou_sandboxes::feed::{self as sandbox, DEMO_TOKEN, Sandbox};
use entities::sync_run::RunStatus;

fn tune(settings: &mut Settings, base_url: &str, page_size: u32) {
    settings.feed.base_url = base_url.to_owned();
    settings.feed.token = DEMO_TOKEN.into();
    settings.feed.page_size = page_size.clamp(1, sandbox::MAX_LIMIT);
    settings.feed.timeout_secs = 120;
}

/// Ingests at least `rows` rows (whole business days of the standard demo province, none
/// stored before) into an empty database.
pub async fn ingest(mut settings: Settings, rows: u64, page_size: u32) -> anyhow::Result<String> {
    let conn = db::connect(&settings.database).await?;
    db::migrate(&conn).await?;
    if org::Entity::find().count(&conn).await? > 0 {
        bail!("the benchmark needs an empty database (a scratch one: it is filled)");
    }
    let nodes = province::build(DemoScale::Standard);
    canmou::store::orgs::insert_all(&conn, &nodes).await?;
    let metrics = generate::metric_infos(&conn).await?;
    let tz = settings.timezone();
    let model = Model::new(settings.demo.seed);
    let last = business_date(&tz, Utc::now()) - Days::new(1);
    let per_day = generate::upstream_day(&model, &nodes, &metrics, last, last).len().max(1) as u64;
    let days = rows.div_ceil(per_day).max(1);
    let first = last - Days::new(days - 1);
    let prepared = Instant::now();
    let sandbox = Sandbox::with_demo(DEMO_TOKEN, generate::feed(model, nodes, metrics, tz, first, last, false));
    // Generated before the clock starts: the benchmark measures the sync, not the sandbox.
    let available = sandbox.rows_after(None);
    let prepare_s = prepared.elapsed().as_secs_f64();
    let spawned = sandbox::spawn(sandbox).await?;
    tune(&mut settings, &spawned.base_url, page_size);
    let ctx = workers::Context::standalone(conn, settings).await?;
    let report = feed::run(&ctx, RunTrigger::Manual).await?;
    spawned.stop().await;
    if report.status == RunStatus::Failed {
        bail!("the sync failed: {}", report.error.unwrap_or_default());
    }
    let rollup = report.rollup.unwrap_or_default();
    let ingest_s = (report.millis.saturating_sub(rollup.millis)) as f64 / 1000.0;
    let mut out = String::new();
    let _ = writeln!(out, "backend            {:?}", sea_orm::ConnectionTrait::get_database_backend(&ctx.db));
    let _ = writeln!(
        out,
        "days               {days} ({first} to {last}), {per_day} rows a day, {available} rows (sandbox prepared in {prepare_s:.1} s)"
    );
    let _ = writeln!(out, "page size          {page_size}");
    let _ = writeln!(out, "pages              {}", report.pages);
    let _ = writeln!(out, "rows stored        {}", report.rows_stored);
    let _ = writeln!(
        out,
        "ingest             {ingest_s:.2} s  = {:.0} rows/s",
        report.rows_stored as f64 / ingest_s.max(1e-9)
    );
    let _ = writeln!(out, "roll-up            {:.2} s ({} rows derived)", rollup.millis as f64 / 1000.0, rollup.rows);
    if sea_orm::ConnectionTrait::get_database_backend(&ctx.db) == sea_orm::DbBackend::Postgres {
        let (rows, copy_s) = copy_anchor(&ctx.db).await?;
        let copy_rate = rows as f64 / copy_s.max(1e-9);
        let ingest_rate = report.rows_stored as f64 / ingest_s.max(1e-9);
        let _ = writeln!(
            out,
            "COPY (the anchor)  {copy_s:.2} s  = {copy_rate:.0} rows/s ({rows} rows into an empty copy of facts)"
        );
        let _ = writeln!(out, "ingest / COPY      {:.2}", ingest_rate / copy_rate);
    }
    Ok(out)
}

/// The speed of PostgreSQL's own bulk load, as the ingest's anchor: the upstream rows just
/// ingested, streamed out with `COPY … TO STDOUT` (untimed) and back with `COPY … FROM STDIN`
/// into an empty table like `facts` (its primary key included).
async fn copy_anchor(db: &sea_orm::DatabaseConnection) -> anyhow::Result<(u64, f64)> {
    use futures_util::TryStreamExt;
    use sea_orm::ConnectionTrait;
    use sea_orm::sqlx::postgres::PgPoolCopyExt;
    let pool = db.get_postgres_connection_pool();
    let data: Vec<u8> = pool
        .copy_out_raw("COPY (SELECT * FROM facts WHERE origin = 0) TO STDOUT")
        .await?
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await?;
    db.execute_unprepared("DROP TABLE IF EXISTS facts_copy_anchor").await?;
    db.execute_unprepared("CREATE TABLE facts_copy_anchor (LIKE facts INCLUDING ALL)").await?;
    let started = Instant::now();
    let mut copy = pool.copy_in_raw("COPY facts_copy_anchor FROM STDIN").await?;
    for chunk in data.chunks(1 << 20) {
        copy.send(chunk).await?;
    }
    let rows = copy.finish().await?;
    let seconds = started.elapsed().as_secs_f64();
    db.execute_unprepared("DROP TABLE facts_copy_anchor").await?;
    Ok((rows, seconds))
}

/// One new business day into a database holding the generated demo province (`canmou
/// generate`): the sync of that day, and its roll-up.
pub async fn next_day(mut settings: Settings, page_size: u32) -> anyhow::Result<String> {
    let conn = db::connect(&settings.database).await?;
    db::migrate(&conn).await?;
    let Some(watermark) = sync::state(&conn, feed::SOURCE).await?.and_then(|s| s.watermark) else {
        bail!("no feed watermark: run `canmou generate` into this database first");
    };
    let since = DateTime::parse_from_rfc3339(&watermark)?.with_timezone(&Utc);
    let nodes = province::build(settings.demo.scale);
    let metrics = generate::metric_infos(&conn).await?;
    let tz = settings.timezone();
    // The generated history ends the day before the watermark's morning.
    let through = since.with_timezone(&tz).date_naive() - Days::new(1);
    let first = through - Days::new(u64::from(settings.demo.days.max(1) - 1));
    let model = Model::new(settings.demo.seed);
    let sandbox = Sandbox::with_demo(DEMO_TOKEN, generate::feed(model, nodes, metrics, tz, first, through, false));
    let day = sandbox.advance(1);
    let available = sandbox.rows_after(Some(since));
    let spawned = sandbox::spawn(sandbox).await?;
    tune(&mut settings, &spawned.base_url, page_size);
    let ctx = workers::Context::standalone(conn, settings).await?;
    let report = feed::run(&ctx, RunTrigger::Manual).await?;
    spawned.stop().await;
    if report.status == RunStatus::Failed {
        bail!("the sync failed: {}", report.error.unwrap_or_default());
    }
    let rollup = report.rollup.unwrap_or_default();
    let mut out = String::new();
    let _ = writeln!(out, "backend            {:?}", sea_orm::ConnectionTrait::get_database_backend(&ctx.db));
    let _ = writeln!(out, "new business day   {} ({available} rows)", day.map(|d| d.to_string()).unwrap_or_default());
    let _ = writeln!(
        out,
        "sync               {:.2} s ({} rows stored)",
        (report.millis.saturating_sub(rollup.millis)) as f64 / 1000.0,
        report.rows_stored
    );
    let _ = writeln!(out, "roll-up            {:.2} s ({} rows derived)", rollup.millis as f64 / 1000.0, rollup.rows);
    Ok(out)
}
