//! Turning raw query parameters into checked values, once, at the edge. Every refusal names
//! the parameter: `400 invalid_parameter` with `param`.

use std::sync::Arc;

use chrono::{Days, NaiveDate};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::domain::catalogue::MetricDef;
use crate::domain::org_tree::{OrgId, OrgKind, OrgNode};
use crate::domain::period::{Grain, Period};
use crate::error::ApiError;
use crate::state::Snapshot;
use entities::ids::BadId;

/// The longest series served: more points than a phone can show.
pub const MAX_SERIES_POINTS: i64 = 1_000;
pub const MAX_BREAKDOWN_LIMIT: usize = 500;

/// `?org=&grain=&date=`
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PointQuery {
    /// Org id; default: the caller's first scope.
    pub org: Option<String>,
    /// `day`, `week`, `month`, `quarter` or `year`; default: the card set's.
    pub grain: Option<String>,
    /// First day of the period (`YYYY-MM-DD`); default: the latest complete period.
    pub date: Option<String>,
}

/// `?org=&grain=&from=&to=`
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    pub org: Option<String>,
    pub grain: Option<String>,
    /// First period's start; default: a screenful before `to`.
    pub from: Option<String>,
    /// Last period's start; default: the latest complete period.
    pub to: Option<String>,
}

/// `?org=&grain=&date=&by=&order=&limit=`
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BreakdownQuery {
    pub org: Option<String>,
    pub grain: Option<String>,
    pub date: Option<String>,
    /// `region` or `department`; default: regions when the org has any.
    pub by: Option<String>,
    /// `desc` (largest first, the default) or `asc`.
    pub order: Option<String>,
    /// 1 to 500; default 50.
    pub limit: Option<String>,
}

/// The org a request is about: the given one if it exists and is in scope, else the caller's
/// first scope.
pub fn org<'a>(snap: &'a Snapshot, user: &CurrentUser, raw: Option<&str>) -> Result<&'a OrgNode, ApiError> {
    let scopes = user.require_scope()?;
    match raw {
        Some(raw) => {
            let id: OrgId = raw.parse().map_err(|e: BadId| ApiError::invalid("org", e.to_string()))?;
            let node = snap.orgs.get(id).ok_or_else(|| ApiError::NotFound(format!("org {id} does not exist")))?;
            if !snap.orgs.in_scope(id, scopes) {
                return Err(ApiError::OutOfScope(id));
            }
            Ok(node)
        }
        None => scopes
            .iter()
            .find_map(|id| snap.orgs.get(*id))
            .ok_or_else(|| ApiError::Forbidden("none of your scope's orgs is active".into())),
    }
}

pub fn grain(raw: Option<&str>, default: Grain) -> Result<Grain, ApiError> {
    match raw {
        None => Ok(default),
        Some(raw) => {
            raw.parse().map_err(|e: crate::domain::period::UnknownGrain| ApiError::invalid("grain", e.to_string()))
        }
    }
}

/// The first day any request may name: nothing Canmou keeps is older.
pub const FIRST_SUPPORTED_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// A date named by a request: `YYYY-MM-DD` from 2000-01-01 to a year after `today`. Every
/// date a client sends goes through here, so that period arithmetic never meets a date near
/// the calendar's ends.
pub fn date(param: &str, raw: &str, today: NaiveDate) -> Result<NaiveDate, ApiError> {
    let d = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid(param, format!("`{raw}` is not a date (expected YYYY-MM-DD)")))?;
    let last = today.checked_add_days(chrono::Days::new(366)).unwrap_or(today);
    if d < FIRST_SUPPORTED_DAY || d > last {
        return Err(ApiError::invalid(
            param,
            format!("{d} is outside the supported range ({FIRST_SUPPORTED_DAY} to {last})"),
        ));
    }
    Ok(d)
}

/// A period from its first day: aligned to the grain, not in the future.
pub fn period_at(param: &str, raw: &str, grain: Grain, today: NaiveDate) -> Result<Period, ApiError> {
    let d = date(param, raw, today)?;
    let p = Period::starting(grain, d).map_err(|e| ApiError::invalid(param, e.to_string()))?;
    if p.start() > today {
        return Err(ApiError::invalid(param, format!("{d} is in the future")));
    }
    Ok(p)
}

/// The period a request is about: the given one, else the latest complete one.
pub fn period(snap: &Snapshot, raw: Option<&str>, grain: Grain, today: NaiveDate) -> Result<Period, ApiError> {
    match raw {
        Some(raw) => period_at("date", raw, grain, today),
        None => Ok(default_period(snap, grain, today)),
    }
}

/// The latest complete period, or — before the feed has said anything — the one holding
/// yesterday.
pub fn default_period(snap: &Snapshot, grain: Grain, today: NaiveDate) -> Period {
    snap.complete.latest(grain).unwrap_or_else(|| Period::containing(grain, today - Days::new(1)))
}

/// A metric by code; an unknown code is a `400` naming `code`.
pub fn metric(snap: &Snapshot, code: &str) -> Result<Arc<MetricDef>, ApiError> {
    snap.catalogue
        .by_code(code)
        .filter(|m| m.active)
        .cloned()
        .ok_or_else(|| ApiError::invalid("code", format!("unknown metric `{code}`")))
}

/// `?from=&to=` for a series: aligned, ordered, at most [`MAX_SERIES_POINTS`] periods.
pub fn range(
    snap: &Snapshot,
    q: &RangeQuery,
    grain: Grain,
    today: NaiveDate,
    default_len: usize,
) -> Result<(Period, Period), ApiError> {
    let to = match q.to.as_deref() {
        Some(raw) => period_at("to", raw, grain, today)?,
        None => default_period(snap, grain, today),
    };
    let from = match q.from.as_deref() {
        Some(raw) => period_at("from", raw, grain, today)?,
        None => to.trailing(default_len).first().copied().unwrap_or(to),
    };
    if from > to {
        return Err(ApiError::invalid("from", format!("{} is after `to` ({})", from.start(), to.start())));
    }
    let count = count_periods(from, to);
    if count > MAX_SERIES_POINTS {
        return Err(ApiError::invalid(
            "from",
            format!(
                "the series would have {count} points; at most {MAX_SERIES_POINTS} are served — choose a coarser grain or a shorter range"
            ),
        ));
    }
    Ok((from, to))
}

fn count_periods(from: Period, to: Period) -> i64 {
    let days = (to.start() - from.start()).num_days();
    match from.grain() {
        Grain::Day => days + 1,
        Grain::Week => days / 7 + 1,
        // Months, quarters and years are few enough to count one by one under the bound.
        _ => {
            let mut n = 1;
            let mut p = from;
            while p < to && n <= MAX_SERIES_POINTS {
                p = p.next();
                n += 1;
            }
            n
        }
    }
}

pub fn limit(raw: Option<&str>, default: usize) -> Result<usize, ApiError> {
    let Some(raw) = raw else { return Ok(default) };
    let n: i64 = raw.trim().parse().map_err(|_| ApiError::invalid("limit", format!("`{raw}` is not a number")))?;
    if n < 1 || n > MAX_BREAKDOWN_LIMIT as i64 {
        return Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_BREAKDOWN_LIMIT}, not {n}")));
    }
    Ok(n as usize)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Order {
    Desc,
    Asc,
}

pub fn order(raw: Option<&str>) -> Result<Order, ApiError> {
    match raw {
        None | Some("desc") => Ok(Order::Desc),
        Some("asc") => Ok(Order::Asc),
        Some(other) => Err(ApiError::invalid("order", format!("`{other}`: expected asc or desc"))),
    }
}

/// Children by kind: `region` or `department`.
pub fn by(raw: Option<&str>) -> Result<Option<OrgKind>, ApiError> {
    raw.map(|r| r.parse().map_err(|e: String| ApiError::invalid("by", e))).transpose()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use proptest::prelude::*;

    use super::*;
    use crate::domain::period::Grain;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or(NaiveDate::MIN)
    }

    const GRAINS: [Grain; 5] = [Grain::Day, Grain::Week, Grain::Month, Grain::Quarter, Grain::Year];

    /// Whatever a client sends, a parser answers Ok or a 400 naming the parameter, and what it
    /// accepts survives the period arithmetic every view does on it.
    fn check_date(raw: &str) {
        for grain in GRAINS {
            match period_at("date", raw, grain, today()) {
                Ok(p) => {
                    let _ = (p.prev(), p.year_ago(), p.next(), p.last_day(), p.trailing(60));
                }
                Err(e) => assert_eq!(e.param(), Some("date")),
            }
        }
        if let Ok(d) = date("from", raw, today()) {
            assert!(d >= FIRST_SUPPORTED_DAY);
        }
    }

    proptest! {
        #[test]
        fn any_string_is_a_date_or_a_400(raw in ".{0,40}") {
            check_date(&raw);
        }

        #[test]
        fn any_numeric_date_is_a_date_or_a_400(y in -300_000i64..300_000, m in -2i64..15, d in -2i64..40) {
            check_date(&format!("{y:04}-{m:02}-{d:02}"));
            check_date(&format!("{y}-{m}-{d}"));
        }

        #[test]
        fn other_parameters_never_panic(raw in ".{0,30}", n in any::<i64>()) {
            let _ = grain(Some(&raw), Grain::Day);
            let _ = limit(Some(&raw), 10);
            let _ = limit(Some(&n.to_string()), 10);
            let _ = order(Some(&raw));
            let _ = by(Some(&raw));
            let _ = crate::routes::admin::users::page(Some(&raw), Some(&n.to_string()));
            let _ = crate::routes::admin::users::page(Some(&n.to_string()), Some(&raw));
        }
    }

    #[test]
    fn the_ends_of_the_calendar_are_refused_by_name() {
        for raw in ["-262143-01-01", "+262142-12-31", "1999-12-31", "2028-01-01"] {
            let e = period_at("date", raw, Grain::Day, today()).err();
            assert_eq!(e.as_ref().and_then(|e| e.param()), Some("date"), "{raw}");
        }
        assert!(period_at("date", "2000-01-01", Grain::Year, today()).is_ok());
    }
}
