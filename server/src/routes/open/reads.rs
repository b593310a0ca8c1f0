//! The open reads: `GET /open/v1/metrics`, `/open/v1/facts` and
//! `/open/v1/metrics/{code}/ranking`. They compute with the mini-program's own code
//! (`views::series`, `views::breakdown`) and cache with its answer cache and ETags, so the
//! numbers are the same; what differs is who may ask: an application, for the metrics of its
//! allowlist, the orgs of its subtrees, its grains and its history depth — anything else is
//! `403 out_of_scope` naming the parameter.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{Caller, note_rows};
use crate::cache::{AnswerKey, serve, to_json};
use crate::domain::catalogue::MetricDef;
use crate::domain::org_tree::{OrgId, OrgNode};
use crate::domain::period::{Grain, Period, day_number};
use crate::error::ApiError;
use crate::routes::extract::Query;
use crate::state::{AppState, Snapshot};
use crate::views::breakdown::{self, Breakdown};
use crate::views::dto::{MetricRef, OrgRef, PeriodDto};
use crate::views::params;
use crate::views::series;

/// The metrics of the application's allowlist.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MetricsBody {
    items: Vec<MetricRef>,
}

/// `?metric=&org=&grain=&from=&to=&children=&cursor=&limit=`
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FactsQuery {
    /// Metric code (one of `GET /open/v1/metrics`).
    pub metric: String,
    /// Org id; default: the application's first org.
    #[param(value_type = Option<String>)]
    pub org: Option<OrgId>,
    /// `day` (default), `week`, `month`, `quarter` or `year`, among the application's grains.
    #[param(value_type = Option<String>)]
    pub grain: Option<Grain>,
    /// First period's start (`YYYY-MM-DD`); default: a screenful before `to`.
    #[serde(default, deserialize_with = "params::day")]
    #[param(value_type = Option<String>)]
    pub from: Option<NaiveDate>,
    /// Last period's start; default: the latest complete period.
    #[serde(default, deserialize_with = "params::day")]
    #[param(value_type = Option<String>)]
    pub to: Option<NaiveDate>,
    /// `true`: the org's children instead of the org.
    #[serde(default, deserialize_with = "params::flag")]
    #[param(value_type = Option<bool>)]
    pub children: Option<bool>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// Rows a page, 1 to 1000 (default 100).
    #[serde(default, deserialize_with = "params::number")]
    #[param(value_type = Option<u64>)]
    pub limit: Option<i64>,
}

/// `?org=&grain=&date=&by=&order=&limit=`: the read API's breakdown parameters.
pub use crate::views::params::BreakdownQuery as RankingQuery;

/// One value of the metric for one org and period.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FactRow {
    org: OrgRef,
    start: String,
    label: String,
    value: Option<f64>,
    display: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    num: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    den: Option<f64>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FactsBody {
    metric: MetricRef,
    grain: &'static str,
    from: String,
    to: String,
    /// Rows of the whole answer, over every page.
    total: usize,
    items: Vec<FactRow>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RankingBody {
    metric: MetricRef,
    org: OrgRef,
    period: PeriodDto,
    #[serde(flatten)]
    ranking: Breakdown,
}

/// A metric the application may read: unknown is `400`, outside the allowlist `403`.
fn metric(snap: &Snapshot, caller: &Caller, code: &str, param: &str) -> Result<Arc<MetricDef>, ApiError> {
    let m = snap
        .catalogue
        .by_code(code.trim())
        .filter(|m| m.active)
        .cloned()
        .ok_or_else(|| ApiError::invalid(param, format!("unknown metric `{code}`")))?;
    if !caller.allows_metric(&m.code) {
        return Err(ApiError::out_of_scope(param, format!("`{}` is not among this application's metrics", m.code)));
    }
    Ok(m)
}

/// An org in the application's subtrees (default: its first); any other is `403`, whether it
/// exists or not.
fn org<'a>(snap: &'a Snapshot, caller: &Caller, id: Option<OrgId>) -> Result<&'a OrgNode, ApiError> {
    let id = match id {
        Some(id) => id,
        None => *caller.orgs.first().ok_or_else(|| ApiError::Forbidden("this application has no orgs".into()))?,
    };
    match snap.orgs.get(id) {
        Some(node) if caller.sees(&snap.orgs, id) => Ok(node),
        _ => Err(ApiError::out_of_scope("org", format!("org {id} is outside this application's scope"))),
    }
}

fn grain(caller: &Caller, g: Option<Grain>) -> Result<Grain, ApiError> {
    let g = g.unwrap_or(Grain::Day);
    if !caller.allows_grain(g) {
        return Err(ApiError::out_of_scope(
            "grain",
            format!("`{}` is not among this application's grains", g.as_str()),
        ));
    }
    Ok(g)
}

/// Periods ending before the application's history depth are refused.
/// The first day the application may read.
fn earliest(caller: &Caller, today: NaiveDate) -> NaiveDate {
    today - Days::new(u64::try_from(caller.history_days.max(0)).unwrap_or(0))
}

fn within_history(caller: &Caller, today: NaiveDate, param: &str, p: Period) -> Result<(), ApiError> {
    let earliest = earliest(caller, today);
    if p.last_day() < earliest {
        return Err(ApiError::out_of_scope(
            param,
            format!(
                "{} is before {earliest}: this application reads {} days of history",
                p.start(),
                caller.history_days
            ),
        ));
    }
    Ok(())
}

/// The metrics of the application's allowlist, with their 口径.
#[utoipa::path(
    get,
    path = "/open/v1/metrics",
    responses((status = 200, body = MetricsBody), (status = 401, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "read"
)]
pub async fn metrics(req: HttpRequest, state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let today = state.today();
    let items: Vec<MetricRef> = caller
        .metrics
        .iter()
        .filter_map(|c| snap.catalogue.by_code(c))
        .filter(|m| m.active)
        .map(|m| MetricRef::from(m.as_ref()))
        .collect();
    note_rows(&req, items.len());
    let key = AnswerKey::new(
        "open.metrics",
        (caller.id, 0),
        0,
        Period::containing(Grain::Day, today),
        caller.metrics.join(","),
        snap.version,
        today,
    );
    serve(&req, &state.answers, key, || async { to_json(&MetricsBody { items }) }).await
}

/// The page's place in its query: an offset and a digest of the query, so that a cursor from
/// another query is refused.
fn cursor(offset: usize, digest: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{offset}.{digest:016x}"))
}

/// A digest of the query's parts that every instance and toolchain computes alike (xxh3 of
/// their little-endian bytes), so a cursor stays good behind a balancer and across upgrades.
fn query_digest(parts: [i32; 6]) -> u64 {
    let mut bytes = [0u8; 24];
    for (chunk, part) in bytes.chunks_exact_mut(4).zip(parts) {
        chunk.copy_from_slice(&part.to_le_bytes());
    }
    xxhash_rust::xxh3::xxh3_64(&bytes)
}

fn read_cursor(raw: &str, digest: u64) -> Result<usize, ApiError> {
    let bad = || ApiError::invalid("cursor", "not a cursor of this query: start again without one");
    let text = URL_SAFE_NO_PAD.decode(raw.trim()).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(bad)?;
    let (offset, d) = text.split_once('.').ok_or_else(bad)?;
    if d != format!("{digest:016x}") {
        return Err(bad());
    }
    offset.parse().map_err(|_| bad())
}

/// One metric for an org (or each of its children) over a range of periods, a page at a time.
#[utoipa::path(
    get,
    path = "/open/v1/facts",
    params(FactsQuery),
    responses((status = 200, body = FactsBody), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "read"
)]
pub async fn facts(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<FactsQuery>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let today = state.today();
    let m = metric(&snap, &caller, &q.metric, "metric")?;
    let org = org(&snap, &caller, q.org)?;
    let grain = grain(&caller, q.grain)?;
    let (mut from, to) =
        params::range(&snap, (q.from, q.to), grain, today, crate::routes::metric::default_trend_len(grain))?;
    if q.from.is_none() {
        // The default range starts no earlier than the application may read.
        from = from.max(Period::containing(grain, earliest(&caller, today))).min(to);
    }
    within_history(&caller, today, "from", from)?;
    let children = q.children.unwrap_or(false);
    let max = state.open.settings.max_page.max(1);
    let limit = match q.limit {
        None => 100.min(max),
        Some(n) if n < 1 || n > max as i64 => {
            return Err(ApiError::invalid("limit", format!("must be between 1 and {max}, not {n}")));
        }
        Some(n) => n as usize,
    };
    let orgs: Vec<&OrgNode> = if children { snap.orgs.children(org.id).collect() } else { vec![org] };
    let mut periods = 0usize;
    let mut p = from;
    while p <= to {
        periods += 1;
        p = p.next();
    }
    let total = orgs.len() * periods;
    let digest = query_digest([
        m.id.get(),
        org.id.get(),
        i32::from(grain.code()),
        day_number(from.start()),
        day_number(to.start()),
        i32::from(children),
    ]);
    let offset = match q.cursor.as_deref() {
        Some(raw) => read_cursor(raw, digest)?,
        None => 0,
    };
    if offset > total {
        return Err(ApiError::invalid("cursor", "past the end of the answer"));
    }
    let end = (offset + limit).min(total);
    note_rows(&req, end - offset);
    let extra = format!("{}:{children}:{offset}:{limit}", day_number(from.start()));
    let key = AnswerKey::new("open.facts", (m.id.get(), 0), org.id.get(), to, extra, snap.version, today);
    serve(&req, &state.answers, key, || async {
        let mut items = Vec::with_capacity(end - offset);
        if periods > 0 && end > offset {
            for (i, node) in orgs.iter().enumerate().take((end - 1) / periods + 1).skip(offset / periods) {
                let points = series::points(&state.db, &m, node.id, from, to).await?;
                for (j, point) in points.into_iter().enumerate() {
                    let at = i * periods + j;
                    if at < offset || at >= end {
                        continue;
                    }
                    items.push(FactRow {
                        org: OrgRef::from(*node),
                        start: point.start,
                        label: point.label,
                        value: point.value,
                        display: point.display,
                        num: point.num,
                        den: point.den,
                    });
                }
            }
        }
        to_json(&FactsBody {
            metric: MetricRef::from(m.as_ref()),
            grain: grain.as_str(),
            from: from.start().to_string(),
            to: to.start().to_string(),
            total,
            items,
            next_cursor: (end < total).then(|| cursor(end, digest)),
        })
    })
    .await
}

/// The org's children ranked by the metric at one period.
#[utoipa::path(
    get,
    path = "/open/v1/metrics/{code}/ranking",
    params(("code" = String, Path, description = "Metric code"), RankingQuery),
    responses((status = 200, body = RankingBody), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "read"
)]
pub async fn ranking(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
    q: Query<RankingQuery>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let today = state.today();
    let m = metric(&snap, &caller, &code, "code")?;
    let org = org(&snap, &caller, q.org)?;
    let grain = grain(&caller, q.grain)?;
    let period = params::period(&snap, q.date, grain, today)?;
    within_history(&caller, today, "date", period)?;
    let by = q.by.unwrap_or_else(|| breakdown::default_by(&snap.orgs, org.id));
    let order = q.order.unwrap_or_default();
    let limit = q.limit.unwrap_or(50);
    note_rows(&req, snap.orgs.children(org.id).filter(|c| c.kind == by).count().min(limit));
    // Its own entry: the numbers are the breakdown's, the shape is not.
    let extra = format!("open:{by}:{order:?}:{limit}");
    let key = AnswerKey::new("open.ranking", (m.id.get(), 0), org.id.get(), period, extra, snap.version, today);
    serve(&req, &state.answers, key, || async {
        to_json(&RankingBody {
            metric: MetricRef::from(m.as_ref()),
            org: OrgRef::from(org),
            period: PeriodDto::new(period, !snap.complete.is_complete(period)),
            ranking: breakdown::compute(&state.db, &snap, &m, org, period, breakdown::Spec { by, order, limit })
                .await?,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_is_refused_by_another_query() {
        let c = cursor(200, 42);
        assert_eq!(read_cursor(&c, 42).ok(), Some(200));
        assert!(read_cursor(&c, 43).is_err());
        assert!(read_cursor("garbage!", 42).is_err());
    }

    #[test]
    fn a_cursor_stays_good_across_processes_and_toolchains() {
        // Pinned: another value means cursors handed out before an upgrade are refused after it.
        assert_eq!(query_digest([7, 1, 0, 20_400, 20_410, 1]), 0xbe29_e1b2_119a_2987);
        assert_ne!(query_digest([7, 1, 0, 20_400, 20_410, 0]), query_digest([7, 1, 0, 20_400, 20_410, 1]));
    }
}
