//! Roll-up of what a sync changed: from the changed (metric, org, day) keys of derivable
//! metrics, the parents' days (up to the root) and then every touched org's week, month,
//! quarter and year, by the metric's kind (`domain::rollup`): sums add, stocks take the last
//! day with data, ratios roll their parts and divide, distinct counts are never derived.
//!
//! Coarser grains are built from the next finer one that nests in them — weeks and months
//! from days, quarters from months, years from quarters — which gives the same figures as
//! rolling the days up directly, for every kind, while reading a few rows per period instead
//! of a year of days. A figure the upstream delivered itself (origin 0) is never replaced.
//!
//! Everything is written in one transaction with the data-version bump, and the "pending"
//! marker that a sync leaves with each page is cleared in it too: a crash between a sync's
//! commit and its roll-up leaves the marker, and the next run rolls those days up again.

use entities::ids::OrgId;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use entities::{metric, org};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};

use crate::domain::metric::Kind;
use crate::domain::period::{Grain, Period, day_number, from_day_number};
pub use crate::domain::rollup::Changes;
use crate::domain::rollup::{self, Figure};
use crate::store::StoreError;
use crate::store::facts::{self, FactRow, origin};
use crate::store::sync;

/// Metrics derived at once.
const PARALLEL_METRICS: usize = 4;

/// The `sync_state` row that remembers days still to roll up.
pub const PENDING: &str = "rollup";

/// What a roll-up did.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub rows: u64,
    pub millis: u64,
}

/// Inside a sync page's transaction: remembers that days `from..=to` need a roll-up.
pub async fn mark_pending<C: ConnectionTrait>(db: &C, from: i32, to: i32) -> Result<(), StoreError> {
    let (lo, hi) = match pending(db).await? {
        Some((a, b)) => (a.min(from), b.max(to)),
        None => (from, to),
    };
    sync::set_cursor(db, PENDING, Some(&format!("{lo}:{hi}"))).await
}

/// Days a sync stored but no roll-up has covered yet.
pub async fn pending<C: ConnectionTrait>(db: &C) -> Result<Option<(i32, i32)>, StoreError> {
    let state = sync::state(db, PENDING).await?;
    Ok(state.and_then(|s| s.cursor).and_then(|c| {
        let (a, b) = c.split_once(':')?;
        Some((a.parse().ok()?, b.parse().ok()?))
    }))
}

/// The org tree as the roll-up needs it.
struct Tree {
    parent: HashMap<i32, i32>,
    children: HashMap<i32, Vec<i32>>,
    level: HashMap<i32, i16>,
    all: Vec<i32>,
}

impl Tree {
    async fn load<C: ConnectionTrait>(db: &C) -> Result<Tree, StoreError> {
        let nodes = org::Entity::find().all(db).await?;
        let mut t = Tree { parent: HashMap::new(), children: HashMap::new(), level: HashMap::new(), all: Vec::new() };
        for n in nodes.into_iter().filter(|n| n.active) {
            // The roll-up works on bare ids: it is the bulk path of the facts table.
            let id = n.id.get();
            if let Some(p) = n.parent_id.map(OrgId::get) {
                t.parent.insert(id, p);
                t.children.entry(p).or_default().push(id);
            }
            t.level.insert(id, n.level);
            t.all.push(id);
        }
        Ok(t)
    }

    /// The org's ancestors, nearest first (bounded against a cycle in corrupt data).
    fn ancestors(&self, org: i32) -> impl Iterator<Item = i32> + '_ {
        let mut next = self.parent.get(&org).copied();
        std::iter::from_fn(move || {
            let current = next?;
            next = self.parent.get(&current).copied();
            Some(current)
        })
        .take(64)
    }
}

type Key = (i32, i32);

/// Rolls `changes` up and bumps the data version, in one transaction.
pub async fn apply(db: &DatabaseConnection, changes: &Changes) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let tree = Tree::load(db).await?;
    let kinds: HashMap<i32, Kind> = metric::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| Some((m.id.get(), Kind::from_columns(m.kind, m.part_kind).ok()?)))
        .filter(|(_, k)| k.derivable())
        .collect();
    // Metrics are independent: a few at a time, so reads overlap.
    let tree = Arc::new(tree);
    let mut tasks = tokio::task::JoinSet::new();
    let mut out = Derived::default();
    for (metric_id, kind) in kinds {
        let mut changed: BTreeMap<i32, BTreeSet<i32>> = changes.of_metric(metric_id);
        for day in changes.whole_days() {
            changed.entry(*day).or_default().extend(tree.all.iter().copied());
        }
        if changed.is_empty() {
            continue;
        }
        while tasks.len() >= PARALLEL_METRICS {
            if let Some(done) = tasks.join_next().await {
                out.extend(done??);
            }
        }
        let (db, tree) = (db.clone(), tree.clone());
        tasks.spawn(async move {
            let mut derived = Derived::default();
            derive_metric(&db, &tree, metric_id, kind, &changed, &mut derived).await.map(|()| derived)
        });
    }
    while let Some(done) = tasks.join_next().await {
        out.extend(done??);
    }
    let txn = crate::store::begin_writer(db).await?;
    let rows = facts::upsert_rollups(&txn, &out.rows).await?;
    facts::delete_rollups(&txn, &out.gone).await?;
    facts::bump_data_version(&txn).await?;
    sync::set_cursor(&txn, PENDING, None).await?;
    txn.commit().await?;
    Ok(Outcome { rows, millis: started.elapsed().as_millis() as u64 })
}

/// What a roll-up writes: the derived rows, and the earlier roll-ups whose parts are all gone
/// (a day whose cases were all reopened or deleted, say), to remove.
#[derive(Default)]
struct Derived {
    rows: Vec<FactRow>,
    gone: Vec<FactRow>,
}

impl Derived {
    fn extend(&mut self, other: Derived) {
        self.rows.extend(other.rows);
        self.gone.extend(other.gone);
    }

    /// Nothing derives the figure at `key` any more: an earlier roll-up there goes.
    fn none_at(&mut self, target: &mut HashMap<Key, FactRow>, key: Key) {
        if target.get(&key).is_some_and(|r| r.origin == origin::ROLLUP)
            && let Some(r) = target.remove(&key)
        {
            self.gone.push(r);
        }
    }
}

/// Stamps a derived figure.
fn derived(metric_id: i32, org_id: i32, period: Period, f: Figure, updated_at: i64) -> FactRow {
    FactRow {
        metric_id,
        org_id,
        grain: period.grain().code(),
        period_start: day_number(period.start()),
        value: f.value,
        num: f.num,
        den: f.den,
        updated_at,
        origin: origin::ROLLUP,
    }
}

fn figure(r: &FactRow) -> Figure {
    Figure { value: r.value, num: r.num, den: r.den }
}

async fn load_map(
    db: &DatabaseConnection,
    metric_id: i32,
    grain: Grain,
    orgs: &[i32],
    range: Option<(i32, i32)>,
) -> Result<HashMap<Key, FactRow>, StoreError> {
    let Some((from, to)) = range else { return Ok(HashMap::new()) };
    let rows = facts::load(db, metric_id, grain.code(), orgs, from, to).await?;
    Ok(rows.into_iter().map(|r| ((r.org_id, r.period_start), r)).collect())
}

fn span(periods: impl Iterator<Item = Period>) -> Option<(i32, i32)> {
    periods.fold(None, |acc, p| {
        let (a, b) = (day_number(p.start()), day_number(p.last_day()));
        Some(acc.map_or((a, b), |(lo, hi): (i32, i32)| (lo.min(a), hi.max(b))))
    })
}

async fn derive_metric(
    db: &DatabaseConnection,
    tree: &Tree,
    metric_id: i32,
    kind: Kind,
    changed: &BTreeMap<i32, BTreeSet<i32>>,
    out: &mut Derived,
) -> anyhow::Result<()> {
    // 1. Parents' days, deepest first, from their children's days.
    let mut touched: BTreeMap<i32, BTreeSet<i32>> = BTreeMap::new();
    let mut parents_by_day: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    let mut needed: BTreeSet<i32> = BTreeSet::new();
    for (day, orgs) in changed {
        let mut parents: BTreeSet<i32> = BTreeSet::new();
        for o in orgs {
            parents.extend(tree.ancestors(*o));
            touched.entry(*o).or_default().insert(*day);
        }
        for p in &parents {
            touched.entry(*p).or_default().insert(*day);
            needed.insert(*p);
            needed.extend(tree.children.get(p).into_iter().flatten().copied());
        }
        needed.extend(orgs.iter().copied());
        let mut parents: Vec<i32> = parents.into_iter().collect();
        parents.sort_by_key(|p| std::cmp::Reverse(tree.level.get(p).copied().unwrap_or(0)));
        parents_by_day.insert(*day, parents);
    }
    // 2. The periods to derive, and the rows they are built from.
    let touched_orgs: Vec<i32> = touched.keys().copied().collect();
    let mut targets: BTreeMap<Grain, BTreeSet<(i32, Period)>> = BTreeMap::new();
    for (o, days) in &touched {
        for d in days.iter().filter_map(|d| from_day_number(*d)) {
            for grain in [Grain::Week, Grain::Month, Grain::Quarter, Grain::Year] {
                targets.entry(grain).or_default().insert((*o, Period::containing(grain, d)));
            }
        }
    }
    let periods = |g: Grain| targets.get(&g).into_iter().flatten().map(|(_, p)| *p);
    let day_span = span(periods(Grain::Week).chain(periods(Grain::Month)));
    let first = changed.keys().next().copied().unwrap_or(0);
    let last = changed.keys().next_back().copied().unwrap_or(0);
    let mut day_orgs: BTreeSet<i32> = needed;
    day_orgs.extend(touched_orgs.iter().copied());
    let day_orgs: Vec<i32> = day_orgs.into_iter().collect();
    let day_range = day_span.map(|(a, b)| (a.min(first), b.max(last))).or(Some((first, last)));
    let mut days = load_map(db, metric_id, Grain::Day, &day_orgs, day_range).await?;
    for (day, parents) in &parents_by_day {
        for p in parents {
            if days.get(&(*p, *day)).is_some_and(|r| r.origin == origin::UPSTREAM) {
                continue;
            }
            let kids: Vec<&FactRow> =
                tree.children.get(p).into_iter().flatten().filter_map(|c| days.get(&(*c, *day))).collect();
            let stamp = kids.iter().map(|r| r.updated_at).max().unwrap_or(0);
            let figures: Vec<Figure> = kids.iter().map(|r| figure(r)).collect();
            let Some(date) = from_day_number(*day) else { continue };
            let Some(f) = rollup::over_orgs(kind, &figures) else {
                out.none_at(&mut days, (*p, *day));
                continue;
            };
            let row = derived(metric_id, *p, Period::containing(Grain::Day, date), f, stamp);
            out.rows.push(row);
            days.insert((*p, *day), row);
        }
    }
    // 3. Weeks and months from days, quarters from months, years from quarters.
    let mut weeks = load_map(db, metric_id, Grain::Week, &touched_orgs, span(periods(Grain::Week))).await?;
    let mut months = load_map(db, metric_id, Grain::Month, &touched_orgs, span(periods(Grain::Quarter))).await?;
    let mut quarters = load_map(db, metric_id, Grain::Quarter, &touched_orgs, span(periods(Grain::Year))).await?;
    let mut years = load_map(db, metric_id, Grain::Year, &touched_orgs, span(periods(Grain::Year))).await?;
    for (grain, fine, fine_grain) in [(Grain::Week, &days, Grain::Day), (Grain::Month, &days, Grain::Day)] {
        let target = if grain == Grain::Week { &mut weeks } else { &mut months };
        over_time(metric_id, kind, targets.get(&grain), fine, fine_grain, target, out);
    }
    over_time(metric_id, kind, targets.get(&Grain::Quarter), &months, Grain::Month, &mut quarters, out);
    over_time(metric_id, kind, targets.get(&Grain::Year), &quarters, Grain::Quarter, &mut years, out);
    Ok(())
}

/// Derives each target period from the finer periods inside it, in place in `target`.
fn over_time(
    metric_id: i32,
    kind: Kind,
    targets: Option<&BTreeSet<(i32, Period)>>,
    fine: &HashMap<Key, FactRow>,
    fine_grain: Grain,
    target: &mut HashMap<Key, FactRow>,
    out: &mut Derived,
) {
    for (o, p) in targets.into_iter().flatten() {
        let key = (*o, day_number(p.start()));
        if target.get(&key).is_some_and(|r| r.origin == origin::UPSTREAM) {
            continue;
        }
        let mut series = Vec::new();
        let mut stamp = 0;
        let mut f = Period::containing(fine_grain, p.start());
        // At most 31 finer periods in any coarser one.
        for _ in 0..32 {
            if f.start() > p.last_day() {
                break;
            }
            if let Some(r) = fine.get(&(*o, day_number(f.start()))) {
                series.push((f.last_day(), figure(r)));
                stamp = stamp.max(r.updated_at);
            }
            f = f.next();
        }
        match rollup::over_time(kind, &series) {
            Some(figure) => {
                let row = derived(metric_id, *o, *p, figure, stamp);
                out.rows.push(row);
                target.insert(key, row);
            }
            None => out.none_at(target, key),
        }
    }
}
