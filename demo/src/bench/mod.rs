//! Benchmarks that run from the command line: the read path's preparation
//! (`canmou bench-prepare`, driven by `scripts/bench_read.py`) and feed ingestion
//! (`canmou bench-ingest`).

pub mod ingest;
pub mod read;
pub mod records;

pub use ingest::{ingest, next_day};
pub use read::prepare;
