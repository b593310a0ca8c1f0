use std::time::Duration;

use clap::Parser;
use migrations::{Migrator, MigratorTrait};

mod ceiling;
mod cli;

use canmou::config::Settings;
use canmou::dingtalk::DingTalkClient;
use canmou::startup::Application;
use canmou::supervisor::Supervisor;
use canmou::workers::{self, RunTrigger};
use canmou::{db, telemetry};
use canmou_demo::{self as demo, bench};
use cli::{Cli, Command, SyncSource};

/// mimalloc returns freed pages to the system; with glibc's allocator the resident size of a
/// loaded server kept growing with memory it no longer used.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    telemetry::init(&settings.log);
    let grace = Duration::from_secs(settings.server.shutdown_grace_secs.max(1));
    let jobs = Supervisor::new();
    let work = run(cli.command.unwrap_or(Command::Demo { scale: None }), settings, jobs.clone());
    tokio::pin!(work);
    // The first SIGTERM or SIGINT cancels the supervisor: the server stops accepting, requests
    // and jobs finish (jobs at their next safe point) within the grace period; the process
    // exits then in any case. A second signal exits at once.
    let outcome = tokio::select! {
        outcome = &mut work => outcome,
        signal = shutdown_signal() => {
            eprintln!("{signal}: stopping within {} s (again to stop at once)…", grace.as_secs());
            tracing::info!(signal, "shutdown requested");
            jobs.cancel();
            tokio::spawn(async {
                let signal = shutdown_signal().await;
                eprintln!("{signal} again: stopping at once.");
                std::process::exit(130);
            });
            match tokio::time::timeout(grace, &mut work).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    eprintln!("error: not stopped within {} s (server.shutdown_grace_secs); exiting.", grace.as_secs());
                    std::process::exit(1);
                }
            }
        }
    };
    // Exit here rather than by dropping the runtime, which would wait for blocking tasks (an
    // export being written) without bound.
    match outcome {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            tracing::error!(error = ?e, "canmou stopped");
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}

/// The next SIGINT (Ctrl-C) or SIGTERM, by name.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

async fn run(command: Command, mut settings: Settings, jobs: Supervisor) -> anyhow::Result<()> {
    match command {
        Command::Demo { scale } => {
            if let Some(scale) = scale {
                settings.demo.scale = scale;
            }
            for note in demo::launch::confine(&mut settings)? {
                println!("{note}");
            }
            let path = demo::database_path(&settings);
            if !path.exists() {
                println!("Generating the demo province into {} (first start only)…", path.display());
            }
            let (conn, generated) = demo::open_or_generate(&settings).await?;
            if let Some(stats) = generated {
                println!(
                    "Generated {} org nodes and {} facts ({} to {}) in {:.1} s.",
                    stats.orgs, stats.facts, stats.first_day, stats.last_day, stats.seconds
                );
            }
            let directory = demo::directory::build(settings.demo.scale, settings.demo.seed);
            let app = demo::launch::build(settings.clone(), conn, directory, jobs.clone()).await?;
            let (state, port) = (app.state(), app.port());
            let server = tokio::spawn(app.run_until_stopped());
            // The first directory sync is a job like any other: a shutdown stops it, and the
            // next start runs it again.
            match demo::ensure_people(&state).await? {
                Some(run) if run.status == canmou::store::sync::RunStatus::Cancelled => {
                    println!("Stopped during the first directory sync; the next start runs it again.");
                    return server.await?;
                }
                Some(run) => println!(
                    "Synced the demo directory from the DingTalk sandbox: {} departments, {} users.",
                    run.departments, run.users
                ),
                None => {}
            }
            demo::calendar::seed(&state.db).await?;
            print_demo_banner(&settings.server.host, port);
            server.await??;
        }
        Command::Serve => {
            settings.check_production()?;
            let conn = db::connect(&settings.database).await?;
            db::migrate(&conn).await?;
            let listener = Application::bind(&settings)?;
            let app = Application::from_listener(listener, settings, conn, None, jobs).await?;
            tracing::info!(port = app.port(), "serving");
            app.run_until_stopped().await?;
        }
        Command::Migrate { down } => {
            let conn = db::connect(&settings.database).await?;
            db::check_ownership(&conn).await?;
            match down {
                Some(n) => Migrator::down(&conn, Some(n)).await?,
                None => Migrator::up(&conn, None).await?,
            }
            let pending = Migrator::get_pending_migrations(&conn).await?.len();
            println!("Migrations done; {pending} pending.");
        }
        Command::BenchPrepare { users, out } => {
            let conn = db::connect(&settings.database).await?;
            db::migrate(&conn).await?;
            bench::prepare(&conn, &settings, users, &out).await?;
        }
        Command::Generate { scale, days } => {
            settings.demo.scale = scale;
            if let Some(days) = days {
                settings.demo.days = days;
            }
            let conn = db::connect(&settings.database).await?;
            db::migrate(&conn).await?;
            let stats = demo::fill(&conn, &settings).await?;
            println!("Generated {} org nodes and {} facts in {:.1} s.", stats.orgs, stats.facts, stats.seconds);
        }
        Command::Brief { date } => {
            let conn = db::connect(&settings.database).await?;
            db::migrate(&conn).await?;
            let today = canmou::domain::period::business_date(&settings.timezone(), chrono::Utc::now());
            let date = date.unwrap_or(today - chrono::Days::new(1));
            let state = canmou::state::AppState::supervised(settings, conn, jobs).await?;
            let report = workers::briefing::run_for_date(&state, date, None, chrono::Utc::now()).await?;
            println!(
                "Briefing for {date}: {} due, {} recorded, {} contents, {} send calls, {} sent, {} unknown, {} failed, {} deferred.",
                report.due,
                report.recorded,
                report.contents,
                report.send_calls,
                report.sent,
                report.unknown,
                report.failed,
                report.deferred
            );
            let reconciled = workers::briefing::reconcile(&state, chrono::Utc::now()).await?;
            println!(
                "Reconciled {} tasks: {} read, {} unread, {} forbidden, {} invalid users, {} failed.",
                reconciled.tasks,
                reconciled.read,
                reconciled.unread,
                reconciled.forbidden,
                reconciled.invalid_user,
                reconciled.failed
            );
            if let Some(stopped) = report.stopped {
                anyhow::bail!("sending stopped early: {stopped}");
            }
        }
        Command::BenchBrief { users, qps } => {
            let conn = db::connect(&settings.database).await?;
            db::migrate(&conn).await?;
            let report = demo::bench_briefing::run(conn, settings, users, qps).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Command::Sync { source: SyncSource::Directory } => {
            let conn = db::connect(&settings.database).await?;
            db::migrate(&conn).await?;
            let client = DingTalkClient::new(&settings.dingtalk)?;
            let report =
                workers::directory::run_until(&conn, &client, RunTrigger::Manual, &settings.timezone(), &jobs.token())
                    .await?;
            println!(
                "Directory sync {} ({}): {} departments, {} users, {} rows changed.",
                report.run_id,
                report.status.as_str(),
                report.departments,
                report.users,
                report.changes.total()
            );
            if let Some(error) = &report.error {
                anyhow::bail!("directory sync {}: {error}", report.status.as_str());
            }
        }
        Command::Sync { source: SyncSource::Feed } => {
            let conn = db::connect(&settings.database).await?;
            db::migrate(&conn).await?;
            let ctx = workers::Context::standalone(conn, settings).await?.with_cancel(jobs.token());
            let report = workers::feed::run(&ctx, RunTrigger::Manual).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            if !report.status.succeeded() {
                anyhow::bail!("the feed sync {}: {}", report.status, report.error.unwrap_or_default());
            }
        }
        Command::Sync { source: SyncSource::Records } => {
            let conn = db::connect(&settings.database).await?;
            db::migrate(&conn).await?;
            let ctx = workers::Context::standalone(conn, settings).await?.with_cancel(jobs.token());
            let report = workers::records::run(&ctx, RunTrigger::Manual).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            if !report.status.succeeded() {
                anyhow::bail!("the record sync {}: {}", report.status, report.error.unwrap_or_default());
            }
        }
        Command::BenchCeiling { port, secret } => ceiling::run(port, &secret).await?,
        Command::BenchRecords { database_url, cases, sync_days, concurrency, reuse } => {
            settings.database.url = database_url.into();
            // The report's lines are printed as they come.
            bench::records::run(settings, cases, sync_days, concurrency, reuse).await?;
        }
        Command::BenchIngest { database_url, rows, page_size, next_day } => {
            settings.database.url = database_url.into();
            let report = if next_day {
                bench::next_day(settings, page_size).await?
            } else {
                bench::ingest(settings, rows, page_size).await?
            };
            println!("{report}");
        }
    }
    Ok(())
}

fn print_demo_banner(host: &str, port: u16) {
    let base = format!("http://{host}:{port}");
    println!();
    println!("Canmou demo is running at {base}");
    println!();
    println!("Sign in as the leader of 明州市 (demo-official), as the mini-program would:");
    println!(
        "  CODE=$(curl -s -X POST {base}/sandbox/dingtalk/_sandbox/auth-codes -H 'content-type: application/json' \\"
    );
    println!("         -d '{{\"userid\":\"demo-official\"}}' | sed 's/.*\"authCode\":\"\\([^\"]*\\)\".*/\\1/')");
    println!("  TOKEN=$(curl -s -X POST {base}/api/v1/auth/dingtalk -H 'content-type: application/json' \\");
    println!("         -d \"{{\\\"authCode\\\":\\\"$CODE\\\"}}\" | sed 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/')");
    println!("  curl -s {base}/api/v1/home -H \"authorization: Bearer $TOKEN\"");
    println!("(the same with userid demo-admin for the province administrator)");
    println!();
    println!(
        "Administrators, in a browser: the console at {base}/admin  (登录 → the sandbox's QR page: pick demo-admin)"
    );
    println!();
    println!("  indicator catalogue  {base}/api/v1/metrics");
    println!("  API description      {base}/openapi.json");
    println!("  health / readiness   {base}/healthz  {base}/readyz");
    println!("  Prometheus metrics   {base}/metrics");
    println!(
        "  feed sandbox         {base}{}/_sandbox/stats  (POST …/_sandbox/advance {{\"days\":1}})",
        demo::launch::FEED_SANDBOX
    );
    println!("Press Ctrl-C to stop.");
}
