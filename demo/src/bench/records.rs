//! `canmou bench-records`: the records behind the numbers against a real database — the
//! record sync from the demo sandbox over HTTP, then a bulk of cases, then the query API's
//! statements (a scoped, filtered, sorted first page at 16 connections, page 500 by keyset, a
//! case-number lookup, a search by item name) and an export's read of 100,000 rows.
//!
//! The queries are timed at the store (`store::records`), the statements the API runs, without
//! HTTP; the figures go to the README.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use chrono::{Days, Utc};
use entities::org;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::province;
use crate::records::RecordModel;
use canmou::config::{DemoScale, Settings};
use canmou::db;
use canmou::domain::period::business_date;
use canmou::domain::records::{Column, Cursor, FilterValue, KindSchema, Query, RecordKind, Sort};
use canmou::routes::records::ExportJob;
use canmou::store::records::{self as store, ListSpec};
use canmou::workers::{self, RunTrigger, records};
use canmou_sandboxes::feed::{self as sandbox, DEMO_TOKEN, Sandbox};
use entities::sync_run::RunStatus;

/// Writes a line of the report, and prints it at once (a long run shows its figures as they
/// come).
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {{
        let line = format!($($arg)*);
        println!("{line}");
        let _ = writeln!($out, "{line}");
    }};
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

fn summary(mut d: Vec<Duration>) -> String {
    d.sort();
    format!("p50 {:.1} ms  p99 {:.1} ms  ({} runs)", percentile(&d, 0.5), percentile(&d, 0.99), d.len())
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

fn filter(
    kind: RecordKind,
    param: &str,
    v: FilterValue,
) -> anyhow::Result<(canmou::domain::records::FilterDef, FilterValue)> {
    let def = kind.filters().iter().find(|f| f.param == param).ok_or_else(|| anyhow::anyhow!("no filter {param}"))?;
    Ok((*def, v))
}

async fn timed<F, Fut>(db: &DatabaseConnection, runs: usize, concurrency: usize, f: F) -> anyhow::Result<Vec<Duration>>
where
    F: Fn(DatabaseConnection, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let f = Arc::new(f);
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let (db, f) = (db.clone(), f.clone());
        tasks.spawn(async move {
            let mut out = Vec::new();
            for i in (worker..runs).step_by(concurrency) {
                let t = Instant::now();
                f(db.clone(), i).await?;
                out.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(out)
        });
    }
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        all.extend(done??);
    }
    Ok(all)
}

/// Syncs `sync_days` days of the demo province's records, bulk-loads cases up to `cases`, then
/// times the queries.
pub async fn run(
    mut settings: Settings,
    cases: u64,
    sync_days: u32,
    concurrency: usize,
    reuse: bool,
) -> anyhow::Result<String> {
    let concurrency = concurrency.clamp(1, 64);
    settings.database.max_connections = settings.database.max_connections.max(concurrency as u32 + 4);
    let conn = db::connect(&settings.database).await?;
    db::migrate(&conn).await?;
    let filled = org::Entity::find().count(&conn).await? > 0;
    if filled && !reuse {
        bail!("the benchmark needs an empty database (a scratch one: it is filled), or --reuse");
    }
    if reuse && !filled {
        bail!("--reuse needs a database a previous run filled");
    }
    let nodes = province::build(DemoScale::Standard);
    let tz = settings.timezone();
    let model = RecordModel::new(&nodes, settings.demo.seed, tz);
    let last = business_date(&tz, Utc::now()) - Days::new(1);
    let mut out = String::new();
    say!(out, "backend            {:?}", conn.get_database_backend());
    if reuse {
        let stored =
            store::count_capped(&conn, &list_query(RecordKind::Cases, Vec::new(), None)?, None, u64::MAX / 4).await?;
        if stored < cases {
            bail!("--reuse: the database holds {stored} cases, fewer than --cases {cases}");
        }
        say!(out, "cases              {stored} (reused: no sync, no load)");
    } else {
        canmou::store::orgs::insert_all(&conn, &nodes).await?;
        sync_and_load(&conn, settings, &model, &mut out, cases, sync_days, last).await?;
    }

    // 3. Queries. A city's subtree (明州: the first city), completed cases, newest first.
    let snapshot = canmou::store::snapshot::load(&conn).await?;
    let tree = &snapshot.orgs;
    let city = nodes.get(1).map_or(canmou::domain::org_tree::OrgId(1), |n| n.id);
    let subtree = Arc::new(tree.subtree(city));
    let cols: Vec<&'static Column> =
        RecordKind::Cases.default_columns().iter().filter_map(|k| RecordKind::Cases.column(k)).collect();
    let cols = Arc::new(cols);
    let completed = list_query(
        RecordKind::Cases,
        vec![filter(RecordKind::Cases, "result", FilterValue::Texts(vec!["completed".into()]))?],
        None,
    )?;
    let q = Arc::new(completed.clone());
    let (qq, oo, cc) = (q.clone(), subtree.clone(), cols.clone());
    let first_page = timed(&conn, 400, concurrency, move |db, _| {
        let (q, orgs, cols) = (qq.clone(), oo.clone(), cc.clone());
        async move {
            store::count_capped(&db, &q, Some(&orgs), canmou::domain::records::COUNT_CAP).await?;
            let spec = ListSpec { query: &q, orgs: Some((*orgs).clone()), after: None, limit: 50, columns: &cols };
            store::list(&db, &spec).await?;
            Ok(())
        }
    })
    .await?;
    say!(out, "first page         {} at {concurrency} connections (with its capped total)", summary(first_page));

    // Page 500: walk there by cursor, then time it against page 1.
    let mut after: Option<Cursor> = None;
    for _ in 0..499 {
        let spec = ListSpec {
            query: &completed,
            orgs: Some((*subtree).clone()),
            after: after.take(),
            limit: 50,
            columns: &cols,
        };
        let (rows, _) = store::list(&conn, &spec).await?;
        after = rows.last().map(|r| Cursor { hash: completed.hash(), value: r.sort.clone(), id: r.id.clone() });
    }
    let mut page1 = Vec::new();
    let mut page500 = Vec::new();
    for _ in 0..100 {
        for (cursor, into) in [(None, &mut page1), (after.clone(), &mut page500)] {
            let t = Instant::now();
            let spec = ListSpec {
                query: &completed,
                orgs: Some((*subtree).clone()),
                after: cursor,
                limit: 50,
                columns: &cols,
            };
            store::list(&conn, &spec).await?;
            into.push(t.elapsed());
        }
    }
    say!(out, "page 1             {}", summary(page1));
    say!(out, "page 500           {}", summary(page500));

    // A case-number lookup, and a search by item name, in the whole province.
    let numbers: Arc<Vec<String>> =
        Arc::new(model.cases_accepted(last - Days::new(3)).iter().take(400).map(|c| model.case_no_of(c)).collect());
    let cc = cols.clone();
    let lookups = timed(&conn, 400, concurrency, move |db, i| {
        let (numbers, cols) = (numbers.clone(), cc.clone());
        async move {
            let no = numbers.get(i % numbers.len().max(1)).cloned().unwrap_or_default();
            let q = list_query(
                RecordKind::Cases,
                vec![filter(RecordKind::Cases, "caseNo", FilterValue::Texts(vec![no]))?],
                None,
            )?;
            store::list(&db, &ListSpec { query: &q, orgs: None, after: None, limit: 50, columns: &cols }).await?;
            Ok(())
        }
    })
    .await?;
    say!(out, "case-number lookup {}", summary(lookups));
    let cc = cols.clone();
    let searches = timed(&conn, 200, concurrency, move |db, i| {
        let cols = cc.clone();
        async move {
            let term = ["食品经营", "社会保障卡", "施工许可", "数据共享"][i % 4];
            let q = list_query(RecordKind::Cases, Vec::new(), Some(term))?;
            store::list(&db, &ListSpec { query: &q, orgs: None, after: None, limit: 50, columns: &cols }).await?;
            Ok(())
        }
    })
    .await?;
    say!(out, "item-name search   {}", summary(searches));

    // 4. An export as the API streams it: 100,000 rows by keyset pages, formatted and written
    // as CSV (the response body's bytes are counted, not sent).
    let rss_before = peak_rss_kb();
    let started = Instant::now();
    let job = ExportJob {
        db: conn.clone(),
        snap: Arc::new(snapshot),
        tz,
        query: list_query(RecordKind::Cases, Vec::new(), None)?,
        orgs: None,
        cols: cols.to_vec(),
        cap: canmou::domain::records::EXPORT_CAP,
    };
    let header: Vec<&'static str> = cols.iter().map(|c| c.label).collect();
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let writer = tokio::spawn(job.csv(header, tx));
    let (mut bytes, mut lines) = (0usize, 0usize);
    while let Some(chunk) = rx.recv().await {
        let chunk = chunk?;
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    writer.await?;
    let rows = lines.saturating_sub(1);
    let secs = started.elapsed().as_secs_f64();
    say!(
        out,
        "export (CSV)       {rows} rows, {:.1} MB in {secs:.2} s = {:.0} rows/s; peak RSS grew {} MB",
        bytes as f64 / 1e6,
        rows as f64 / secs.max(1e-9),
        peak_rss_kb().saturating_sub(rss_before) / 1024
    );
    Ok(out)
}

/// The timed record sync from the sandbox over HTTP, then the bulk of older cases up to
/// `cases`.
async fn sync_and_load(
    conn: &DatabaseConnection,
    mut settings: Settings,
    model: &RecordModel,
    out: &mut String,
    cases: u64,
    sync_days: u32,
    last: chrono::NaiveDate,
) -> anyhow::Result<()> {
    let conn = conn.clone();
    let tz = settings.timezone();
    let first = last - Days::new(u64::from(sync_days.max(1)) - 1);
    // 1. The record sync, from the sandbox over HTTP. The sandbox's days are generated before
    // the clock starts: the benchmark measures the sync, not the generator.
    let sandbox = Sandbox::with_rows(DEMO_TOKEN, vec![], None);
    let stamp_of = |day: chrono::NaiveDate| crate::generate::stamp(day + Days::new(1), &tz);
    sandbox.deliver_records(RecordKind::Catalog, model.catalog(stamp_of(first), first));
    sandbox.deliver_records(RecordKind::Items, model.items(stamp_of(first), first));
    let mut day = first;
    while day <= last {
        sandbox.deliver_records(RecordKind::Cases, model.cases_of_day(day, stamp_of(day)));
        day = day + Days::new(1);
    }
    let spawned = sandbox::spawn(sandbox).await?;
    settings.feed.base_url = spawned.base_url.clone();
    settings.feed.token = DEMO_TOKEN.into();
    settings.feed.page_size = 10_000;
    settings.feed.timeout_secs = 120;
    let ctx = workers::Context::standalone(conn.clone(), settings).await?;
    let report = records::run(&ctx, RunTrigger::Manual).await?;
    spawned.stop().await;
    if report.status != RunStatus::Ok {
        bail!("the record sync ended {}: {}", report.status, report.error.unwrap_or_default());
    }
    let rollup_ms = report.rollup.map_or(0, |r| r.millis);
    let pages_s = report.pages_millis as f64 / 1000.0;
    let stats_s = report.millis.saturating_sub(report.pages_millis + rollup_ms) as f64 / 1000.0;
    let rate = |s: f64| report.rows_stored as f64 / s.max(1e-9);
    say!(
        out,
        "record sync        {} records ({sync_days} days, generated before the clock): pages {pages_s:.2} s = {:.0} rows/s (fetched over HTTP from the in-process sandbox, checked, upserted, committed)",
        report.rows_stored,
        rate(pages_s)
    );
    say!(
        out,
        "  with statistics  + {stats_s:.2} s statistics + {:.2} s roll-up = {:.0} rows/s",
        rollup_ms as f64 / 1000.0,
        rate(pages_s + stats_s + rollup_ms as f64 / 1000.0)
    );

    // 2. A bulk of older cases, as the demo writes its history.
    let loaded = Instant::now();
    let mut stored =
        store::count_capped(&conn, &list_query(RecordKind::Cases, Vec::new(), None)?, None, u64::MAX / 4).await?;
    let mut day = first;
    let mut batch = Vec::new();
    while stored < cases {
        day = day - Days::new(1);
        for c in model.cases_accepted(day) {
            // Older cases completing inside the synced days came with the sync: upserts.
            batch.push(records::Upsert {
                id: model.case_id(&c),
                updated_at: 0,
                values: model.case_values(&c, last, 0),
                completed_day: None,
            });
        }
        if batch.len() >= 50_000 || stored + batch.len() as u64 >= cases {
            let txn = sea_orm::TransactionTrait::begin(&conn).await?;
            store::apply(&txn, RecordKind::Cases, &batch, &[]).await?;
            txn.commit().await?;
            stored += batch.len() as u64;
            batch.clear();
        }
    }
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        conn.execute_unprepared("VACUUM (ANALYZE) record_cases").await?;
    } else {
        conn.execute_unprepared("ANALYZE").await?;
    }
    say!(out, "cases              {stored} (bulk-loaded in {:.1} s)", loaded.elapsed().as_secs_f64());
    Ok(())
}

fn list_query(
    kind: RecordKind,
    filters: Vec<(canmou::domain::records::FilterDef, FilterValue)>,
    q: Option<&str>,
) -> anyhow::Result<Query> {
    Ok(Query { kind, org: None, q: q.map(str::to_owned), filters, sort: Sort { key: "acceptedAt", descending: true } })
}
