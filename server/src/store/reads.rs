//! Reading facts: point and range lookups on the primary key (metric, org, grain, period).

use entities::fact;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::period::Grain;
use crate::domain::rollup::Figure;

/// One stored figure with its key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub metric_id: i32,
    pub org_id: i32,
    pub period_start: i32,
    pub figure: Figure,
}

impl From<fact::Model> for Point {
    fn from(f: fact::Model) -> Self {
        Point {
            metric_id: f.metric_id,
            org_id: f.org_id,
            period_start: f.period_start,
            figure: Figure { value: f.value, num: f.num, den: f.den },
        }
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
) -> Result<Vec<Point>, DbErr> {
    Ok(fact::Entity::find()
        .filter(fact::Column::MetricId.is_in(metrics.iter().copied()))
        .filter(fact::Column::OrgId.eq(org))
        .filter(fact::Column::Grain.eq(grain.code()))
        .filter(fact::Column::PeriodStart.between(from, to))
        .order_by_asc(fact::Column::MetricId)
        .order_by_asc(fact::Column::PeriodStart)
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
) -> Result<Vec<Point>, DbErr> {
    if metrics.is_empty() || orgs.is_empty() || periods.is_empty() {
        return Ok(Vec::new());
    }
    Ok(fact::Entity::find()
        .filter(fact::Column::MetricId.is_in(metrics.iter().copied()))
        .filter(fact::Column::OrgId.is_in(orgs.iter().copied()))
        .filter(fact::Column::Grain.eq(grain.code()))
        .filter(fact::Column::PeriodStart.is_in(periods.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(Point::from)
        .collect())
}
