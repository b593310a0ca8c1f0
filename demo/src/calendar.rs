//! The demo's working-day calendar: China's 2026 public holidays and make-up working days
//! (调休), as announced by the State Council's General Office (国办发明电〔2025〕7号). Only the
//! demo seeds it; a real installation's administrators maintain their own through
//! `/api/v1/admin/calendar`.

use chrono::{Days, NaiveDate};
use sea_orm::ConnectionTrait;

use canmou::domain::calendar::DayKind;
use canmou::store::calendar::{self, Day};

/// A (month, day) of 2026.
type MonthDay = (u32, u32);

/// (first day, last day, name) of each holiday, and (day, name) of each make-up working day.
const HOLIDAYS_2026: [(MonthDay, MonthDay, &str); 7] = [
    ((1, 1), (1, 3), "元旦"),
    ((2, 15), (2, 23), "春节"),
    ((4, 4), (4, 6), "清明节"),
    ((5, 1), (5, 5), "劳动节"),
    ((6, 19), (6, 21), "端午节"),
    ((9, 25), (9, 27), "中秋节"),
    ((10, 1), (10, 7), "国庆节"),
];
const WORKDAYS_2026: [(MonthDay, &str); 6] = [
    ((1, 4), "元旦调休"),
    ((2, 14), "春节调休"),
    ((2, 28), "春节调休"),
    ((5, 9), "劳动节调休"),
    ((9, 20), "国庆节调休"),
    ((10, 10), "国庆节调休"),
];

/// The 2026 exceptions.
pub fn days_2026() -> Vec<Day> {
    let date = |(m, d): (u32, u32)| NaiveDate::from_ymd_opt(2026, m, d);
    let mut days = Vec::new();
    for (first, last, name) in HOLIDAYS_2026 {
        let (Some(mut day), Some(last)) = (date(first), date(last)) else { continue };
        while day <= last {
            days.push(Day { date: day, kind: DayKind::Holiday, name: name.into() });
            day = day + Days::new(1);
        }
    }
    for (day, name) in WORKDAYS_2026 {
        if let Some(day) = date(day) {
            days.push(Day { date: day, kind: DayKind::Workday, name: name.into() });
        }
    }
    days
}

/// Seeds the 2026 calendar (idempotent: existing days are overwritten with the same values).
pub async fn seed<C: ConnectionTrait>(db: &C) -> Result<usize, canmou::store::StoreError> {
    let days = days_2026();
    calendar::upsert(db, &days).await?;
    Ok(days.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use canmou::domain::calendar::WorkCalendar;

    #[test]
    fn the_2026_calendar_has_its_long_holidays_and_make_up_days() {
        let days = days_2026();
        let cal = WorkCalendar::new(days.iter().map(|d| (d.date, d.kind)));
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
        assert_eq!(days.iter().filter(|d| d.kind == DayKind::Holiday).count(), 3 + 9 + 3 + 5 + 3 + 3 + 7);
        assert!(!cal.is_working_day(day(10, 1)));
        assert!(!cal.is_working_day(day(2, 23))); // Monday, still 春节
        assert!(cal.is_working_day(day(2, 28))); // Saturday, 调休
        assert!(cal.is_working_day(day(11, 26))); // an ordinary Thursday
    }
}
