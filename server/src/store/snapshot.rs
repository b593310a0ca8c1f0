//! Loading what every request consults and that changes rarely: the org tree, the catalogue,
//! the card sets, which periods are complete, and the data version that ties them together.
//! The [`Snapshot`] is defined here, beside what loads it; `state` holds the current one.

use chrono::NaiveDate;
use entities::{data_version, metric, org, period_status};
use sea_orm::{ConnectionTrait, EntityTrait, Statement};

use crate::domain::calendar::WorkCalendar;
use crate::domain::catalogue::MetricId;
use crate::domain::catalogue::{Catalogue, MetricDef};
use crate::domain::compare::Coverage;
use crate::domain::metric::Kind;
use crate::domain::org_tree::{OrgNode, OrgTree};
use crate::domain::period::{Grain, Period, from_day_number};
use crate::store::StoreError;
use crate::store::card_sets::CardSets;

/// Per grain, the start of the latest period the upstream calls complete.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Complete([Option<NaiveDate>; 5]);

impl Complete {
    pub fn set(&mut self, grain: Grain, start: NaiveDate) {
        self.0[grain.code() as usize] = Some(start);
    }

    /// The latest complete period of `grain`.
    pub fn latest(&self, grain: Grain) -> Option<Period> {
        self.0[grain.code() as usize].map(|d| Period::containing(grain, d))
    }

    /// Whether `period` is final.
    pub fn is_complete(&self, period: Period) -> bool {
        self.latest(period.grain()).is_some_and(|latest| period.start() <= latest.start())
    }

    /// The latest complete business date.
    pub fn as_of(&self) -> Option<NaiveDate> {
        self.0[0]
    }
}

#[derive(Debug, Default)]
pub struct Snapshot {
    pub version: i64,
    pub orgs: OrgTree,
    pub catalogue: Catalogue,
    pub card_sets: CardSets,
    pub complete: Complete,
    /// The working-day calendar's exceptions.
    pub calendar: WorkCalendar,
    /// Per metric, the first day of data: earlier periods are partial.
    pub coverage: Coverage,
    /// Boards and indicators hidden from audiences.
    pub board_rules: Vec<crate::domain::boards::Rule>,
    /// Peers' values for ranks, read while this version is current.
    pub peer_values: crate::cache::PeerValues,
}

impl Snapshot {
    /// A period the upstream has not called final, or that starts before the first day of
    /// data we hold, is partial.
    pub fn is_partial(&self, period: Period) -> bool {
        !self.complete.is_complete(period) || !self.coverage.covers_any(period)
    }
}

pub async fn data_version<C: ConnectionTrait>(db: &C) -> Result<i64, StoreError> {
    Ok(data_version::Entity::find_by_id(1).one(db).await?.map_or(0, |v| v.version))
}

pub async fn load<C: ConnectionTrait>(db: &C) -> Result<Snapshot, StoreError> {
    let version = data_version(db).await?;
    let orgs: Vec<OrgNode> = org::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|o| OrgNode {
            id: o.id,
            parent_id: o.parent_id,
            code: o.code,
            name: o.name,
            kind: o.kind,
            level: o.level,
            path: o.path,
            sort_order: o.sort_order,
            active: o.active,
        })
        .collect();
    let defs: Vec<MetricDef> = metric::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| {
            let kind = Kind::from_columns(m.kind, m.part_kind).ok()?;
            Some(MetricDef {
                id: m.id,
                direction: m.direction,
                precision: u8::try_from(m.precision).unwrap_or(0).min(6),
                code: m.code,
                name: m.name,
                unit: m.unit,
                kind,
                description: m.description,
                active: m.active,
                working_days: m.working_days,
                category: m.category,
            })
        })
        .collect();
    let mut complete = Complete::default();
    for s in period_status::Entity::find().all(db).await? {
        if let (Some(grain), Some(day)) = (Grain::from_code(s.grain), from_day_number(s.complete_through)) {
            complete.set(grain, day);
        }
    }
    let orgs = OrgTree::new(orgs);
    let coverage = coverage(db, &orgs, defs.iter().map(|d: &MetricDef| d.id)).await?;
    let calendar = WorkCalendar::new(super::calendar::all(db).await?.into_iter().map(|d| (d.date, d.kind)));
    Ok(Snapshot {
        version,
        orgs,
        catalogue: Catalogue::new(defs),
        card_sets: super::card_sets::load(db).await?,
        complete,
        calendar,
        coverage,
        board_rules: super::boards::all(db).await?,
        peer_values: Default::default(),
    })
}

/// Per metric, the first day of day-grain data at the top of the org tree, where every
/// indicator arrives or is rolled up to: one primary-key seek a metric, in one statement.
async fn coverage<C: ConnectionTrait>(
    db: &C,
    orgs: &OrgTree,
    metrics: impl Iterator<Item = MetricId>,
) -> Result<Coverage, StoreError> {
    let roots: Vec<String> = orgs.roots().map(|n| n.id.to_string()).collect();
    if roots.is_empty() {
        return Ok(Coverage::default());
    }
    let roots = roots.join(", ");
    // Ids are integers from the database: nothing here comes from a user.
    let parts: Vec<String> = metrics
        .map(|m| {
            format!(
                "SELECT {m} AS metric_id, (SELECT MIN(period_start) FROM facts WHERE metric_id = {m} \
                 AND org_id IN ({roots}) AND grain = {day}) AS first_day",
                day = Grain::Day.code()
            )
        })
        .collect();
    if parts.is_empty() {
        return Ok(Coverage::default());
    }
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(Statement::from_string(backend, parts.join(" UNION ALL "))).await?;
    let mut first = Vec::with_capacity(rows.len());
    for r in rows {
        let metric: MetricId = r.try_get("", "metric_id")?;
        let day: Option<i32> = r.try_get("", "first_day")?;
        if let Some(day) = day.and_then(from_day_number) {
            first.push((metric, day));
        }
    }
    Ok(Coverage::new(first))
}
