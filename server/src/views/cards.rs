//! Home cards: value, previous period, the same period last year, target, sparkline and rank
//! among peers — one statement for the whole screen, whatever the number of cards. The peers'
//! values behind the ranks are remembered for the data version, so siblings share one read.

use entities::ids::MetricId;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use sea_orm::ConnectionTrait;
use serde::Serialize;

use super::dto::{CardDto, OrgDto, PeriodDto, display};
use crate::cache::PeerGroup;
use crate::domain::card::{self, Comparison};
use crate::domain::catalogue::MetricDef;
use crate::domain::compare::{self, Missing};
use crate::domain::format;
use crate::domain::org_tree::OrgNode;
use crate::domain::period::{Period, day_number};
use crate::domain::rollup::Figure;
use crate::error::ApiError;
use crate::state::Snapshot;
use crate::store::card_sets::{CardDef, CardSetDef};
use crate::store::{StoreError, reads};

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

/// The card of a metric outside any card set (a board's, a metric page's): 环比, a sparkline
/// of twelve periods, the card id being the metric's.
pub fn metric_card(metric_id: MetricId) -> CardDef {
    CardDef {
        id: metric_id.get(),
        metric_id,
        title: None,
        comparison: Comparison::Prev,
        target: None,
        spark_len: 12,
        position: 0,
    }
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
        period: PeriodDto::new(period, snap.is_partial(period)),
        org: OrgDto::new(org, &snap.orgs),
        card_set: CardSetRef { id: set.id, name: set.name.clone(), version: set.version },
        cards,
    })
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
    let metric_ids: Vec<i32> = specs.iter().map(|s| s.metric.id.get()).collect();
    let longest = specs.iter().map(|s| s.def.spark_len).max().unwrap_or(12).max(2);
    let window = period.trailing(longest);
    // Each card's base of 环比 (by the calendar for indicators of the working week), which may
    // lie before the sparkline's window.
    let bases: Vec<Period> =
        specs.iter().map(|s| compare::previous(period, s.metric.working_days, &snap.calendar)).collect();
    let from = window.iter().chain(&bases).map(|p| p.start()).min().unwrap_or(period.start());

    // Each card's base of 同比 (a like day near the date a year earlier for indicators of the
    // working week).
    let yoy_bases: Vec<Period> =
        specs.iter().map(|s| compare::year_ago(period, s.metric.working_days, &snap.calendar)).collect();
    let to = day_number(period.start());
    let yoy_days = yoy_bases.iter().map(|p| day_number(p.start()));
    let year_ago = (yoy_days.clone().min().unwrap_or(to), yoy_days.max().unwrap_or(to));
    let peers: Vec<i32> = snap.orgs.peers(org.id).iter().map(|n| n.id.get()).collect();
    let own = reads::home(
        db,
        reads::HomeQuery { metrics: &metric_ids, org: org.id.get(), grain, from: day_number(from), to, year_ago },
    );
    // The peers' values at the period, from this version's memo where a sibling has read them
    // (the group is named by its smallest org id), read beside the org's own otherwise.
    let group = (peers.len() > 1).then(|| peers.iter().copied().min()).flatten();
    let peer_values = async {
        let Some(group) = group else { return Ok(None) };
        let at = PeerGroup { grain: grain.code(), period: to, group };
        let read = || async {
            let points = reads::at(db, &metric_ids, &peers, grain, &[to]).await?;
            Ok::<_, StoreError>(points.into_iter().filter_map(|p| Some((p.metric_id, p.figure.value?))).collect())
        };
        snap.peer_values.get_or_read(at, &metric_ids, read).await.map(Some)
    };
    let (points, peer_values) = tokio::try_join!(own, peer_values)?;
    // The org's own figures by (metric, period start): the sparkline's periods and a year ago.
    let mut by_key: HashMap<(i32, i32), Figure> =
        points.iter().map(|p| ((p.metric_id, p.period_start), p.figure)).collect();
    let complete = snap.complete.is_complete(period);
    let lag = snap.complete.as_of().map_or(i64::MAX, |d| (today - d).num_days() - 1);

    let cards = specs
        .iter()
        .zip(bases)
        .zip(yoy_bases)
        .map(|((spec, base), yoy_base)| {
            let m = &spec.metric;
            let value = by_key.get(&(m.id.get(), to)).and_then(|f| f.value);
            let compared = |base: Period| -> (Option<f64>, Option<Missing>) {
                let found = compare::base(&snap.coverage, m.id, base).and_then(|b| {
                    by_key.get(&(m.id.get(), day_number(b.start()))).and_then(|f| f.value).ok_or(Missing::Nodata)
                });
                match (value, found) {
                    (None, _) => (None, None),
                    (Some(_), Ok(v)) => (Some(v), None),
                    (Some(_), Err(why)) => (None, Some(why)),
                }
            };
            let (prev, prev_missing) = compared(base);
            let (yoy, yoy_missing) = compared(yoy_base);
            let covered = snap.coverage.covers(m.id, period);
            let (delta, delta_pct) = card::change(value, prev);
            let (yoy_delta, yoy_delta_pct) = card::change(value, yoy);
            // A change that reads as 持平 is neither good nor bad news: no colour.
            let flat = match spec.def.comparison {
                Comparison::Prev => delta.is_some_and(|d| format::is_flat(d, delta_pct, &m.unit, m.precision)),
                Comparison::Yoy => yoy_delta.is_some_and(|d| format::is_flat(d, yoy_delta_pct, &m.unit, m.precision)),
                Comparison::Target => false,
            };
            let spark = window
                .iter()
                .skip(longest - spec.def.spark_len.min(longest))
                .map(|p| by_key.remove(&(m.id.get(), day_number(p.start()))).and_then(|f| f.value).map(format::derived))
                .collect();
            let rank = value
                .zip(peer_values.as_ref().and_then(|set| set.get(&m.id.get())))
                .map(|(mine, sorted)| card::rank_in_sorted(sorted, mine, m.direction));
            let target = spec.def.target;
            CardDto {
                id: spec.def.id,
                metric: m.code.clone(),
                title: spec.def.title.clone().unwrap_or_else(|| m.name.clone()),
                unit: m.unit.clone(),
                value,
                display: display(value, m),
                prev,
                prev_missing,
                prev_label: (base != period.prev()).then(|| base.label_zh()),
                yoy_label: (yoy_base != period.year_ago()).then(|| {
                    let d = yoy_base.start();
                    format!("{}年{}月{}日", d.year(), d.month(), d.day())
                }),
                delta: delta.map(format::derived),
                delta_pct: delta_pct.map(format::derived),
                delta_display: delta.map(|d| format::change(d, delta_pct, &m.unit, m.precision)),
                yoy,
                yoy_missing,
                yoy_delta: yoy_delta.map(format::derived),
                yoy_delta_pct: yoy_delta_pct.map(format::derived),
                yoy_display: yoy_delta.map(|d| format::change(d, yoy_delta_pct, &m.unit, m.precision)),
                target,
                attainment: card::attainment(value, target, m.direction).map(format::derived),
                comparison: spec.def.comparison,
                direction: m.direction,
                good: card::good(spec.def.comparison, m.direction, delta, yoy_delta, value, target).filter(|_| !flat),
                spark,
                rank: rank.map(|r| r.0),
                peers: rank.map(|r| r.1),
                status: card::status(value.is_some(), complete && covered, lag),
                records: crate::domain::records::drill_link(&m.code, org.id, period),
            }
        })
        .collect();
    Ok(cards)
}
