use std::process::ExitCode;

use clap::Parser;
use migrations::{Migrator, MigratorTrait};

use canmou::cli::{Cli, Command, SyncSource};
use canmou::config::Settings;
use canmou::startup::Application;
use canmou::workers::{self, Trigger};
use canmou::{bench, db, demo, telemetry};

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
            let app = Application::build_demo(settings.clone(), conn).await?;
            print_demo_banner(&settings.server.host, app.port());
            app.run_until_stopped().await?;
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
        Command::Sync { source: SyncSource::Directory } => {
            anyhow::bail!("the directory sync is not part of this build yet");
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
    println!("  indicator catalogue  {base}/api/v1/metrics");
    println!("  API description      {base}/openapi.json");
    println!("  health / readiness   {base}/healthz  {base}/readyz");
    println!("  Prometheus metrics   {base}/metrics");
    println!("  feed sandbox         {base}/sandbox/feed/_sandbox/stats  (POST …/_sandbox/advance {{\"days\":1}})");
    println!("Press Ctrl-C to stop.");
}
