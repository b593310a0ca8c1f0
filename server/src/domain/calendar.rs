//! Working days: Monday to Friday, except public holidays, plus make-up working days (调休)
//! on weekends. Only the exceptions are stored.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Weekday};

/// An exception to the Monday-to-Friday week (stored through sea-orm as `calendar.kind`).
pub use entities::calendar::DayKind;

#[derive(Debug, Clone, Default)]
pub struct WorkCalendar {
    exceptions: HashMap<NaiveDate, DayKind>,
}

impl WorkCalendar {
    pub fn new(exceptions: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> WorkCalendar {
        WorkCalendar { exceptions: exceptions.into_iter().collect() }
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.exceptions.get(&day) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn weekdays_work_unless_a_holiday_and_weekends_rest_unless_a_make_up_day() {
        let cal = WorkCalendar::new([(d("2026-10-01"), DayKind::Holiday), (d("2026-10-10"), DayKind::Workday)]);
        assert!(cal.is_working_day(d("2026-09-30"))); // Wednesday
        assert!(!cal.is_working_day(d("2026-10-01"))); // Thursday, 国庆节
        assert!(!cal.is_working_day(d("2026-10-11"))); // Sunday
        assert!(cal.is_working_day(d("2026-10-10"))); // Saturday, 调休
    }
}
