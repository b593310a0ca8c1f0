//! A metric's trend for one org: one value a period.

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
    org: i32,
    from: Period,
    to: Period,
) -> Result<Vec<SeriesPoint>, ApiError> {
    let rows = reads::range(db, &[m.id], org, from.grain(), day_number(from.start()), day_number(to.start())).await?;
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
