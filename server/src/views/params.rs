//! Turning raw query parameters into checked values, once, at the edge. Every refusal names
//! the parameter: `400 invalid_parameter` with `param`.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Deserializer, de};

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
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PointQuery {
    /// Org id; default: the caller's first scope.
    #[param(value_type = Option<String>)]
    pub org: Option<OrgId>,
    /// `day`, `week`, `month`, `quarter` or `year`; default: the card set's.
    #[param(value_type = Option<String>)]
    pub grain: Option<Grain>,
    /// First day of the period (`YYYY-MM-DD`); default: the latest complete period.
    #[serde(default, deserialize_with = "day")]
    #[param(value_type = Option<String>)]
    pub date: Option<NaiveDate>,
}

/// `?org=&grain=&from=&to=`
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    #[param(value_type = Option<String>)]
    pub org: Option<OrgId>,
    #[param(value_type = Option<String>)]
    pub grain: Option<Grain>,
    /// First period's start; default: a screenful before `to`.
    #[serde(default, deserialize_with = "day")]
    #[param(value_type = Option<String>)]
    pub from: Option<NaiveDate>,
    /// Last period's start; default: the latest complete period.
    #[serde(default, deserialize_with = "day")]
    #[param(value_type = Option<String>)]
    pub to: Option<NaiveDate>,
}

/// `?org=&grain=&date=&by=&order=&limit=`
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BreakdownQuery {
    #[param(value_type = Option<String>)]
    pub org: Option<OrgId>,
    #[param(value_type = Option<String>)]
    pub grain: Option<Grain>,
    /// First day of the period; default: the latest complete period.
    #[serde(default, deserialize_with = "day")]
    #[param(value_type = Option<String>)]
    pub date: Option<NaiveDate>,
    /// `region` or `department`; default: regions when the org has any.
    #[param(value_type = Option<String>)]
    pub by: Option<OrgKind>,
    /// `desc` (largest first, the default) or `asc`.
    #[param(value_type = Option<String>)]
    pub order: Option<Order>,
    /// 1 to 500; default 50.
    #[serde(default, deserialize_with = "breakdown_limit")]
    #[param(value_type = Option<String>)]
    pub limit: Option<usize>,
}

/// A date parameter (`YYYY-MM-DD`, blanks around it allowed). Whether it is in the supported
/// range depends on `today`, and is checked afterwards ([`in_range`]).
pub fn day<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let raw = <Cow<'de, str>>::deserialize(d)?;
    parse_day(&raw).map(Some).map_err(de::Error::custom)
}

fn parse_day(raw: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{raw}` is not a date (expected YYYY-MM-DD)"))
}

/// A ranking's `limit`: 1 to [`MAX_BREAKDOWN_LIMIT`].
pub fn breakdown_limit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    Ok(bounded::<D, 1, { MAX_BREAKDOWN_LIMIT as u64 }>(d)?.map(|n| n as usize))
}

/// A whole number from `MIN` to `MAX` (`limit`, `page`, `pageSize`), blanks around it allowed:
/// `#[serde(default, deserialize_with = "params::bounded::<_, 1, 50>")]`.
pub fn bounded<'de, D: Deserializer<'de>, const MIN: u64, const MAX: u64>(d: D) -> Result<Option<u64>, D::Error> {
    let raw = <Cow<'de, str>>::deserialize(d)?;
    parse_bounded(&raw, MIN, MAX).map(Some).map_err(de::Error::custom)
}

fn parse_bounded(raw: &str, min: u64, max: u64) -> Result<u64, String> {
    let n: i128 = raw.trim().parse().map_err(|_| format!("`{raw}` is not a number"))?;
    if n < i128::from(min) || n > i128::from(max) {
        return Err(format!("must be between {min} and {max}, not {n}"));
    }
    Ok(n as u64)
}

/// A whole number whose bounds are a setting, checked once the setting is at hand.
pub fn number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let raw = <Cow<'de, str>>::deserialize(d)?;
    raw.trim().parse().map(Some).map_err(|_| de::Error::custom(format!("`{raw}` is not a number")))
}

/// A run's id (`?run=`).
pub fn run_id<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let raw = <Cow<'de, str>>::deserialize(d)?;
    parse_run_id(&raw).map_err(de::Error::custom)
}

/// A run's id as text (a query parameter or a path segment).
pub fn parse_run_id(raw: &str) -> Result<i64, String> {
    raw.trim().parse().map_err(|_| format!("`{raw}` is not a run id"))
}

/// `true` or `false` (`1` or `0`).
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let raw = <Cow<'de, str>>::deserialize(d)?;
    match raw.trim() {
        "true" | "1" => Ok(Some(true)),
        "false" | "0" => Ok(Some(false)),
        other => Err(de::Error::custom(format!("`{other}`: expected true or false"))),
    }
}

/// A value read with its `FromStr` (an id, a name); a blank parameter is the same as none.
pub fn blank_or<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let raw = <Cow<'de, str>>::deserialize(d)?;
    match raw.trim() {
        "" => Ok(None),
        text => text.parse().map(Some).map_err(de::Error::custom),
    }
}

/// The org a request is about: the given one if it exists and is in scope, else the caller's
/// first scope.
pub fn org<'a>(snap: &'a Snapshot, user: &CurrentUser, id: Option<OrgId>) -> Result<&'a OrgNode, ApiError> {
    let scopes = user.require_scope()?;
    match id {
        Some(id) => {
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

/// An org id given as text (a path segment): refused as the `org` parameter.
pub fn org_id(raw: &str) -> Result<OrgId, ApiError> {
    raw.parse().map_err(|e: BadId| ApiError::invalid("org", e.to_string()))
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
    let d = parse_day(raw).map_err(|reason| ApiError::invalid(param, reason))?;
    in_range(param, d, today)
}

/// A date inside what Canmou serves: from 2000-01-01 to a year after `today`.
pub fn in_range(param: &str, d: NaiveDate, today: NaiveDate) -> Result<NaiveDate, ApiError> {
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
pub fn period_at(param: &str, d: NaiveDate, grain: Grain, today: NaiveDate) -> Result<Period, ApiError> {
    let d = in_range(param, d, today)?;
    let p = Period::starting(grain, d).map_err(|e| ApiError::invalid(param, e.to_string()))?;
    if p.start() > today {
        return Err(ApiError::invalid(param, format!("{d} is in the future")));
    }
    Ok(p)
}

/// The period a request is about: the given one, else the latest complete one.
pub fn period(snap: &Snapshot, date: Option<NaiveDate>, grain: Grain, today: NaiveDate) -> Result<Period, ApiError> {
    match date {
        Some(d) => period_at("date", d, grain, today),
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
    (from, to): (Option<NaiveDate>, Option<NaiveDate>),
    grain: Grain,
    today: NaiveDate,
    default_len: usize,
) -> Result<(Period, Period), ApiError> {
    let to = match to {
        Some(d) => period_at("to", d, grain, today)?,
        None => default_period(snap, grain, today),
    };
    let from = match from {
        Some(d) => period_at("from", d, grain, today)?,
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

/// Which end of a ranking comes first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Order {
    /// Largest first.
    #[default]
    Desc,
    Asc,
}

impl Order {
    pub const fn as_str(self) -> &'static str {
        match self {
            Order::Desc => "desc",
            Order::Asc => "asc",
        }
    }
}

impl FromStr for Order {
    type Err = String;

    fn from_str(s: &str) -> Result<Order, String> {
        match s {
            "desc" => Ok(Order::Desc),
            "asc" => Ok(Order::Asc),
            other => Err(format!("`{other}`: expected asc or desc")),
        }
    }
}

impl<'de> Deserialize<'de> for Order {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        entities::deserialize_from_str(d)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
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
        let Ok(d) = parse_day(raw) else { return };
        for grain in GRAINS {
            match period_at("date", d, grain, today()) {
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
        fn other_parameters_are_values_or_a_400_naming_them(raw in ".{0,30}", n in any::<i64>()) {
            for name in ["org", "grain", "date", "by", "order", "limit"] {
                for value in [raw.clone(), n.to_string()] {
                    let query = serde_urlencoded::to_string([(name, value.as_str())]).unwrap_or_default();
                    if let Err(e) = crate::routes::extract::Query::<BreakdownQuery>::parse(&query) {
                        prop_assert_eq!(e.param(), Some(name));
                    }
                }
            }
            for name in ["page", "pageSize"] {
                for value in [raw.clone(), n.to_string()] {
                    let query = serde_urlencoded::to_string([(name, value.as_str())]).unwrap_or_default();
                    match crate::routes::extract::Query::<crate::routes::admin::users::ListQuery>::parse(&query) {
                        Ok(q) => prop_assert!(q.page.or(q.page_size).is_some_and(|n| (1..=10_000).contains(&n))),
                        Err(e) => prop_assert_eq!(e.param(), Some(name)),
                    }
                }
            }
        }
    }

    #[test]
    fn the_ends_of_the_calendar_are_refused_by_name() {
        for raw in ["-262143-01-01", "+262142-12-31", "1999-12-31", "2028-01-01"] {
            let e = date("date", raw, today()).err();
            assert_eq!(e.as_ref().and_then(|e| e.param()), Some("date"), "{raw}");
        }
        assert!(period_at("date", FIRST_SUPPORTED_DAY, Grain::Year, today()).is_ok());
    }

    #[test]
    fn parameters_deserialize_into_values_or_say_what_is_wrong() {
        use crate::routes::extract::Query;
        let q = Query::<BreakdownQuery>::parse("org=4&grain=week&date=2026-11-23&by=region&order=asc&limit=5").unwrap();
        assert_eq!(q.org, Some(OrgId(4)));
        assert_eq!(q.grain, Some(Grain::Week));
        assert_eq!(q.date, NaiveDate::from_ymd_opt(2026, 11, 23));
        assert_eq!((q.by, q.order, q.limit), (Some(OrgKind::Region), Some(Order::Asc), Some(5)));
        let refused = |query: &str| {
            Query::<BreakdownQuery>::parse(query).err().map(|e| (e.param().map(str::to_owned), e.to_string()))
        };
        let (param, message) = refused("org=abc").unwrap();
        assert_eq!(
            (param.as_deref(), message.as_str()),
            (Some("org"), "invalid parameter `org`: `abc` is not an org id")
        );
        let (param, message) = refused("date=2026-13-01").unwrap();
        assert_eq!(param.as_deref(), Some("date"));
        assert!(message.ends_with("`2026-13-01` is not a date (expected YYYY-MM-DD)"), "{message}");
        let (_, message) = refused("limit=501").unwrap();
        assert!(message.ends_with("must be between 1 and 500, not 501"), "{message}");
        let (_, message) = refused("grain=hour").unwrap();
        assert!(message.ends_with("unknown grain `hour`: expected day, week, month, quarter or year"), "{message}");
        let (_, message) = refused("order=up").unwrap();
        assert!(message.ends_with("`up`: expected asc or desc"), "{message}");
        let (_, message) = refused("by=city").unwrap();
        assert!(message.ends_with("`city`: expected region or department"), "{message}");
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Knobs {
        #[serde(default, deserialize_with = "bounded::<_, 1, 50>")]
        limit: Option<u64>,
        #[serde(default, deserialize_with = "flag")]
        children: Option<bool>,
        #[serde(default, deserialize_with = "blank_or")]
        actor: Option<entities::ids::UserId>,
        #[serde(default, deserialize_with = "number")]
        rows: Option<i64>,
    }

    #[test]
    fn counts_flags_and_ids_are_typed_at_the_edge() {
        use crate::routes::extract::Query;
        let q = Query::<Knobs>::parse("limit=%2050%20&children=1&actor=7&rows=-3").unwrap();
        assert_eq!(
            (q.limit, q.children, q.actor, q.rows),
            (Some(50), Some(true), Some(entities::ids::UserId(7)), Some(-3))
        );
        let q = Query::<Knobs>::parse("actor=&children=false").unwrap();
        assert_eq!((q.limit, q.children, q.actor), (None, Some(false), None));
        let refused = |query: &str| {
            let e = Query::<Knobs>::parse(query).unwrap_err();
            (e.param().map(str::to_owned).unwrap_or_default(), e.to_string())
        };
        for (query, param, says) in [
            ("limit=0", "limit", "must be between 1 and 50, not 0"),
            ("limit=51", "limit", "must be between 1 and 50, not 51"),
            ("limit=99999999999999999999999", "limit", "must be between 1 and 50, not 99999999999999999999999"),
            ("limit=ten", "limit", "`ten` is not a number"),
            ("children=yes", "children", "`yes`: expected true or false"),
            ("actor=me", "actor", "`me` is not a user id"),
            ("rows=1.5", "rows", "`1.5` is not a number"),
        ] {
            let (p, message) = refused(query);
            assert_eq!(p, param, "{query}");
            assert!(message.ends_with(says), "{query}: {message}");
        }
    }
}
