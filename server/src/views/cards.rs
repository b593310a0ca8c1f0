//! Home cards: value, previous period, the same period last year, target, sparkline and rank
//! among peers — one statement for the whole screen, whatever the number of cards. The peers'
//! values behind the ranks are remembered for the data version, so siblings share one read.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use serde::Serialize;

use super::dto::{CardDto, OrgDto, PeriodDto, display};
use crate::cache::PeerKey;
use crate::domain::card;
use crate::domain::catalogue::MetricDef;
use crate::domain::format;
use crate::domain::org_tree::OrgNode;
use crate::domain::period::{Period, day_number};
use crate::domain::rollup::Figure;
use crate::error::ApiError;
use crate::state::Snapshot;
use crate::store::card_sets::{CardDef, CardSetDef};
use crate::store::reads;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CardSetRef {
    pub id: i32,
    pub name: String,
    pub version: i32,
}

/// The whole home screen.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Home {
    /// The latest complete business date.
    pub as_of: Option<String>,
    pub period: PeriodDto,
    pub org: OrgDto,
    pub card_set: CardSetRef,
    pub cards: Vec<CardDto>,
}

/// A card to compute: its definition and metric.
pub struct CardSpec<'a> {
    pub def: &'a CardDef,
    pub metric: Arc<MetricDef>,
}

pub fn specs<'a>(snap: &Snapshot, set: &'a CardSetDef) -> Vec<CardSpec<'a>> {
    set.cards
        .iter()
        .filter_map(|def| {
            let metric = snap.catalogue.by_id(def.metric_id).filter(|m| m.active)?.clone();
            Some(CardSpec { def, metric })
        })
        .collect()
}

pub async fn home<C: ConnectionTrait>(
    db: &C,
    snap: &Snapshot,
    set: &CardSetDef,
    org: &OrgNode,
    period: Period,
    today: NaiveDate,
) -> Result<Home, ApiError> {
    let specs = specs(snap, set);
    let cards = compute(db, snap, &specs, org, period, today).await?;
    Ok(Home {
        as_of: snap.complete.as_of().map(|d| d.to_string()),
        period: PeriodDto::new(period, !snap.complete.is_complete(period)),
        org: OrgDto::new(org, &snap.orgs),
        card_set: CardSetRef { id: set.id, name: set.name.clone(), version: set.version },
        cards,
    })
}

/// Figures derived for display — changes, attainment, sparkline points — to six significant
/// digits; the values themselves go out as stored.
fn derived(x: f64) -> f64 {
    format::significant(x, 6)
}

/// Cards for `org` in `period`.
pub async fn compute<C: ConnectionTrait>(
    db: &C,
    snap: &Snapshot,
    specs: &[CardSpec<'_>],
    org: &OrgNode,
    period: Period,
    today: NaiveDate,
) -> Result<Vec<CardDto>, ApiError> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let grain = period.grain();
    let metric_ids: Vec<i32> = specs.iter().map(|s| s.metric.id).collect();
    let longest = specs.iter().map(|s| s.def.spark_len).max().unwrap_or(12).max(2);
    let window = period.trailing(longest);
    let from = window.first().map_or(period.start(), |p| p.start());

    let year_ago = day_number(period.year_ago().start());
    let to = day_number(period.start());
    let peers: Vec<i32> = snap.orgs.peers(org.id).iter().map(|n| n.id).collect();
    // The peers' values at the period, from this version's memo where a sibling has read them.
    let mut peer_values: HashMap<i32, Arc<[f64]>> = HashMap::new();
    let mut peer_metrics = Vec::new();
    let group = peers.iter().copied().min().filter(|_| peers.len() > 1);
    if let Some(group) = group {
        for &metric_id in &metric_ids {
            let key = PeerKey { metric_id, grain: grain.code(), period: to, group };
            match snap.peer_values.get(&key).await {
                Some(values) => {
                    peer_values.insert(metric_id, values);
                }
                None => peer_metrics.push(metric_id),
            }
        }
    }
    let read = reads::home(
        db,
        reads::HomeQuery {
            metrics: &metric_ids,
            org: org.id,
            peers: &peers,
            peer_metrics: &peer_metrics,
            grain,
            from: day_number(from),
            to,
            year_ago,
        },
    )
    .await?;
    if let Some(group) = group {
        let mut read_values: HashMap<i32, Vec<f64>> = peer_metrics.iter().map(|&m| (m, Vec::new())).collect();
        for (metric_id, value) in read.peer_values {
            read_values.entry(metric_id).or_default().push(value);
        }
        for (metric_id, mut values) in read_values {
            values.sort_by(f64::total_cmp);
            let values: Arc<[f64]> = values.into();
            snap.peer_values
                .insert(PeerKey { metric_id, grain: grain.code(), period: to, group }, values.clone())
                .await;
            peer_values.insert(metric_id, values);
        }
    }
    let points = read.points;
    let yoy_by_metric: HashMap<i32, Figure> =
        points.iter().filter(|p| p.period_start == year_ago).map(|p| (p.metric_id, p.figure)).collect();
    let mut by_key: HashMap<(i32, i32), Figure> =
        points.iter().map(|p| ((p.metric_id, p.period_start), p.figure)).collect();
    let current_day = to;
    let prev_day = day_number(period.prev().start());
    let complete = snap.complete.is_complete(period);
    let lag = snap.complete.as_of().map_or(i64::MAX, |d| (today - d).num_days() - 1);

    let cards = specs
        .iter()
        .map(|spec| {
            let m = &spec.metric;
            let value = by_key.get(&(m.id, current_day)).and_then(|f| f.value);
            let prev = by_key.get(&(m.id, prev_day)).and_then(|f| f.value);
            let yoy = yoy_by_metric.get(&m.id).and_then(|f| f.value);
            let (delta, delta_pct) = card::change(value, prev);
            let (yoy_delta, yoy_delta_pct) = card::change(value, yoy);
            let spark = window
                .iter()
                .skip(longest - spec.def.spark_len.min(longest))
                .map(|p| by_key.remove(&(m.id, day_number(p.start()))).and_then(|f| f.value).map(derived))
                .collect();
            let rank =
                value.zip(peer_values.get(&m.id)).map(|(mine, sorted)| card::rank_in_sorted(sorted, mine, m.direction));
            let target = spec.def.target;
            CardDto {
                id: spec.def.id,
                metric: m.code.clone(),
                title: spec.def.title.clone().unwrap_or_else(|| m.name.clone()),
                unit: m.unit.clone(),
                value,
                display: display(value, m),
                prev,
                delta: delta.map(derived),
                delta_pct: delta_pct.map(derived),
                delta_display: delta.map(|d| format::change(d, delta_pct, m.is_percent(), m.precision)),
                yoy,
                yoy_delta: yoy_delta.map(derived),
                yoy_delta_pct: yoy_delta_pct.map(derived),
                yoy_display: yoy_delta.map(|d| format::change(d, yoy_delta_pct, m.is_percent(), m.precision)),
                target,
                attainment: card::attainment(value, target, m.direction).map(derived),
                comparison: spec.def.comparison,
                direction: m.direction,
                good: card::good(spec.def.comparison, m.direction, delta, yoy_delta, value, target),
                spark,
                rank: rank.map(|r| r.0),
                peers: rank.map(|r| r.1),
                status: card::status(value.is_some(), complete, lag),
            }
        })
        .collect();
    Ok(cards)
}
