//! Briefing subscriptions: when a user wants their briefing, and whether it is due.

use std::fmt;

use chrono::{Days, NaiveDate};
use serde::{Serialize, Serializer};

use super::calendar::WorkCalendar;

/// A send time on the quarter hour (`08:30`), as minutes after local midnight. Parsed once, at
/// the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SendTime(u16);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendTimeError {
    #[error("`{0}` is not a time HH:MM")]
    Malformed(String),
    #[error("`{0}` is not on the quarter hour (:00, :15, :30 or :45)")]
    NotOnQuarter(String),
}

impl SendTime {
    /// 08:30, the default.
    pub const DEFAULT: SendTime = SendTime(8 * 60 + 30);

    pub fn parse(raw: &str) -> Result<SendTime, SendTimeError> {
        let minute = parse_hhmm(raw).ok_or_else(|| SendTimeError::Malformed(raw.to_owned()))?;
        if minute % 15 != 0 {
            return Err(SendTimeError::NotOnQuarter(raw.to_owned()));
        }
        Ok(SendTime(minute))
    }

    /// From storage; `None` for a value no parse could have produced.
    pub fn from_minute(minute: i16) -> Option<SendTime> {
        u16::try_from(minute).ok().filter(|m| *m < 24 * 60 && m % 15 == 0).map(SendTime)
    }

    pub fn minute(self) -> u16 {
        self.0
    }
}

impl fmt::Display for SendTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for SendTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What a user asked for. Users who never changed anything have the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscription {
    pub enabled: bool,
    pub time: SendTime,
    /// Also on weekends and public holidays.
    pub include_weekends: bool,
}

impl Default for Subscription {
    fn default() -> Self {
        Subscription { enabled: true, time: SendTime::DEFAULT, include_weekends: false }
    }
}

impl Subscription {
    /// Whether the briefing is due at `minute` (local) on a day that is, or is not, a working
    /// day.
    pub fn due(&self, minute: u16, working_day: bool) -> bool {
        self.enabled && self.time.minute() <= minute && (working_day || self.include_weekends)
    }
}

/// `HH:MM` (24 h) as minutes after midnight.
pub fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    let two_digits = |p: &str| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(h) || !two_digits(m) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// The business date a briefing sent on `today` reports: on a working day, the last working
/// day before it (a Monday reports Friday, not Sunday); on a rest day (for those who asked for
/// weekends), yesterday.
pub fn reported_date(today: NaiveDate, calendar: &WorkCalendar) -> NaiveDate {
    let yesterday = today - Days::new(1);
    if !calendar.is_working_day(today) {
        return yesterday;
    }
    // Bounded: no holiday is a month long.
    (1..=31u64).map(|n| today - Days::new(n)).find(|d| calendar.is_working_day(*d)).unwrap_or(yesterday)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_working_day_reports_the_last_working_day() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let cal = WorkCalendar::new([(d("2026-10-01"), super::super::calendar::DayKind::Holiday)]);
        assert_eq!(reported_date(d("2026-11-30"), &cal), d("2026-11-27")); // Monday: Friday
        assert_eq!(reported_date(d("2026-11-27"), &cal), d("2026-11-26"));
        // The working day after a holiday reports the working day before it.
        assert_eq!(reported_date(d("2026-10-02"), &cal), d("2026-09-30"));
        // A rest day (for those who asked for weekends): yesterday.
        assert_eq!(reported_date(d("2026-10-01"), &cal), d("2026-09-30"));
        assert_eq!(reported_date(d("2026-11-29"), &cal), d("2026-11-28")); // Sunday
    }

    #[test]
    fn times_are_hh_mm() {
        assert_eq!(parse_hhmm("08:30"), Some(510));
        assert_eq!(parse_hhmm("23:59"), Some(1439));
        for bad in ["8:30", "24:00", "08:60", "0830", "aa:bb", "", "+1:30"] {
            assert_eq!(parse_hhmm(bad), None, "{bad}");
        }
    }

    #[test]
    fn send_times_are_on_the_quarter_hour() {
        assert_eq!(SendTime::parse("08:30").unwrap().to_string(), "08:30");
        assert_eq!(SendTime::parse("00:00").unwrap().minute(), 0);
        assert!(matches!(SendTime::parse("08:20"), Err(SendTimeError::NotOnQuarter(_))));
        assert!(matches!(SendTime::parse("8:30"), Err(SendTimeError::Malformed(_))));
        assert!(matches!(SendTime::parse("24:00"), Err(SendTimeError::Malformed(_))));
        assert_eq!(SendTime::from_minute(510), Some(SendTime::DEFAULT));
        assert_eq!(SendTime::from_minute(511), None);
        assert_eq!(SendTime::from_minute(-15), None);
    }

    #[test]
    fn a_briefing_is_due_from_its_time_on_working_days() {
        let sub = Subscription::default();
        assert!(!sub.due(8 * 60 + 29, true));
        assert!(sub.due(8 * 60 + 30, true));
        assert!(sub.due(23 * 60, true));
        assert!(!sub.due(9 * 60, false));
        assert!(Subscription { include_weekends: true, ..sub }.due(9 * 60, false));
        assert!(!Subscription { enabled: false, ..sub }.due(9 * 60, true));
    }
}
