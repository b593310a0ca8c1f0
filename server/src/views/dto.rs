//! The JSON shapes of the read API.

use serde::Serialize;

use crate::domain::card::{Comparison, Status};
use crate::domain::catalogue::MetricDef;
use crate::domain::compare::Missing;
use crate::domain::format;
use crate::domain::metric::Direction;
use crate::domain::org_tree::{OrgId, OrgNode, OrgTree};
use crate::domain::period::Period;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PeriodDto {
    /// `day`, `week`, `month`, `quarter` or `year`.
    pub grain: &'static str,
    pub start: String,
    /// The last day.
    pub end: String,
    /// For Chinese readers: `11月26日`, `2026年第48周`, ...
    pub label: String,
    /// The upstream has not called this period final yet.
    pub partial: bool,
}

impl PeriodDto {
    pub fn new(p: Period, partial: bool) -> PeriodDto {
        PeriodDto {
            grain: p.grain().as_str(),
            start: p.start().to_string(),
            end: p.last_day().to_string(),
            label: p.label_zh(),
            partial,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Crumb {
    #[schema(value_type = i32)]
    pub id: OrgId,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgDto {
    #[schema(value_type = i32)]
    pub id: OrgId,
    pub name: String,
    /// `region` or `department`.
    pub kind: &'static str,
    pub level: i16,
    pub path: String,
    #[schema(value_type = Option<i32>)]
    pub parent_id: Option<OrgId>,
    pub breadcrumb: Vec<Crumb>,
    pub child_count: usize,
}

impl OrgDto {
    /// Answers are shared by every user who may see the org, so nothing here depends on the
    /// caller: the client compares the breadcrumb with its scopes from `/me`.
    pub fn new(node: &OrgNode, tree: &OrgTree) -> OrgDto {
        OrgDto {
            id: node.id,
            name: node.name.clone(),
            kind: node.kind.as_str(),
            level: node.level,
            path: node.path.clone(),
            parent_id: node.parent_id,
            breadcrumb: tree.breadcrumb(node.id).iter().map(|n| Crumb { id: n.id, name: n.name.clone() }).collect(),
            child_count: tree.child_count(node.id),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgRef {
    #[schema(value_type = i32)]
    pub id: OrgId,
    pub name: String,
    /// `region` or `department`.
    pub kind: &'static str,
}

impl From<&OrgNode> for OrgRef {
    fn from(n: &OrgNode) -> Self {
        OrgRef { id: n.id, name: n.name.clone(), kind: n.kind.as_str() }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricRef {
    pub code: String,
    pub name: String,
    pub unit: String,
    /// `sum`, `last`, `distinct` or `ratio`.
    pub kind: &'static str,
    pub direction: Direction,
    pub precision: u8,
    pub description: String,
}

impl From<&MetricDef> for MetricRef {
    fn from(m: &MetricDef) -> Self {
        MetricRef {
            code: m.code.clone(),
            name: m.name.clone(),
            unit: m.unit.clone(),
            kind: if m.kind.is_ratio() { "ratio" } else { m.kind.aggregation().as_str() },
            direction: m.direction,
            precision: m.precision,
            description: m.description.clone(),
        }
    }
}

/// One indicator card.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CardDto {
    pub id: i32,
    pub metric: String,
    pub title: String,
    pub unit: String,
    pub value: Option<f64>,
    /// The value for Chinese readers (万 / 亿, precision, `%`).
    pub display: String,
    pub prev: Option<f64>,
    pub delta: Option<f64>,
    pub delta_pct: Option<f64>,
    pub delta_display: Option<String>,
    /// Why there is no 环比: the base period is `partial` (history starts inside it) or has
    /// no data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_missing: Option<Missing>,
    /// The base of 环比 when it is not simply the previous period (a working day compared with
    /// the previous working day): `11月27日`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_label: Option<String>,
    pub yoy: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yoy_missing: Option<Missing>,
    /// The base of 同比 when it is not simply the same date a year earlier (a working day
    /// compared with the nearest working day then): `12月1日`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yoy_label: Option<String>,
    pub yoy_delta: Option<f64>,
    pub yoy_delta_pct: Option<f64>,
    pub yoy_display: Option<String>,
    pub target: Option<f64>,
    pub attainment: Option<f64>,
    pub comparison: Comparison,
    pub direction: Direction,
    /// Whether the compared move is good news for this metric (green) or bad (red).
    pub good: Option<bool>,
    /// The last periods, oldest first, ending with this one.
    pub spark: Vec<Option<f64>>,
    /// Rank among sibling orgs of the same kind (1 = best) and their number.
    pub rank: Option<usize>,
    pub peers: Option<usize>,
    pub status: Status,
    /// For a records-backed metric: the API path of the records this figure counts (the
    /// mini-program opens its record list from it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<String>,
}

/// The value with its unit (`1.8万条`, `92.1%`), `—` for no value.
pub fn display(value: Option<f64>, m: &MetricDef) -> String {
    value.map_or_else(|| "—".into(), |v| format::display(v, &m.unit, m.precision))
}
