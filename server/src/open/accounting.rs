//! Every open API call is recorded — application, endpoint, parameters, rows, status,
//! duration — without slowing the call: the request hands its record to a channel, and one
//! task per instance writes them in batches (at most every `accounting_flush_ms`, or sooner
//! when a batch is full). The same task deletes records older than the retention, hourly.
//! When the writer falls far behind, records are dropped and counted rather than queued
//! without bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};

use super::OpenSettings;
use crate::store::open_calls::{self, Call};

const BATCH: usize = 500;
const QUEUE: usize = 100_000;

enum Msg {
    Call(Call),
    Flush(oneshot::Sender<()>),
}

pub struct CallLog {
    tx: mpsc::Sender<Msg>,
    dropped: Arc<AtomicU64>,
}

impl CallLog {
    /// Starts the writer (inside the runtime).
    pub fn start(db: DatabaseConnection, settings: &OpenSettings) -> CallLog {
        let (tx, rx) = mpsc::channel(QUEUE);
        let every = Duration::from_millis(settings.accounting_flush_ms.max(10));
        let retention = chrono::Duration::days(i64::from(settings.accounting_retention_days.max(1)));
        tokio::spawn(write(db, rx, every, retention));
        CallLog { tx, dropped: Arc::new(AtomicU64::new(0)) }
    }

    /// Hands a record to the writer; never waits.
    pub fn record(&self, call: Call) {
        if self.tx.try_send(Msg::Call(call)).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records dropped because the writer was too far behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Waits until every record handed over so far is written (tests, shutdown, exports).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

async fn write(db: DatabaseConnection, mut rx: mpsc::Receiver<Msg>, every: Duration, retention: chrono::Duration) {
    let mut batch: Vec<Call> = Vec::with_capacity(BATCH);
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    let mut tick = tokio::time::interval(every);
    let mut last_prune: Option<std::time::Instant> = None;
    loop {
        let flush_now = tokio::select! {
            msg = rx.recv() => match msg {
                Some(Msg::Call(c)) => { batch.push(c); batch.len() >= BATCH }
                Some(Msg::Flush(done)) => { waiting.push(done); true }
                None => { save(&db, &mut batch).await; return; }
            },
            _ = tick.tick() => true,
        };
        if flush_now {
            save(&db, &mut batch).await;
            for done in waiting.drain(..) {
                let _ = done.send(());
            }
        }
        if last_prune.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
            last_prune = Some(std::time::Instant::now());
            prune(&db, retention).await;
        }
    }
}

async fn save(db: &DatabaseConnection, batch: &mut Vec<Call>) {
    if batch.is_empty() {
        return;
    }
    let calls = std::mem::take(batch);
    let n = calls.len();
    if let Err(e) = open_calls::insert(db, calls).await {
        tracing::warn!(error = ?e, calls = n, "could not record open API calls");
    }
}

/// Deletes call records older than `retention`, and quota counters older than a week.
pub async fn prune(db: &DatabaseConnection, retention: chrono::Duration) {
    let cutoff = (Utc::now() - retention).fixed_offset();
    match open_calls::prune(db, cutoff).await {
        Ok(n) if n > 0 => tracing::info!(deleted = n, "pruned old open API call records"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = ?e, "could not prune open API call records"),
    }
    let week_ago = crate::domain::period::day_number(Utc::now().date_naive()) - 7;
    if let Err(e) = crate::store::open_apps::prune_quota(db, week_ago).await {
        tracing::warn!(error = ?e, "could not prune open API quota counters");
    }
}
