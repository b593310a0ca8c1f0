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
    let ctx = workers::Context::standalone(conn, settings)?;
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
    Ok(out)
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
    let ctx = workers::Context::standalone(conn, settings)?;
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
