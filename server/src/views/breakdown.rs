//! Ranking a metric over an org's children (by region or by department), with the change
//! since the previous period and whether each child can be drilled into.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use serde::Serialize;

use super::dto::{OrgRef, display};
use super::params::Order;
use crate::domain::catalogue::MetricDef;
use crate::domain::compare;
use crate::domain::org_tree::{OrgId, OrgKind, OrgNode, OrgTree};
use crate::domain::period::{Period, day_number};
use crate::domain::{card, format};
use crate::error::ApiError;
use crate::state::Snapshot;
use crate::store::reads;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BreakdownItem {
    pub org: OrgRef,
    pub value: Option<f64>,
    pub display: String,
    /// 1 = best for the metric's direction; absent without a value.
    pub rank: Option<usize>,
    pub prev: Option<f64>,
    pub delta: Option<f64>,
    pub delta_pct: Option<f64>,
    /// The change as it reads (`↑3.5%`, `↓1.2个百分点`, `持平`).
    pub delta_display: Option<String>,
    pub good: Option<bool>,
    /// Whether the child has children of its own to drill into.
    pub drillable: bool,
    /// For a records-backed metric: the API path of the child's records behind the figure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Breakdown {
    /// `region` or `department`.
    pub by: &'static str,
    pub items: Vec<BreakdownItem>,
    /// Children of that kind, before the limit.
    pub total: usize,
    /// The kinds of children the org has (`region`, `department`): the dimensions worth
    /// offering.
    pub kinds: Vec<&'static str>,
}

/// Which children, in what order, how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Spec {
    pub by: OrgKind,
    pub order: Order,
    pub limit: usize,
}

/// Regions when the org has region children, else departments.
pub fn default_by(tree: &OrgTree, org: OrgId) -> OrgKind {
    if tree.children(org).any(|c| c.kind == OrgKind::Region) { OrgKind::Region } else { OrgKind::Department }
}

pub async fn compute<C: ConnectionTrait>(
    db: &C,
    snap: &Snapshot,
    m: &MetricDef,
    org: &OrgNode,
    period: Period,
    Spec { by, order, limit }: Spec,
) -> Result<Breakdown, ApiError> {
    let tree = &snap.orgs;
    let children: Vec<&OrgNode> = tree.children(org.id).filter(|c| c.kind == by).collect();
    let ids: Vec<i32> = children.iter().map(|c| c.id.get()).collect();
    // The same base as the card's 环比; none when history starts inside it.
    let base = compare::base(&snap.coverage, m.id, compare::previous(period, m.working_days, &snap.calendar)).ok();
    let (now, before) = (day_number(period.start()), base.map_or(i32::MIN, |b| day_number(b.start())));
    let rows = reads::at(db, &[m.id.get()], &ids, period.grain(), &[now, before]).await?;
    let values: HashMap<(i32, i32), Option<f64>> =
        rows.iter().map(|p| ((p.org_id, p.period_start), p.figure.value)).collect();
    let current: Vec<(i32, Option<f64>)> =
        ids.iter().map(|id| (*id, values.get(&(*id, now)).copied().flatten())).collect();
    let mut items: Vec<BreakdownItem> = children
        .iter()
        .zip(&current)
        .map(|(child, (_, value))| {
            let prev = values.get(&(child.id.get(), before)).copied().flatten();
            let (delta, delta_pct) = card::change(*value, prev);
            BreakdownItem {
                org: OrgRef::from(*child),
                value: *value,
                display: display(*value, m),
                rank: card::rank(&current, child.id.get(), m.direction).map(|r| r.0),
                prev,
                delta: delta.map(format::derived),
                delta_pct: delta_pct.map(format::derived),
                good: delta
                    .filter(|d| !format::is_flat(*d, delta_pct, &m.unit, m.precision))
                    .and_then(|d| m.direction.favourable(d)),
                delta_display: delta.map(|d| format::change(d, delta_pct, &m.unit, m.precision)),
                drillable: tree.child_count(child.id) > 0,
                records: crate::domain::records::drill_link(&m.code, child.id, period),
            }
        })
        .collect();
    // Orgs without a value go last whatever the order.
    items.sort_by(|a, b| match (a.value, b.value) {
        (Some(x), Some(y)) => match order {
            Order::Desc => y.total_cmp(&x),
            Order::Asc => x.total_cmp(&y),
        },
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.org.id.cmp(&b.org.id),
    });
    let total = items.len();
    items.truncate(limit);
    let kinds = [OrgKind::Region, OrgKind::Department]
        .into_iter()
        .filter(|k| tree.children(org.id).any(|c| c.kind == *k))
        .map(OrgKind::as_str)
        .collect();
    Ok(Breakdown { by: by.as_str(), items, total, kinds })
}
