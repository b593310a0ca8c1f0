//! Business periods: a grain (day, ISO week, month, quarter, year) and its first day.
//!
//! Dates are business dates in the configured time zone (`Asia/Shanghai` by default). In
//! storage a date is a day number: days since 1970-01-01.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc, Weekday};

/// The length of a period: stored through sea-orm, so it lives with the entities.
pub use entities::grain::{Grain, UnknownGrain};

/// Why a (grain, date) pair is not a period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("{date} is not the first day of a {grain} (expected {expected})")]
    NotAligned { grain: Grain, date: NaiveDate, expected: NaiveDate },
    #[error("date out of the supported range")]
    OutOfRange,
}

/// A period of a grain, identified by its first day. The constructor guarantees alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    grain: Grain,
    start: NaiveDate,
}

impl Period {
    /// The period of `grain` that contains `date`.
    pub fn containing(grain: Grain, date: NaiveDate) -> Period {
        let start = match grain {
            Grain::Day => date,
            Grain::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
            Grain::Month => date.with_day(1).unwrap_or(date),
            Grain::Quarter => {
                let month0 = (date.month0() / 3) * 3;
                NaiveDate::from_ymd_opt(date.year(), month0 + 1, 1).unwrap_or(date)
            }
            Grain::Year => NaiveDate::from_ymd_opt(date.year(), 1, 1).unwrap_or(date),
        };
        Period { grain, start }
    }

    /// The period of `grain` starting on `start`; an unaligned start is an error that says
    /// which day would have been right.
    pub fn starting(grain: Grain, start: NaiveDate) -> Result<Period, PeriodError> {
        let period = Period::containing(grain, start);
        if period.start == start {
            Ok(period)
        } else {
            Err(PeriodError::NotAligned { grain, date: start, expected: period.start })
        }
    }

    pub fn grain(self) -> Grain {
        self.grain
    }

    pub fn start(self) -> NaiveDate {
        self.start
    }

    /// The first day of the next period.
    pub fn end_exclusive(self) -> NaiveDate {
        match self.grain {
            Grain::Day => self.start + Days::new(1),
            Grain::Week => self.start + Days::new(7),
            Grain::Month => self.start + Months::new(1),
            Grain::Quarter => self.start + Months::new(3),
            Grain::Year => self.start + Months::new(12),
        }
    }

    /// The last day of the period.
    pub fn last_day(self) -> NaiveDate {
        self.end_exclusive() - Days::new(1)
    }

    pub fn next(self) -> Period {
        Period { grain: self.grain, start: self.end_exclusive() }
    }

    /// The previous period of the same grain (环比).
    pub fn prev(self) -> Period {
        Period::containing(self.grain, self.start - Days::new(1))
    }

    /// The same period a year earlier (同比). For ISO weeks, week N of the previous ISO year
    /// (week 52 when that year has no week 53); for a day, the same date (28 February for
    /// 29 February).
    pub fn year_ago(self) -> Period {
        match self.grain {
            Grain::Week => {
                let iso = self.start.iso_week();
                let year = iso.year() - 1;
                let week = iso.week().min(iso_weeks_in_year(year));
                let start = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).unwrap_or(self.start);
                Period { grain: Grain::Week, start }
            }
            _ => {
                let date = self.start - Months::new(12);
                Period::containing(self.grain, date)
            }
        }
    }

    /// Number of days in the period.
    pub fn days(self) -> i64 {
        (self.end_exclusive() - self.start).num_days()
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        self.start <= date && date < self.end_exclusive()
    }

    /// `n` periods ending with this one, oldest first.
    pub fn trailing(self, n: usize) -> Vec<Period> {
        let mut periods = Vec::with_capacity(n);
        let mut p = self;
        for _ in 0..n {
            periods.push(p);
            p = p.prev();
        }
        periods.reverse();
        periods
    }

    /// A short label: `2026-11-26`, `2026-W48`, `2026-11`, `2026-Q4`, `2026`.
    pub fn label(self) -> String {
        let s = self.start;
        match self.grain {
            Grain::Day => s.format("%Y-%m-%d").to_string(),
            Grain::Week => {
                let iso = s.iso_week();
                format!("{}-W{:02}", iso.year(), iso.week())
            }
            Grain::Month => s.format("%Y-%m").to_string(),
            Grain::Quarter => format!("{}-Q{}", s.year(), s.month0() / 3 + 1),
            Grain::Year => s.year().to_string(),
        }
    }

    /// A label for Chinese readers: `11月26日`, `2026年第48周`, `2026年11月`, `2026年第4季度`.
    pub fn label_zh(self) -> String {
        let s = self.start;
        match self.grain {
            Grain::Day => format!("{}月{}日", s.month(), s.day()),
            Grain::Week => {
                let iso = s.iso_week();
                format!("{}年第{}周", iso.year(), iso.week())
            }
            Grain::Month => format!("{}年{}月", s.year(), s.month()),
            Grain::Quarter => format!("{}年第{}季度", s.year(), s.month0() / 3 + 1),
            Grain::Year => format!("{}年", s.year()),
        }
    }
}

fn iso_weeks_in_year(year: i32) -> u32 {
    // 28 December is always in the last ISO week of its year.
    NaiveDate::from_ymd_opt(year, 12, 28).map_or(52, |d| d.iso_week().week())
}

/// A date as stored: days since 1970-01-01.
pub fn day_number(date: NaiveDate) -> i32 {
    date.to_epoch_days()
}

/// The inverse of [`day_number`].
pub fn from_day_number(n: i32) -> Option<NaiveDate> {
    NaiveDate::from_epoch_days(n)
}

/// Today's business date in `tz`.
pub fn business_date<Tz: TimeZone>(tz: &Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(tz).date_naive()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weeks_start_on_monday_across_a_year_end() {
        // 2026-01-01 is a Thursday: its ISO week (2026-W01) starts on 2025-12-29.
        let p = Period::containing(Grain::Week, d(2026, 1, 1));
        assert_eq!(p.start(), d(2025, 12, 29));
        assert_eq!(p.label(), "2026-W01");
        assert_eq!(p.last_day(), d(2026, 1, 4));
    }

    #[test]
    fn an_unaligned_month_is_refused_with_the_right_start() {
        let err = Period::starting(Grain::Month, d(2026, 11, 3)).unwrap_err();
        assert_eq!(
            err,
            PeriodError::NotAligned { grain: Grain::Month, date: d(2026, 11, 3), expected: d(2026, 11, 1) }
        );
        assert!(Period::starting(Grain::Quarter, d(2026, 10, 1)).is_ok());
        assert!(Period::starting(Grain::Quarter, d(2026, 11, 1)).is_err());
        assert!(Period::starting(Grain::Week, d(2026, 11, 23)).is_ok()); // a Monday
        assert!(Period::starting(Grain::Week, d(2026, 11, 24)).is_err());
    }

    #[test]
    fn previous_periods() {
        assert_eq!(Period::containing(Grain::Day, d(2026, 3, 1)).prev().start(), d(2026, 2, 28));
        assert_eq!(Period::containing(Grain::Month, d(2026, 1, 15)).prev().start(), d(2025, 12, 1));
        assert_eq!(Period::containing(Grain::Quarter, d(2026, 2, 1)).prev().start(), d(2025, 10, 1));
        assert_eq!(Period::containing(Grain::Year, d(2026, 2, 1)).prev().start(), d(2025, 1, 1));
        assert_eq!(Period::containing(Grain::Week, d(2026, 1, 1)).prev().label(), "2025-W52");
    }

    #[test]
    fn a_leap_day_compares_with_the_last_day_of_february() {
        let leap = Period::containing(Grain::Day, d(2024, 2, 29));
        assert_eq!(leap.year_ago().start(), d(2023, 2, 28));
        let feb = Period::containing(Grain::Month, d(2024, 2, 1));
        assert_eq!(feb.days(), 29);
        assert_eq!(feb.year_ago().days(), 28);
        assert_eq!(Period::containing(Grain::Year, d(2024, 6, 1)).days(), 366);
    }

    #[test]
    fn week_53_compares_with_week_52_of_a_52_week_year() {
        // 2026 has 53 ISO weeks; 2025 has 52.
        let w53 = Period::containing(Grain::Week, d(2026, 12, 31));
        assert_eq!(w53.label(), "2026-W53");
        assert_eq!(w53.year_ago().label(), "2025-W52");
        let w10 = Period::containing(Grain::Week, d(2026, 3, 4));
        assert_eq!(w10.year_ago().label(), "2025-W10");
    }

    #[test]
    fn labels_for_chinese_readers() {
        assert_eq!(Period::containing(Grain::Day, d(2026, 11, 26)).label_zh(), "11月26日");
        assert_eq!(Period::containing(Grain::Quarter, d(2026, 11, 26)).label_zh(), "2026年第4季度");
        assert_eq!(Period::containing(Grain::Quarter, d(2026, 11, 26)).label(), "2026-Q4");
    }

    #[test]
    fn business_date_is_taken_in_the_business_time_zone() {
        let tz = chrono_tz::Asia::Shanghai;
        // 17:30 UTC on the 26th is 01:30 on the 27th in Shanghai.
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 17, 30, 0).unwrap();
        assert_eq!(business_date(&tz, now), d(2026, 11, 27));
    }

    #[test]
    fn grains_parse_and_encode() {
        for g in Grain::ALL {
            assert_eq!(g.as_str().parse::<Grain>().unwrap(), g);
            assert_eq!(Grain::from_code(g.code()), Some(g));
        }
        assert!("hour".parse::<Grain>().is_err());
        assert_eq!(Grain::from_code(9), None);
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (-20_000i32..40_000).prop_map(|n| from_day_number(n).unwrap())
    }

    fn any_grain() -> impl Strategy<Value = Grain> {
        prop::sample::select(Grain::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn a_period_contains_the_date_it_was_built_from(g in any_grain(), date in any_date()) {
            let p = Period::containing(g, date);
            prop_assert!(p.contains(date));
            prop_assert_eq!(Period::starting(g, p.start()), Ok(p));
        }

        #[test]
        fn periods_tile_the_calendar(g in any_grain(), date in any_date()) {
            let p = Period::containing(g, date);
            prop_assert_eq!(p.next().prev(), p);
            prop_assert_eq!(p.next().start(), p.last_day() + Days::new(1));
            prop_assert!(p.days() >= 1 && p.days() <= 366);
        }

        #[test]
        fn a_year_ago_is_the_same_kind_of_period_about_a_year_earlier(g in any_grain(), date in any_date()) {
            let p = Period::containing(g, date);
            let y = p.year_ago();
            prop_assert_eq!(y.grain(), g);
            let gap = (p.start() - y.start()).num_days();
            prop_assert!((357..=372).contains(&gap), "gap {} for {:?}", gap, p);
        }

        #[test]
        fn day_numbers_round_trip(date in any_date()) {
            prop_assert_eq!(from_day_number(day_number(date)), Some(date));
        }
    }
}
