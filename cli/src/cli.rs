//! The command line: `canmou [demo|serve|migrate|generate|sync|bench-prepare|bench-ingest]`.
//! With no command, the demo.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use canmou::config::DemoScale;

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
        #[arg(long, value_parser = canmou_demo::parse_scale)]
        scale: Option<DemoScale>,
    },
    /// Start the service against the configured database and DingTalk (production).
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
        #[arg(long, value_parser = canmou_demo::parse_scale, default_value = "standard")]
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
    /// Run one sync now against the configured database and sources, then exit (non-zero if
    /// the run failed).
    Sync {
        #[arg(value_enum)]
        source: SyncSource,
    },
    /// Benchmark: ingest rows from an in-process feed sandbox (the demo province's days) into
    /// a scratch database, then roll up; or, with `--next-day`, one new business day into a
    /// database holding the generated demo province.
    BenchIngest {
        /// The scratch database (`sqlite://…` or `postgres://…`); it must be empty, or with
        /// `--next-day` hold the generated province.
        #[arg(long)]
        database_url: String,
        /// At least this many rows to ingest.
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
        /// Rows per page.
        #[arg(long, default_value_t = 10_000)]
        page_size: u32,
        /// Only sync and roll up the next business day (after `canmou generate`).
        #[arg(long)]
        next_day: bool,
    },
    /// The read benchmark's ceiling: a bare actix-web server (no middleware) answering every
    /// request whose HS256 bearer token verifies with a fixed 1 KB JSON. Runs until stopped.
    BenchCeiling {
        #[arg(long, default_value_t = 18090)]
        port: u16,
        /// The HS256 key the tokens are signed with.
        #[arg(long, env = "CANMOU_BENCH_SECRET")]
        secret: String,
    },
    /// Benchmark the records: sync `--sync-days` days of the demo province's records from an
    /// in-process sandbox into a scratch database, bulk-load cases up to `--cases`, then time
    /// the record queries and an export's read.
    BenchRecords {
        /// The scratch database (`sqlite://…` or `postgres://…`); it must be empty (unless `--reuse`).
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 1_000_000)]
        cases: u64,
        #[arg(long, default_value_t = 30)]
        sync_days: u32,
        /// Connections the concurrent queries use.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Time the queries and the export only, in a database a previous run filled with at
        /// least `--cases` cases (no sync, no load): loading 20 million cases takes long.
        #[arg(long)]
        reuse: bool,
    },
}

/// What `canmou sync` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SyncSource {
    /// The upstream aggregate feed (`feed.base_url`), then the roll-up.
    Feed,
    /// The upstream detail feed's records (`feed.base_url`), then their statistics.
    Records,
    /// The DingTalk directory.
    Directory,
}
