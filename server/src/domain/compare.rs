//! What a figure is compared with, and when it is not: the base of 环比 (by the working-day
//! calendar for indicators of the working week) and of 同比, and whether a period is fully
//! covered by the data we hold — a period that starts before the first day of data is partial
//! and never the base of a comparison.

use entities::ids::MetricId;
use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use serde::Serialize;

use super::calendar::WorkCalendar;
use super::period::{Grain, Period};

/// How far back a like-for-like day is looked for (the longest Chinese holiday is nine days).
const LOOKBACK_DAYS: u64 = 31;

/// Why a comparison is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Missing {
    /// The base period is not fully covered by the data we hold (history starts inside it).
    Partial,
    /// The base period has no value.
    Nodata,
}

impl Missing {
    /// How it reads, after the comparison's name: `同比：上年同期数据不完整`.
    pub fn label_zh(self) -> &'static str {
        match self {
            Missing::Partial => "数据不完整，不作比较",
            Missing::Nodata => "无数据，不作比较",
        }
    }
}

/// The base of 环比 for `period`: the previous period; for a day of an indicator of the
/// working week, the previous day of the same kind (a working day with the previous working
/// day, a rest day with the previous rest day).
pub fn previous(period: Period, working_days: bool, calendar: &WorkCalendar) -> Period {
    let day = period.start();
    let earlier = (1..=LOOKBACK_DAYS).map(|n| day.checked_sub_days(Days::new(n)));
    like_day(period, working_days, calendar, earlier).unwrap_or_else(|| period.prev())
}

/// The base of 同比 for `period`: the same period a year earlier — for a day of an indicator of
/// the working week, the day of the same kind (working or rest) nearest to that date, the earlier
/// of two equally near: a Monday is not compared with last year's Sunday.
pub fn year_ago(period: Period, working_days: bool, calendar: &WorkCalendar) -> Period {
    let base = period.year_ago();
    let date = base.start();
    let nearest =
        (0..=LOOKBACK_DAYS).flat_map(|n| [date.checked_sub_days(Days::new(n)), date.checked_add_days(Days::new(n))]);
    like_day(period, working_days, calendar, nearest).unwrap_or(base)
}

/// For a day of an indicator of the working week, the first of `candidates` of the same kind
/// (working or rest) as that day; `None` for any other period or indicator, or if none is.
fn like_day(
    period: Period,
    working_days: bool,
    calendar: &WorkCalendar,
    candidates: impl Iterator<Item = Option<NaiveDate>>,
) -> Option<Period> {
    if period.grain() != Grain::Day || !working_days {
        return None;
    }
    let working = calendar.is_working_day(period.start());
    candidates.flatten().find(|d| calendar.is_working_day(*d) == working).map(|d| Period::containing(Grain::Day, d))
}

/// Per metric, the first business date with data: periods starting earlier are partial.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    first: HashMap<MetricId, NaiveDate>,
}

impl Coverage {
    pub fn new(first: impl IntoIterator<Item = (MetricId, NaiveDate)>) -> Coverage {
        Coverage { first: first.into_iter().collect() }
    }

    /// Whether the data of `metric` covers the whole of `period`. A metric without any data
    /// covers nothing to speak of, and is not called partial for it.
    pub fn covers(&self, metric: MetricId, period: Period) -> bool {
        self.first.get(&metric).is_none_or(|first| *first <= period.start())
    }

    /// For a whole screen: whether `period` starts on or after the first day of any data.
    pub fn covers_any(&self, period: Period) -> bool {
        self.first.values().min().is_none_or(|first| *first <= period.start())
    }

    pub fn first(&self, metric: MetricId) -> Option<NaiveDate> {
        self.first.get(&metric).copied()
    }
}

/// The base of a comparison, or why there is none.
pub fn base(coverage: &Coverage, metric: MetricId, base: Period) -> Result<Period, Missing> {
    if coverage.covers(metric, base) { Ok(base) } else { Err(Missing::Partial) }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::calendar::DayKind;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn day(s: &str) -> Period {
        Period::containing(Grain::Day, d(s))
    }

    #[test]
    fn a_working_day_is_compared_with_the_nearest_working_day_a_year_earlier() {
        let cal = WorkCalendar::default();
        // 2026-11-30 is a Monday; 2025-11-30 was a Sunday: the nearest working days are Friday
        // 2025-11-28 (two days earlier) and Monday 2025-12-01 (one day later).
        assert_eq!(year_ago(day("2026-11-30"), true, &cal).start(), d("2025-12-01"));
        // 2026-11-29 is a Sunday; 2025-11-29 was a Saturday: a rest day either way.
        assert_eq!(year_ago(day("2026-11-29"), true, &cal).start(), d("2025-11-29"));
        // 2026-11-28 is a Saturday; 2025-11-28 was a Friday: Saturday 2025-11-29 is nearest.
        assert_eq!(year_ago(day("2026-11-28"), true, &cal).start(), d("2025-11-29"));
        // Equally near on both sides: the earlier. 2027-06-02 is a Wednesday; 2026-06-02 was a
        // Tuesday, a working day itself.
        assert_eq!(year_ago(day("2027-06-02"), true, &cal).start(), d("2026-06-02"));
        // Other indicators, and other grains, keep the same date a year earlier.
        assert_eq!(year_ago(day("2026-11-30"), false, &cal).start(), d("2025-11-30"));
        let week = Period::containing(Grain::Week, d("2026-11-30"));
        assert_eq!(year_ago(week, true, &cal), week.year_ago());
    }

    #[test]
    fn a_saturday_compares_with_the_previous_sunday_and_a_monday_with_friday() {
        let cal = WorkCalendar::default();
        // 2026-11-28 is a Saturday.
        assert_eq!(previous(day("2026-11-28"), true, &cal).start(), d("2026-11-22"));
        assert_eq!(previous(day("2026-11-29"), true, &cal).start(), d("2026-11-28"));
        assert_eq!(previous(day("2026-11-30"), true, &cal).start(), d("2026-11-27"));
        assert_eq!(previous(day("2026-11-27"), true, &cal).start(), d("2026-11-26"));
    }

    #[test]
    fn indicators_outside_the_working_week_compare_with_the_day_before() {
        let cal = WorkCalendar::default();
        assert_eq!(previous(day("2026-11-30"), false, &cal).start(), d("2026-11-29"));
        let month = Period::containing(Grain::Month, d("2026-11-01"));
        assert_eq!(previous(month, true, &cal), month.prev());
    }

    #[test]
    fn holidays_and_make_up_days_follow_the_calendar() {
        // 国庆: 10-01..10-08 off, Saturday 10-10 a make-up working day.
        let mut days: Vec<(NaiveDate, DayKind)> =
            (1..=8).map(|n| (d(&format!("2026-10-{n:02}")), DayKind::Holiday)).collect();
        days.push((d("2026-10-10"), DayKind::Workday));
        let cal = WorkCalendar::new(days);
        // The first working day after the holiday (Friday 10-09) compares with 09-30.
        assert_eq!(previous(day("2026-10-09"), true, &cal).start(), d("2026-09-30"));
        // The make-up Saturday compares with the Friday before it.
        assert_eq!(previous(day("2026-10-10"), true, &cal).start(), d("2026-10-09"));
        // A holiday Thursday compares with the previous rest day: Sunday 09-27.
        assert_eq!(previous(day("2026-10-01"), true, &cal).start(), d("2026-09-27"));
        // Sunday 10-11 compares with the last holiday, 10-08 (Saturday 10-10 was worked).
        assert_eq!(previous(day("2026-10-11"), true, &cal).start(), d("2026-10-08"));
    }

    #[test]
    fn a_period_that_starts_before_the_data_is_partial_and_no_base() {
        let cov = Coverage::new([(MetricId(1), d("2025-10-25"))]);
        let october = Period::containing(Grain::Month, d("2025-10-01"));
        let november = october.next();
        assert!(!cov.covers(MetricId(1), october));
        assert!(cov.covers(MetricId(1), november));
        assert_eq!(base(&cov, MetricId(1), october), Err(Missing::Partial));
        assert_eq!(base(&cov, MetricId(1), november), Ok(november));
        assert!(!cov.covers(MetricId(1), Period::containing(Grain::Year, d("2025-06-01"))));
        assert!(cov.covers(MetricId(1), Period::containing(Grain::Day, d("2025-10-25"))));
        // A metric without data is not called partial.
        assert!(cov.covers(MetricId(2), october));
        assert!(!cov.covers_any(october));
    }
}
