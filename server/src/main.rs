use std::process::ExitCode;

use clap::Parser;
use migrations::{Migrator, MigratorTrait};

use canmou::cli::{Cli, Command, SyncSource};
use canmou::config::Settings;
use canmou::dingtalk::DingTalkClient;
use canmou::dingtalk::sandbox::{SandboxOptions, SandboxState};
use canmou::startup::{Application, Sandboxes};
use canmou::workers::{self, Trigger};
use canmou::{bench, db, demo, telemetry};

/// mimalloc returns freed pages to the system; with glibc's allocator the resident size of a
/// loaded server kept growing with memory it no longer used.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log);
    match run(cli.command.unwrap_or(Command::Demo { scale: None }), settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = ?e, "canmou stopped");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, mut settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Demo { scale } => {
            if let Some(scale) = scale {
                settings.demo.scale = scale;
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
            // In-process, the sandbox needs no pacing; its limiter is tested on its own.
            let options = SandboxOptions { qps: 0, ..SandboxOptions::default() };
            let sandbox = actix_web::web::Data::new(SandboxState::new(directory, options));
            settings.dingtalk.qps = 1_000;
            let sandboxes = Sandboxes { dingtalk: Some(sandbox), feed: true };
            let app = Application::build_with(settings.clone(), conn, sandboxes).await?;
            let (state, port) = (app.state(), app.port());
            let server = tokio::spawn(app.run_until_stopped());
            if let Some(run) = demo::ensure_people(&state).await? {
                println!(
                    "Synced the demo directory from the DingTalk sandbox: {} departments, {} users.",
                    run.departments, run.users
                );
            }
            demo::calendar::seed(&state.db).await?;
            print_demo_banner(&settings.server.host, port);
            server.await??;
        }
        Command::Serve => {
            settings.check_production()?;
            let conn = db::connect(&settings.database).await?;
            db::migrate(&conn).await?;
            let app = Application::build(settings, conn).await?;
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
            canmou::bench::prepare(&conn, &settings, users, &out).await?;
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
            let date = date.unwrap_or_else(|| canmou::bench_briefing::yesterday(&settings));
            let state = canmou::state::AppState::new(settings, conn).await?;
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
            let report = canmou::bench_briefing::run(conn, settings, users, qps).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Command::Sync { source: SyncSource::Directory } => {
            let conn = db::connect(&settings.database).await?;
            db::migrate(&conn).await?;
            let client = DingTalkClient::new(&settings.dingtalk)?;
            let report = workers::directory::run(&conn, &client, Trigger::Manual, &settings.timezone()).await?;
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
            let ctx = workers::Context::standalone(conn, settings)?;
            let report = workers::feed::run(&ctx, Trigger::Manual).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            if report.status == "failed" {
                anyhow::bail!("the feed sync failed: {}", report.error.unwrap_or_default());
            }
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
    println!("  feed sandbox         {base}/sandbox/feed/_sandbox/stats  (POST …/_sandbox/advance {{\"days\":1}})");
    println!("Press Ctrl-C to stop.");
}
