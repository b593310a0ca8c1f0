//! Reading facts: point and range lookups on the primary key (metric, org, grain, period).
//! The read hot path: ids are bare `i32` here, as in the facts table and the peer-value memo.

use entities::fact;
use sea_orm::sea_query::UnionType;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};

use crate::domain::period::Grain;
use crate::domain::rollup::Figure;
use crate::store::StoreError;

/// One stored figure with its key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub metric_id: i32,
    pub org_id: i32,
    pub period_start: i32,
    pub figure: Figure,
}

/// The columns a read needs, in the order of [`Row`]: the key parts that vary, and the figure
/// — not the grain, the time stamp or the origin, which every reader ignores.
const READ_COLUMNS: [fact::Column; 6] = [
    fact::Column::MetricId,
    fact::Column::OrgId,
    fact::Column::PeriodStart,
    fact::Column::Value,
    fact::Column::Num,
    fact::Column::Den,
];

type Row = (i32, i32, i32, Option<f64>, Option<f64>, Option<f64>);

impl From<Row> for Point {
    fn from((metric_id, org_id, period_start, value, num, den): Row) -> Self {
        Point { metric_id, org_id, period_start, figure: Figure { value, num, den } }
    }
}

/// The figures of `metrics` for one org over a range of period starts (day numbers, inclusive).
pub async fn range<C: ConnectionTrait>(
    db: &C,
    metrics: &[i32],
    org: i32,
    grain: Grain,
    from: i32,
    to: i32,
) -> Result<Vec<Point>, StoreError> {
    Ok(fact::Entity::find()
        .filter(fact::Column::MetricId.is_in(metrics.iter().copied()))
        .filter(fact::Column::OrgId.eq(org))
        .filter(fact::Column::Grain.eq(grain.code()))
        .filter(fact::Column::PeriodStart.between(from, to))
        .order_by_asc(fact::Column::MetricId)
        .order_by_asc(fact::Column::PeriodStart)
        .select_only()
        .columns(READ_COLUMNS)
        .into_tuple::<Row>()
        .all(db)
        .await?
        .into_iter()
        .map(Point::from)
        .collect())
}

/// The figures of `metrics` for several orgs at a few period starts.
pub async fn at<C: ConnectionTrait>(
    db: &C,
    metrics: &[i32],
    orgs: &[i32],
    grain: Grain,
    periods: &[i32],
) -> Result<Vec<Point>, StoreError> {
    if metrics.is_empty() || orgs.is_empty() || periods.is_empty() {
        return Ok(Vec::new());
    }
    Ok(fact::Entity::find()
        .filter(fact::Column::MetricId.is_in(metrics.iter().copied()))
        .filter(fact::Column::OrgId.is_in(orgs.iter().copied()))
        .filter(fact::Column::Grain.eq(grain.code()))
        .filter(fact::Column::PeriodStart.is_in(periods.iter().copied()))
        .select_only()
        .columns(READ_COLUMNS)
        .into_tuple::<Row>()
        .all(db)
        .await?
        .into_iter()
        .map(Point::from)
        .collect())
}

/// The request behind [`home`].
#[derive(Debug, Clone, Copy)]
pub struct HomeQuery<'a> {
    pub metrics: &'a [i32],
    pub org: i32,
    pub grain: Grain,
    /// Period starts (day numbers, inclusive): the sparklines' and the bases of 环比.
    pub from: i32,
    pub to: i32,
    /// The bases of 同比 (day numbers, inclusive): one day, or a few when indicators of the
    /// working week compare with a like day near it.
    pub year_ago: (i32, i32),
}

/// What a home screen reads of its org, in one statement: the values over the sparklines'
/// periods and the same period last year (`num` and `den` are not read).
pub async fn home<C: ConnectionTrait>(db: &C, q: HomeQuery<'_>) -> Result<Vec<Point>, StoreError> {
    if q.metrics.is_empty() {
        return Ok(Vec::new());
    }
    let own = |from: i32, to: i32| {
        fact::Entity::find()
            .select_only()
            .columns([fact::Column::MetricId, fact::Column::PeriodStart, fact::Column::Value])
            .filter(fact::Column::MetricId.is_in(q.metrics.iter().copied()))
            .filter(fact::Column::Grain.eq(q.grain.code()))
            .filter(fact::Column::OrgId.eq(q.org))
            .filter(fact::Column::PeriodStart.between(from, to))
            .into_query()
    };
    let mut query = own(q.from, q.to);
    query.union(UnionType::All, own(q.year_ago.0, q.year_ago.1));
    let rows = db.query_all_raw(db.get_database_backend().build(&query)).await?;
    let mut points = Vec::with_capacity(rows.len());
    for r in rows {
        points.push(Point {
            metric_id: r.try_get("", "metric_id")?,
            org_id: q.org,
            period_start: r.try_get("", "period_start")?,
            figure: Figure { value: r.try_get("", "value")?, num: None, den: None },
        });
    }
    Ok(points)
}
