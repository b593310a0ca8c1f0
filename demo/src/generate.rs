//! Generating the demo province's facts: the model's daily values for every department, then
//! parent orgs and coarser grains by the roll-up rules; distinct counts generated for every org
//! and grain, never summed. Rows are produced metric by metric in primary-key order and
//! bulk-loaded, so memory stays at one metric's worth.

use entities::ids::OrgId;
use std::collections::HashMap;
use std::ops::Range;
use std::time::Instant;

use anyhow::Context;
use canmou_sandboxes::feed::{DemoFeed, FeedRow, rfc3339};
use chrono::{Days, NaiveDate, TimeZone};
use entities::metric;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use super::model::{DIRECTORY_METRICS, Leaf, Model};
use canmou::domain::metric::{Aggregation, Kind};
use canmou::domain::period::{Grain, Period, day_number};
use canmou::domain::rollup::{self, Figure};
use canmou::store::facts::{self, FactRow, origin};
use canmou::store::orgs::NewOrg;

/// Distinct people in several child orgs overlap a little (people in two departments).
const DISTINCT_OVERLAP: f64 = 0.985;

/// What a generation produced.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub orgs: usize,
    pub facts: u64,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub seconds: f64,
}

/// The periods of every grain that meet the generated days, flat in (grain, start) order —
/// the primary-key order of `facts`.
struct Timeline {
    days: Vec<NaiveDate>,
    periods: Vec<Period>,
    by_grain: Vec<Range<usize>>,
    /// For each grain, for each period of it: the range of day indexes it covers.
    days_of: Vec<Range<usize>>,
}

impl Timeline {
    fn new(first: NaiveDate, last: NaiveDate) -> Timeline {
        let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
        let mut periods = Vec::new();
        let mut by_grain = Vec::new();
        let mut days_of = Vec::new();
        for grain in Grain::ALL {
            let begin = periods.len();
            let mut p = Period::containing(grain, first);
            while p.start() <= last {
                let lo = (p.start().max(first) - first).num_days() as usize;
                let hi = ((p.end_exclusive().min(last + Days::new(1))) - first).num_days() as usize;
                periods.push(p);
                days_of.push(lo..hi);
                p = p.next();
            }
            by_grain.push(begin..periods.len());
        }
        Timeline { days, periods, by_grain, days_of }
    }

    fn grain_range(&self, grain: Grain) -> Range<usize> {
        self.by_grain.get(grain.code() as usize).cloned().unwrap_or(0..0)
    }
}

/// The org tree as the generator needs it.
struct Tree<'a> {
    nodes: &'a [NewOrg],
    children: Vec<Vec<usize>>,
    /// Leaf departments with their model traits.
    leaves: Vec<(usize, Leaf)>,
    /// Per node, what the demo directory holds for its subtree (filled fields, 7 × members).
    directory: Vec<Option<(f64, f64)>>,
}

impl<'a> Tree<'a> {
    fn new(nodes: &'a [NewOrg], model: &Model) -> Tree<'a> {
        let index: HashMap<OrgId, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
        let mut children = vec![Vec::new(); nodes.len()];
        for (i, n) in nodes.iter().enumerate() {
            if let Some(p) = n.parent_id.and_then(|p| index.get(&p)) {
                children[*p].push(i);
            }
        }
        let city_of = |mut i: usize| {
            while nodes[i].level > 1 {
                match nodes[i].parent_id.and_then(|p| index.get(&p)) {
                    Some(p) => i = *p,
                    None => break,
                }
            }
            nodes[i].code.clone()
        };
        let figures = super::directory::figures(nodes, model.seed());
        let directory: Vec<Option<(f64, f64)>> = nodes.iter().map(|n| figures.get(&n.id).copied()).collect();
        let leaves = (0..nodes.len())
            .filter(|i| children[*i].is_empty())
            .map(|i| {
                let n = &nodes[i];
                let city_level = n.level <= 2;
                let leaf = model.leaf(&n.code, &city_of(i), n.sort_order as usize, city_level);
                // The staff every people-count is drawn from is the directory's.
                (
                    i,
                    match directory[i] {
                        Some((_, slots)) => leaf.with_staff(slots / 7.0),
                        None => leaf,
                    },
                )
            })
            .collect();
        Tree { nodes, children, leaves, directory }
    }

    /// Parents after their children (ids grow downwards, so reverse id order works).
    fn bottom_up(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.nodes.len()).rev().filter(|i| !self.children[*i].is_empty())
    }
}

/// One metric's figures: `[org][period]`, periods as in the timeline.
type Table = Vec<Vec<Option<Figure>>>;

/// A catalogue metric as the generator needs it.
#[derive(Debug, Clone)]
pub struct MetricInfo {
    pub id: i32,
    pub code: String,
    pub kind: Kind,
    /// Numerator and denominator codes of a ratio.
    pub parts: Option<(String, String)>,
}

/// The catalogue, in id order.
pub async fn metric_infos(db: &DatabaseConnection) -> anyhow::Result<Vec<MetricInfo>> {
    metric::Entity::find()
        .order_by_asc(metric::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            let kind = Kind::from_columns(m.kind, m.part_kind).with_context(|| format!("metric {}", m.code))?;
            let parts = m.numerator.zip(m.denominator);
            Ok(MetricInfo { id: m.id.get(), code: m.code, kind, parts })
        })
        .collect()
}

/// One figure the upstream delivers: (index into the metrics, index into the nodes, period).
pub type UpstreamFigure = (usize, usize, Period, Figure);

/// What the upstream platform delivers when business day `day` closes: every leaf
/// department's day figure of every derivable metric, and — since distinct counts are never
/// derived — every org's distinct figures for the day and for each coarser period to date
/// (the week, month, quarter and year holding `day`), by the same rules as the generated
/// history (which starts on `first_day`).
pub fn upstream_day(
    model: &Model,
    nodes: &[NewOrg],
    metrics: &[MetricInfo],
    first_day: NaiveDate,
    day: NaiveDate,
) -> Vec<UpstreamFigure> {
    let tree = Tree::new(nodes, model);
    let mut out = Vec::new();
    let mut timeline: Option<Timeline> = None;
    let mut kept: HashMap<&str, Table> = HashMap::new();
    for (mi, m) in metrics.iter().enumerate() {
        if DIRECTORY_METRICS.contains(&m.code.as_str()) {
            for (i, figures) in tree.directory.iter().enumerate() {
                if let Some(f) = figures.and_then(|f| Model::directory_daily(&m.code, f, day)) {
                    out.push((mi, i, Period::containing(Grain::Day, day), f));
                }
            }
            continue;
        }
        if m.kind.derivable() {
            for (i, leaf) in &tree.leaves {
                if let Some(f) = model.leaf_daily(&m.code, leaf, day) {
                    out.push((mi, *i, Period::containing(Grain::Day, day), f));
                }
            }
            continue;
        }
        let tl = timeline.get_or_insert_with(|| {
            let year = Period::containing(Grain::Year, day).start();
            Timeline::new(year.max(first_day).min(day), day)
        });
        let table = match (m.kind, m.parts.as_ref()) {
            (Kind::Ratio(_), Some((num, den))) => {
                for code in [num.as_str(), den.as_str()] {
                    if !kept.contains_key(code) {
                        let part = metrics.iter().find(|p| p.code == code);
                        let table = match part.map(|p| p.kind) {
                            Some(Kind::Single(Aggregation::Distinct)) => distinct_table(code, model, &tree, tl),
                            Some(kind) => derived_table(code, kind, model, &tree, tl),
                            None => continue,
                        };
                        kept.insert(code, table);
                    }
                }
                match (kept.get(num.as_str()), kept.get(den.as_str())) {
                    (Some(n), Some(d)) => distinct_ratio(n, d),
                    _ => continue,
                }
            }
            _ => match kept.remove(m.code.as_str()) {
                Some(table) => table,
                None => distinct_table(&m.code, model, &tree, tl),
            },
        };
        for grain in Grain::ALL {
            // The timeline ends on `day`: each grain's last period is the one holding it.
            let Some(p) = tl.grain_range(grain).last() else { continue };
            for (i, row) in table.iter().enumerate() {
                if let Some(f) = row[p] {
                    out.push((mi, i, tl.periods[p], f));
                }
            }
        }
        if metrics.iter().any(|other| other.parts.as_ref().is_some_and(|(n, _)| *n == m.code)) {
            kept.insert(m.code.as_str(), table);
        }
    }
    out
}

/// Generates facts for `nodes` (already inserted) over `days` days ending on `last_day`.
pub async fn facts(
    db: &DatabaseConnection,
    nodes: &[NewOrg],
    seed: u64,
    days: u32,
    last_day: NaiveDate,
    tz: &impl TimeZone,
) -> anyhow::Result<Stats> {
    let started = Instant::now();
    let first_day = last_day - Days::new(u64::from(days.max(1) - 1));
    let model = Model::new(seed);
    let timeline = Timeline::new(first_day, last_day);
    let tree = Tree::new(nodes, &model);
    let metrics = metric_infos(db).await?;
    // A period still open on `last_day` was last delivered the morning after `last_day`; a
    // stamp in the future would make later deliveries look older than what is stored.
    let updated_at: Vec<i64> =
        timeline.periods.iter().map(|p| stamp(p.end_exclusive().min(last_day + Days::new(1)), tz)).collect();
    // Ratios of distinct counts are built from their parts' tables: keep those.
    let needed: Vec<&str> = metrics
        .iter()
        .filter(|m| m.kind == Kind::Ratio(Aggregation::Distinct))
        .filter_map(|m| m.parts.as_ref())
        .flat_map(|(n, d)| [n.as_str(), d.as_str()])
        .collect();
    let mut kept: HashMap<&str, Table> = HashMap::new();
    let mut total = 0u64;
    for m in &metrics {
        let table = match m.kind {
            Kind::Ratio(Aggregation::Distinct) => {
                let parts = m.parts.as_ref().and_then(|(n, d)| Some((kept.get(n.as_str())?, kept.get(d.as_str())?)));
                match parts {
                    Some((num, den)) => distinct_ratio(num, den),
                    None => anyhow::bail!("{}: its parts must come earlier in the catalogue", m.code),
                }
            }
            Kind::Single(Aggregation::Distinct) => distinct_table(&m.code, &model, &tree, &timeline),
            _ => derived_table(&m.code, m.kind, &model, &tree, &timeline),
        };
        let rows = rows_of(m, &table, &tree, &timeline, &updated_at);
        let txn = canmou::store::begin_writer(db).await?;
        total += facts::insert_new(&txn, &rows).await.with_context(|| format!("loading {}", m.code))?;
        txn.commit().await?;
        if let Some(code) = needed.iter().find(|c| **c == m.code) {
            kept.insert(code, table);
        }
        tracing::debug!(metric = %m.code, rows = rows.len(), "generated");
    }
    mark_complete(db, last_day).await?;
    Ok(Stats { orgs: nodes.len(), facts: total, first_day, last_day, seconds: started.elapsed().as_secs_f64() })
}

/// Sum, last and ratio metrics: departments' days from the model, then parents' days, then
/// every org's coarser periods — all by the roll-up rules.
fn derived_table(code: &str, kind: Kind, model: &Model, tree: &Tree, tl: &Timeline) -> Table {
    let mut table: Table = vec![vec![None; tl.periods.len()]; tree.nodes.len()];
    let days = tl.grain_range(Grain::Day);
    if DIRECTORY_METRICS.contains(&code) {
        // Every node's days from the directory, as the upstream (here: the sync) delivers them.
        for (i, figures) in tree.directory.iter().enumerate() {
            let Some(figures) = figures else { continue };
            for (d, date) in tl.days.iter().enumerate() {
                table[i][d] = Model::directory_daily(code, *figures, *date);
            }
        }
        over_time(&mut table, kind, tl);
        return table;
    }
    for (i, leaf) in &tree.leaves {
        for (d, date) in tl.days.iter().enumerate() {
            table[*i][d] = model.leaf_daily(code, leaf, *date);
        }
    }
    for parent in tree.bottom_up() {
        for d in days.clone() {
            let figures: Vec<Figure> = tree.children[parent].iter().filter_map(|c| table[*c][d]).collect();
            table[parent][d] = rollup::over_orgs(kind, &figures);
        }
    }
    over_time(&mut table, kind, tl);
    table
}

/// Every org's coarser periods from its days.
fn over_time(table: &mut Table, kind: Kind, tl: &Timeline) {
    let days = tl.grain_range(Grain::Day);
    for row in table {
        for p in days.end..tl.periods.len() {
            let series: Vec<(NaiveDate, Figure)> =
                tl.days_of[p].clone().filter_map(|d| row[d].map(|f| (tl.days[d], f))).collect();
            row[p] = rollup::over_time(kind, &series);
        }
    }
}

/// Distinct counts: generated for every org and grain. A department's count over a period
/// lies between its busiest day and its cap; a parent's is its children's, less the overlap.
fn distinct_table(code: &str, model: &Model, tree: &Tree, tl: &Timeline) -> Table {
    let mut table: Table = vec![vec![None; tl.periods.len()]; tree.nodes.len()];
    let days = tl.grain_range(Grain::Day);
    for (i, leaf) in &tree.leaves {
        let row = &mut table[*i];
        for (d, date) in tl.days.iter().enumerate() {
            row[d] = model.leaf_daily(code, leaf, *date);
        }
        for p in days.end..tl.periods.len() {
            let span = tl.days_of[p].clone();
            let busiest = span.clone().filter_map(|d| row[d].and_then(|f| f.value)).fold(0.0, f64::max);
            let Some(last) = span.clone().last() else { continue };
            let cap = model.distinct_cap(code, leaf, tl.days[last]).max(busiest);
            // The longer the span, the closer the count gets to its cap; monotone in the
            // number of days, so a period never counts fewer people than one inside it.
            let cover = 0.92 * (1.0 - (-((span.len() as f64) - 1.0) / 25.0).exp());
            row[p] = Some(Figure::single((busiest + (cap - busiest) * cover).round()));
        }
    }
    for parent in tree.bottom_up() {
        let row = (0..tl.periods.len())
            .map(|p| {
                let values = tree.children[parent].iter().filter_map(|c| table[*c][p].and_then(|f| f.value));
                let (count, sum) = values.fold((0, 0.0), |(n, s), v| (n + 1, s + v));
                (count > 0).then(|| Figure::single((sum * DISTINCT_OVERLAP).round()))
            })
            .collect();
        table[parent] = row;
    }
    table
}

/// A ratio of distinct counts (active rate): generated upstream for every org and grain from
/// the distinct numerator and the stock denominator of the same org and period.
fn distinct_ratio(num: &Table, den: &Table) -> Table {
    num.iter()
        .zip(den)
        .map(|(n_row, d_row)| {
            n_row
                .iter()
                .zip(d_row)
                .map(|(n, d)| match (n.and_then(|f| f.value), d.and_then(|f| f.value)) {
                    (Some(n), Some(d)) => Some(Figure::ratio(n.min(d), d)),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

fn rows_of(m: &MetricInfo, table: &Table, tree: &Tree, tl: &Timeline, updated_at: &[i64]) -> Vec<FactRow> {
    let derivable = m.kind.derivable() && !DIRECTORY_METRICS.contains(&m.code.as_str());
    let mut rows = Vec::with_capacity(tree.nodes.len() * tl.periods.len());
    for (i, node) in tree.nodes.iter().enumerate() {
        let leaf = tree.children[i].is_empty();
        for (p, period) in tl.periods.iter().enumerate() {
            let Some(f) = table[i][p] else { continue };
            let upstream = if derivable {
                leaf && period.grain() == Grain::Day
            } else {
                period.grain() == Grain::Day || !m.kind.derivable()
            };
            rows.push(FactRow {
                metric_id: m.id,
                org_id: node.id.get(),
                grain: period.grain().code(),
                period_start: day_number(period.start()),
                value: f.value,
                num: f.num,
                den: f.den,
                updated_at: updated_at[p],
                origin: if upstream { origin::UPSTREAM } else { origin::ROLLUP },
            });
        }
    }
    rows
}

/// When the upstream would have delivered a period: 01:10 business time the day after (the
/// sandbox's convention).
pub use canmou_sandboxes::feed::stamp;

/// The demo province as the feed sandbox's upstream: each business day's rows generated from
/// the model on demand, stamped with their delivery.
pub fn feed(
    model: Model,
    nodes: Vec<NewOrg>,
    metrics: Vec<MetricInfo>,
    tz: chrono_tz::Tz,
    first_day: NaiveDate,
    through: NaiveDate,
    follow_clock: bool,
) -> DemoFeed {
    let generate = Box::new(move |day: NaiveDate| {
        let updated_at =
            chrono::DateTime::from_timestamp(stamp(day + Days::new(1), &tz), 0).map(rfc3339).unwrap_or_default();
        upstream_day(&model, &nodes, &metrics, first_day, day)
            .into_iter()
            .filter_map(|(m, n, period, f)| {
                Some(FeedRow {
                    metric: metrics.get(m)?.code.clone(),
                    org: nodes.get(n)?.code.clone(),
                    grain: period.grain(),
                    period: period.start(),
                    value: if f.num.is_some() { None } else { f.value },
                    num: f.num,
                    den: f.den,
                    updated_at: updated_at.clone(),
                })
            })
            .collect()
    });
    DemoFeed::new(generate, tz, first_day, through, follow_clock)
}

/// Records, per grain, the latest complete period: the one whose last day is `last_day` or
/// earlier.
async fn mark_complete(db: &DatabaseConnection, last_day: NaiveDate) -> anyhow::Result<()> {
    for grain in Grain::ALL {
        let mut p = Period::containing(grain, last_day);
        if p.last_day() > last_day {
            p = p.prev();
        }
        facts::mark_complete(db, p).await?;
    }
    Ok(())
}
