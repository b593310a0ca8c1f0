//! The sandbox's records (`detail-feed.md`): per kind, a change log of batches stamped with
//! their `updatedAt`, as explicit records (tests) or the demo province's — one batch per
//! business day, generated on demand. Paged like the aggregates: `since` skips the batches
//! stamped at or before it, the cursor is a position (batch, offset).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde_json::Value;

use canmou::domain::records::RecordKind;

/// Demo batches kept generated per kind.
const CACHED_DAYS: usize = 8;

/// One delivery of records sharing an `updatedAt`.
#[derive(Debug, Clone)]
pub struct RecordBatch {
    pub stamp: i64,
    pub rows: Arc<Vec<Value>>,
}

impl RecordBatch {
    /// A batch stamped with its first record's `updatedAt`.
    pub fn of(rows: Vec<Value>) -> RecordBatch {
        let stamp = rows
            .first()
            .and_then(|r| r.get("updatedAt"))
            .and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map_or(0, |t| t.timestamp());
        RecordBatch { stamp, rows: Arc::new(rows) }
    }
}

/// Generates a kind's records of one business day (the demo province's).
pub type DayGenerator = Box<dyn Fn(RecordKind, NaiveDate) -> Vec<Value> + Send>;

/// The demo province's records as an upstream: batch `i` holds what day `first_day + i`
/// brought.
pub struct DemoRecords {
    pub first_day: NaiveDate,
    pub through: NaiveDate,
    pub follow_clock: bool,
    pub tz: chrono_tz::Tz,
    pub generate: DayGenerator,
    cache: BTreeMap<(RecordKind, NaiveDate), Arc<Vec<Value>>>,
}

impl DemoRecords {
    pub fn new(
        first_day: NaiveDate,
        through: NaiveDate,
        follow_clock: bool,
        tz: chrono_tz::Tz,
        generate: DayGenerator,
    ) -> DemoRecords {
        DemoRecords { first_day, through, follow_clock, tz, generate, cache: BTreeMap::new() }
    }

    fn through(&self) -> NaiveDate {
        let mut through = self.through;
        if self.follow_clock {
            let yesterday = canmou::domain::period::business_date(&self.tz, Utc::now()) - Days::new(1);
            through = through.max(yesterday);
        }
        through
    }

    fn stamp(&self, day: NaiveDate) -> i64 {
        super::stamp(day + Days::new(1), &self.tz)
    }
}

/// Where the sandbox's records come from.
pub enum RecordLog {
    Fixture { batches: BTreeMap<RecordKind, Vec<RecordBatch>> },
    Demo(Box<DemoRecords>),
}

impl Default for RecordLog {
    fn default() -> Self {
        RecordLog::Fixture { batches: BTreeMap::new() }
    }
}

impl RecordLog {
    pub fn len(&self, kind: RecordKind) -> usize {
        match self {
            RecordLog::Fixture { batches } => batches.get(&kind).map_or(0, Vec::len),
            RecordLog::Demo(d) => (d.through() - d.first_day).num_days().max(-1).saturating_add(1) as usize,
        }
    }

    pub fn is_empty(&self, kind: RecordKind) -> bool {
        self.len(kind) == 0
    }

    pub fn stamp(&self, kind: RecordKind, i: usize) -> i64 {
        match self {
            RecordLog::Fixture { batches } => batches.get(&kind).and_then(|b| b.get(i)).map_or(i64::MAX, |b| b.stamp),
            RecordLog::Demo(d) => d.stamp(d.first_day + Days::new(i as u64)),
        }
    }

    pub fn rows(&mut self, kind: RecordKind, i: usize) -> Arc<Vec<Value>> {
        match self {
            RecordLog::Fixture { batches } => {
                batches.get(&kind).and_then(|b| b.get(i)).map(|b| b.rows.clone()).unwrap_or_default()
            }
            RecordLog::Demo(d) => {
                let day = d.first_day + Days::new(i as u64);
                if let Some(rows) = d.cache.get(&(kind, day)) {
                    return rows.clone();
                }
                let rows = Arc::new((d.generate)(kind, day));
                d.cache.insert((kind, day), rows.clone());
                while d.cache.len() > CACHED_DAYS * 3 {
                    d.cache.pop_first();
                }
                rows
            }
        }
    }

    /// The first batch stamped after `since`.
    pub fn first_after(&self, kind: RecordKind, since: Option<i64>) -> usize {
        let Some(since) = since else { return 0 };
        let (mut lo, mut hi) = (0, self.len(kind));
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.stamp(kind, mid) <= since { lo = mid + 1 } else { hi = mid }
        }
        lo
    }

    /// Makes a delivery available at once (explicit records only).
    pub fn deliver(&mut self, kind: RecordKind, rows: Vec<Value>) {
        if let RecordLog::Fixture { batches } = self
            && !rows.is_empty()
        {
            batches.entry(kind).or_default().push(RecordBatch::of(rows));
        }
    }

    /// New business days (the demo's).
    pub fn advance(&mut self, days: u32) {
        if let RecordLog::Demo(d) = self {
            d.through = d.through() + Days::new(u64::from(days));
        }
    }
}

/// Spoils record `i` of a page in the `i`-th way of six: each is a rejected row for the sync.
pub fn spoil(kind: RecordKind, record: &Value, i: u32) -> Value {
    let mut v = record.clone();
    let Some(o) = v.as_object_mut() else { return v };
    match i % 6 {
        0 => {
            o.remove("id");
        }
        1 => {
            o.insert("org".into(), "999999-x".into());
        }
        2 => {
            let field = match kind {
                RecordKind::Catalog => "status",
                RecordKind::Items => "implementation",
                RecordKind::Cases => "channel",
            };
            o.insert(field.into(), "bogus".into());
        }
        3 => match kind {
            RecordKind::Cases => {
                o.insert("acceptedAt".into(), "2026-11-20T09:00:00Z".into());
                o.insert("completedAt".into(), "2026-11-19T09:00:00Z".into());
                o.insert("result".into(), "completed".into());
            }
            _ => {
                o.remove("name");
            }
        },
        4 => {
            let field = match kind {
                RecordKind::Catalog => "updatedAt",
                RecordKind::Items => "totalFields",
                RecordKind::Cases => "workingDays",
            };
            o.insert(field.into(), if kind == RecordKind::Catalog { "yesterday".into() } else { (-3).into() });
        }
        _ => {
            o.remove("updatedAt");
        }
    }
    v
}
