//! A metric's trend for one org: one value a period.

use entities::ids::OrgId;
use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use serde::Serialize;

use super::dto::display;
use crate::domain::catalogue::MetricDef;
use crate::domain::period::{Period, day_number};
use crate::error::ApiError;
use crate::store::reads;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeriesPoint {
    pub start: String,
    pub label: String,
    pub value: Option<f64>,
    pub display: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub den: Option<f64>,
}

/// Every period from `from` to `to`, with a point even where there is no data.
pub async fn points<C: ConnectionTrait>(
    db: &C,
    m: &MetricDef,
    org: OrgId,
    from: Period,
    to: Period,
) -> Result<Vec<SeriesPoint>, ApiError> {
    let rows =
        reads::range(db, &[m.id.get()], org.get(), from.grain(), day_number(from.start()), day_number(to.start()))
            .await?;
    let by_day: HashMap<i32, _> = rows.iter().map(|p| (p.period_start, p.figure)).collect();
    let mut out = Vec::new();
    let mut p = from;
    while p <= to {
        let f = by_day.get(&day_number(p.start()));
        let value = f.and_then(|f| f.value);
        out.push(SeriesPoint {
            start: p.start().to_string(),
            label: p.label_zh(),
            value,
            display: display(value, m),
            num: f.and_then(|f| f.num),
            den: f.and_then(|f| f.den),
        });
        p = p.next();
    }
    Ok(out)
}

/// The same periods a year earlier, one value for each of `from..=to` (the comparison line of a
/// trend); a period the data does not fully cover has none, as it is no base of 同比.
pub async fn year_ago<C: ConnectionTrait>(
    db: &C,
    coverage: &crate::domain::compare::Coverage,
    m: &MetricDef,
    org: OrgId,
    from: Period,
    to: Period,
) -> Result<Vec<Option<f64>>, ApiError> {
    let (first, last) = (from.year_ago(), to.year_ago());
    let rows =
        reads::range(db, &[m.id.get()], org.get(), from.grain(), day_number(first.start()), day_number(last.start()))
            .await?;
    let by_day: HashMap<i32, Option<f64>> = rows.iter().map(|p| (p.period_start, p.figure.value)).collect();
    let mut out = Vec::new();
    let mut p = from;
    while p <= to {
        let base = p.year_ago();
        let value =
            if coverage.covers(m.id, base) { by_day.get(&day_number(base.start())).copied().flatten() } else { None };
        out.push(value.map(crate::domain::format::derived));
        p = p.next();
    }
    Ok(out)
}
