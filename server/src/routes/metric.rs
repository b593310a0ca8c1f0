//! One metric: `GET /api/v1/metrics/{code}` (its card, trend and top of its breakdown),
//! `/series` and `/breakdown`.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::Serialize;

use crate::auth::CurrentUser;
use crate::cache::{AnswerKey, serve, to_json};
use crate::domain::catalogue::MetricDef;
use crate::domain::org_tree::{OrgId, OrgNode};
use crate::domain::period::{Grain, Period, day_number};
use crate::error::ApiError;
use crate::routes::extract::Query;
use crate::state::{AppState, Snapshot};
use crate::store::card_sets::CardDef;
use crate::views::breakdown::{self, Breakdown};
use crate::views::cards::{self, CardSpec};
use crate::views::dto::{CardDto, MetricRef, OrgDto, PeriodDto};
use crate::views::params::{self, BreakdownQuery, Order, PointQuery, RangeQuery};
use crate::views::series::{self, SeriesPoint};

/// How many periods a trend shows by default: about a screenful.
pub fn default_trend_len(grain: Grain) -> usize {
    match grain {
        Grain::Day => 30,
        Grain::Week | Grain::Month => 12,
        Grain::Quarter => 8,
        Grain::Year => 5,
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeriesBody {
    points: Vec<SeriesPoint>,
    /// The same periods a year earlier, one value for each point (the trend's comparison line).
    #[serde(skip_serializing_if = "Option::is_none")]
    last_year: Option<Vec<Option<f64>>>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Detail {
    metric: MetricRef,
    org: OrgDto,
    period: PeriodDto,
    card: CardDto,
    series: SeriesBody,
    breakdown: Breakdown,
    /// 晾晒: the org and its peers of the same kind, ranked — where the administrators' policy
    /// shows them to the caller's audience (it does by default).
    #[serde(skip_serializing_if = "Option::is_none")]
    peers: Option<Breakdown>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Series {
    metric: MetricRef,
    org: OrgDto,
    grain: &'static str,
    points: Vec<SeriesPoint>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BreakdownBody {
    metric: MetricRef,
    org: OrgDto,
    period: PeriodDto,
    #[serde(flatten)]
    breakdown: Breakdown,
}

/// What every metric endpoint starts from: an org in the caller's scope, a known metric, a
/// grain (default: the card set's) and today's business date.
struct Ask<'a> {
    org: &'a OrgNode,
    m: Arc<MetricDef>,
    grain: Grain,
    today: NaiveDate,
}

fn ask<'a>(
    state: &AppState,
    snap: &'a Snapshot,
    user: &CurrentUser,
    code: &str,
    org: Option<OrgId>,
    grain: Option<Grain>,
) -> Result<Ask<'a>, ApiError> {
    let org = params::org(snap, user, org)?;
    let m = params::metric(snap, code)?;
    let default = snap
        .card_sets
        .resolve(user.id, user.scopes.first().copied(), &snap.orgs)
        .map_or(Grain::Day, |s| s.default_grain);
    let grain = grain.unwrap_or(default);
    Ok(Ask { org, m, grain, today: state.today() })
}

/// The card, its trend and the top of its breakdown.
#[utoipa::path(
    get,
    path = "/api/v1/metrics/{code}",
    params(("code" = String, Path, description = "Metric code, e.g. collab.active_rate"), PointQuery),
    responses((status = 200, body = Detail), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "read"
)]
pub async fn detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    code: web::Path<String>,
    q: Query<PointQuery>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let Ask { org, m, grain, today } = ask(&state, &snap, &user, &code, q.org, q.grain)?;
    let period = params::period(&snap, q.date, grain, today)?;
    let show_peers =
        !crate::domain::boards::Hidden::for_audience(&snap.board_rules, &snap.orgs, user.scopes.first().copied()).peers;
    let extra = if show_peers { "peers" } else { "" };
    let key = AnswerKey::new("metric", (m.id.get(), 0), org.id.get(), period, extra.to_owned(), snap.version, today);
    serve(&req, &state.answers, key, || async {
        let def = CardDef { id: 0, ..cards::metric_card(m.id) };
        let spec = [CardSpec { def: &def, metric: m.clone() }];
        let card = cards::compute(&state.db, &snap, &spec, org, period, today)
            .await?
            .pop()
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no card computed")))?;
        let from = period.trailing(default_trend_len(grain)).first().copied().unwrap_or(period);
        let points = series::points(&state.db, &m, org.id, from, period).await?;
        let last_year = series::year_ago(&state.db, &snap.coverage, &m, org.id, from, period).await?;
        let by = breakdown::default_by(&snap.orgs, org.id);
        let breakdown = breakdown::compute(
            &state.db,
            &snap,
            &m,
            org,
            period,
            breakdown::Spec { by, order: Order::Desc, limit: 10 },
        )
        .await?;
        let parent = org.parent_id.and_then(|p| snap.orgs.get(p)).filter(|_| show_peers);
        let peers = match parent {
            Some(parent) => {
                let by = org.kind;
                let spec = breakdown::Spec { by, order: Order::Desc, limit: 200 };
                Some(breakdown::compute(&state.db, &snap, &m, parent, period, spec).await?)
            }
            None => None,
        };
        to_json(&Detail {
            metric: MetricRef::from(m.as_ref()),
            org: OrgDto::new(org, &snap.orgs),
            period: PeriodDto::new(period, snap.is_partial(period)),
            card,
            series: SeriesBody { points, last_year: Some(last_year) },
            breakdown,
            peers,
        })
    })
    .await
}

/// The metric's values for one org over a range of periods (at most 1,000).
#[utoipa::path(
    get,
    path = "/api/v1/metrics/{code}/series",
    params(("code" = String, Path, description = "Metric code"), RangeQuery),
    responses((status = 200, body = Series), (status = 400, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "read"
)]
pub async fn series(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    code: web::Path<String>,
    q: Query<RangeQuery>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let Ask { org, m, grain, today } = ask(&state, &snap, &user, &code, q.org, q.grain)?;
    let (from, to) = params::range(&snap, (q.from, q.to), grain, today, default_trend_len(grain))?;
    let extra = day_number(from.start()).to_string();
    let key = AnswerKey::new("series", (m.id.get(), 0), org.id.get(), to, extra, snap.version, today);
    serve(&req, &state.answers, key, || async {
        to_json(&Series {
            metric: MetricRef::from(m.as_ref()),
            org: OrgDto::new(org, &snap.orgs),
            grain: grain.as_str(),
            points: series::points(&state.db, &m, org.id, from, to).await?,
        })
    })
    .await
}

/// The metric over the org's children, ranked.
#[utoipa::path(
    get,
    path = "/api/v1/metrics/{code}/breakdown",
    params(("code" = String, Path, description = "Metric code"), BreakdownQuery),
    responses((status = 200, body = BreakdownBody), (status = 400, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "read"
)]
pub async fn breakdown(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    code: web::Path<String>,
    q: Query<BreakdownQuery>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let Ask { org, m, grain, today } = ask(&state, &snap, &user, &code, q.org, q.grain)?;
    let period: Period = params::period(&snap, q.date, grain, today)?;
    let by = q.by.unwrap_or_else(|| breakdown::default_by(&snap.orgs, org.id));
    let order = q.order.unwrap_or_default();
    let limit = q.limit.unwrap_or(50);
    let extra = format!("{by}:{order:?}:{limit}");
    let key = AnswerKey::new("breakdown", (m.id.get(), 0), org.id.get(), period, extra, snap.version, today);
    serve(&req, &state.answers, key, || async {
        to_json(&BreakdownBody {
            metric: MetricRef::from(m.as_ref()),
            org: OrgDto::new(org, &snap.orgs),
            period: PeriodDto::new(period, snap.is_partial(period)),
            breakdown: breakdown::compute(&state.db, &snap, &m, org, period, breakdown::Spec { by, order, limit })
                .await?,
        })
    })
    .await
}
