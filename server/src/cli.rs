//! The command line: `canmou [demo|serve|migrate|generate|sync]`. With no command, the demo.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::DemoScale;

#[derive(Debug, Parser)]
#[command(name = "canmou", version, about = "Canmou (参谋): the mobile KPI backend for government DingTalk")]
pub struct Cli {
    /// A TOML configuration file (layered over the defaults, under CANMOU_… variables).
    #[arg(long, short, env = "CANMOU_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the demo: a generated province in ./data/canmou.db and in-process sandboxes.
    /// Needs no configuration. The default command.
    Demo {
        /// `standard` (about 600 org nodes) or `large` (about 2,000).
        #[arg(long, value_parser = crate::demo::parse_scale)]
        scale: Option<DemoScale>,
    },
    /// Start the service against the configured database and DingTalk.
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate {
        /// Roll back this many migrations instead.
        #[arg(long)]
        down: Option<u32>,
    },
    /// Prepare the read benchmark: bench users spread over the org tree, their tokens, and
    /// request lists (see scripts/bench_read.py).
    BenchPrepare {
        #[arg(long, default_value_t = 300)]
        users: usize,
        #[arg(long, default_value = "target/bench")]
        out: PathBuf,
    },
    /// Generate the demo province into the configured (empty) database, e.g. PostgreSQL for
    /// benchmarks, then exit.
    Generate {
        #[arg(long, value_parser = crate::demo::parse_scale, default_value = "standard")]
        scale: DemoScale,
        /// Days of history.
        #[arg(long)]
        days: Option<u32>,
    },
    /// Send the daily briefing for a business date now (to every enabled subscriber who has
    /// none for it yet, whatever their send time), reconcile, report, then exit.
    Brief {
        /// The business date reported (`YYYY-MM-DD`); default: yesterday. Its data must be
        /// complete.
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
    },
    /// Benchmark the briefing: bench users spread over the demo province, sent through an
    /// in-process DingTalk sandbox at `--qps`, timed against the floor (contents ÷ qps).
    BenchBrief {
        #[arg(long, default_value_t = 10_000)]
        users: usize,
        #[arg(long, default_value_t = 20)]
        qps: u32,
    },
    /// Run one sync now against the configured database and sources, then exit.
    Sync {
        #[command(subcommand)]
        job: SyncJob,
    },
}

#[derive(Debug, Subcommand)]
pub enum SyncJob {
    /// Walk the DingTalk directory and update orgs, users, scopes and directory completeness.
    Directory,
}
