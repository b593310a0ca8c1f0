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

/// What a home screen reads, in one statement and one trip to the database.
#[derive(Debug, Default)]
pub struct HomeRead {
    /// The org's values over the sparkline's periods and the same period last year (`num`
    /// and `den` are not read).
    pub points: Vec<Point>,
    /// The peers' values at the last period, for the metrics asked for in
    /// [`HomeQuery::peer_metrics`]: `(metric_id, value)`, the org's own included, no nulls.
    pub peer_values: Vec<(i32, f64)>,
}

/// The request behind [`home`].
#[derive(Debug, Clone, Copy)]
pub struct HomeQuery<'a> {
    pub metrics: &'a [i32],
    pub org: i32,
    /// The org and its siblings of the same kind.
    pub peers: &'a [i32],
    /// The metrics whose peers' values to read (the others' are known already).
    pub peer_metrics: &'a [i32],
    pub grain: Grain,
    /// Period starts (day numbers, inclusive); peers' values are taken at `to`.
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
            "SELECT 0 AS part, metric_id, period_start, value FROM facts \
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
    if !q.peer_metrics.is_empty() && !q.peers.is_empty() {
        sql.push_str(&format!(
            " UNION ALL SELECT 1 AS part, metric_id, period_start, value FROM facts \
             WHERE metric_id IN ({}) AND org_id IN ({}) AND grain = {} AND period_start = {} AND value IS NOT NULL",
            params.list(&mut values, q.peer_metrics),
            params.list(&mut values, q.peers),
            params.push(&mut values, q.grain.code().into()),
            params.push(&mut values, q.to.into()),
        ));
    }
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    let mut read = HomeRead::default();
    for r in rows {
        let metric_id: i32 = r.try_get("", "metric_id")?;
        let value: Option<f64> = r.try_get("", "value")?;
        if r.try_get::<i32>("", "part")? == 0 {
            read.points.push(Point {
                metric_id,
                org_id: q.org,
                period_start: r.try_get("", "period_start")?,
                figure: Figure { value, num: None, den: None },
            });
        } else if let Some(v) = value {
            read.peer_values.push((metric_id, v));
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
