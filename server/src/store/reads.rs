//! Reading facts: point and range lookups on the primary key (metric, org, grain, period).

use entities::fact;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement, Value,
};

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
) -> Result<Vec<Point>, DbErr> {
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
) -> Result<Vec<Point>, DbErr> {
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

/// Where an org stands among its peers for one metric: how many peers have a value, and how
/// many of them lie above and below the org's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub metric_id: i32,
    pub ranked: i64,
    pub above: i64,
    pub below: i64,
}

/// What a home screen reads, in one statement and one trip to the database.
#[derive(Debug, Default)]
pub struct HomeRead {
    /// The org's values over the sparkline's periods and the same period last year (`num`
    /// and `den` are not read).
    pub points: Vec<Point>,
    /// The org's standing among its peers at the last period, for each metric it has a value
    /// for — counted by the database: one row per metric, not one per peer.
    pub standings: Vec<Standing>,
}

/// The request behind [`home`].
#[derive(Debug, Clone, Copy)]
pub struct HomeQuery<'a> {
    pub metrics: &'a [i32],
    pub org: i32,
    /// The org and its siblings of the same kind; no standings with fewer than two.
    pub peers: &'a [i32],
    pub grain: Grain,
    /// Period starts (day numbers, inclusive); standings are taken at `to`.
    pub from: i32,
    pub to: i32,
    pub year_ago: i32,
}

pub async fn home<C: ConnectionTrait>(db: &C, q: HomeQuery<'_>) -> Result<HomeRead, DbErr> {
    if q.metrics.is_empty() {
        return Ok(HomeRead::default());
    }
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = Vec::with_capacity(16 + 3 * q.metrics.len() + q.peers.len());
    let mut params = Params::new(backend);
    let mut values_between = |(from, to): (i32, i32), values: &mut Vec<Value>| {
        format!(
            "SELECT 0 AS part, metric_id, period_start, value, 0 AS ranked, 0 AS above, 0 AS below FROM facts \
             WHERE metric_id IN ({}) AND org_id = {} AND grain = {} AND period_start BETWEEN {} AND {}",
            params.list(values, q.metrics),
            params.push(values, q.org.into()),
            params.push(values, q.grain.code().into()),
            params.push(values, from.into()),
            params.push(values, to.into()),
        )
    };
    let mut sql = format!(
        "{} UNION ALL {}",
        values_between((q.from, q.to), &mut values),
        values_between((q.year_ago, q.year_ago), &mut values)
    );
    if q.peers.len() > 1 {
        sql.push_str(&format!(
            " UNION ALL SELECT 1 AS part, o.metric_id, o.period_start, o.value, COUNT(p.value) AS ranked, \
             SUM(CASE WHEN p.value > o.value THEN 1 ELSE 0 END) AS above, \
             SUM(CASE WHEN p.value < o.value THEN 1 ELSE 0 END) AS below \
             FROM facts o JOIN facts p ON p.metric_id = o.metric_id AND p.grain = o.grain \
             AND p.period_start = o.period_start \
             WHERE o.org_id = {} AND o.grain = {} AND o.period_start = {} AND o.value IS NOT NULL \
             AND o.metric_id IN ({}) AND p.org_id IN ({}) GROUP BY o.metric_id, o.period_start, o.value",
            params.push(&mut values, q.org.into()),
            params.push(&mut values, q.grain.code().into()),
            params.push(&mut values, q.to.into()),
            params.list(&mut values, q.metrics),
            params.list(&mut values, q.peers),
        ));
    }
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    let mut read = HomeRead::default();
    for r in rows {
        let metric_id: i32 = r.try_get("", "metric_id")?;
        if r.try_get::<i32>("", "part")? == 0 {
            read.points.push(Point {
                metric_id,
                org_id: q.org,
                period_start: r.try_get("", "period_start")?,
                figure: Figure { value: r.try_get("", "value")?, num: None, den: None },
            });
        } else {
            read.standings.push(Standing {
                metric_id,
                ranked: r.try_get("", "ranked")?,
                // SUM over no rows is NULL; the join always has the org's own row, but be safe.
                above: r.try_get::<Option<i64>>("", "above")?.unwrap_or(0),
                below: r.try_get::<Option<i64>>("", "below")?.unwrap_or(0),
            });
        }
    }
    Ok(read)
}

/// Numbered placeholders for a raw statement: `$1, $2…` on PostgreSQL, `?` elsewhere.
struct Params {
    backend: DbBackend,
    next: usize,
}

impl Params {
    fn new(backend: DbBackend) -> Params {
        Params { backend, next: 1 }
    }

    fn push(&mut self, values: &mut Vec<Value>, value: Value) -> String {
        values.push(value);
        let n = self.next;
        self.next += 1;
        match self.backend {
            DbBackend::Postgres => format!("${n}"),
            _ => "?".to_owned(),
        }
    }

    fn list(&mut self, values: &mut Vec<Value>, ids: &[i32]) -> String {
        ids.iter().map(|id| self.push(values, (*id).into())).collect::<Vec<_>>().join(", ")
    }
}
