//! The demo province's indicator model: every leaf department's daily value of every metric as
//! a pure function of (seed, department, date). Because it depends on the date and not on the
//! day the demo was generated, the feed sandbox can serve later days from the same model and
//! they continue the same curves.
//!
//! Shapes: a weekday/weekend rhythm, slow growth, noise, and rare anomalies (a city-wide outage
//! that halves DingTalk activity for a day; a surge of applications).

use chrono::{Datelike, NaiveDate, Weekday};

use canmou::domain::period::day_number;
use canmou::domain::rollup::Figure;

/// Growth is measured from this date, so that values do not depend on the generation day.
const ANCHOR: NaiveDate = match NaiveDate::from_ymd_opt(2025, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// From this day on, the demo's directory completeness is what the directory holds; before it,
/// it was lower (profiles being filled in).
const DIRECTORY_SETTLED: NaiveDate = match NaiveDate::from_ymd_opt(2026, 11, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// The indicators the directory sync computes: their demo history is built from the demo
/// directory itself (every org node's own figure), so the first sync agrees with it.
pub const DIRECTORY_METRICS: [&str; 2] = ["collab.org_users", "governance.directory_completeness"];

/// A leaf department's fixed traits, drawn once from the seed and its code.
#[derive(Debug, Clone)]
pub struct Leaf {
    key: u64,
    /// Key of the city the department belongs to: anomalies strike a whole city.
    city: u64,
    staff0: f64,
    growth: f64,
    act0: f64,
    act1: f64,
    active: f64,
    complete0: f64,
    service: f64,
    handling_days: f64,
    items0: f64,
    fields0: f64,
    mobile: f64,
}

#[derive(Debug, Clone, Copy)]
pub struct Model {
    seed: u64,
}

/// SplitMix64's finaliser: a well-mixed 64-bit hash, so a value depends only on its inputs.
pub(crate) const fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(crate) fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

// One tag a random quantity, so that quantities are independent.
mod tag {
    pub const TRAITS: u64 = 1;
    pub const ACTIVE: u64 = 10;
    pub const OUTAGE: u64 = 11;
    pub const MSG_SINGLE: u64 = 12;
    pub const MSG_GROUP: u64 = 13;
    pub const SENDERS: u64 = 14;
    pub const GROUPS: u64 = 15;
    pub const MEETINGS: u64 = 16;
    pub const MINUTES: u64 = 17;
    pub const MEETING_USERS: u64 = 18;
    pub const WORKBENCH: u64 = 19;
    pub const WORKBENCH_USERS: u64 = 20;
    pub const TODO: u64 = 21;
    pub const TODO_DONE: u64 = 22;
    pub const APPLIED: u64 = 30;
    pub const SURGE: u64 = 31;
    pub const ACCEPTED: u64 = 32;
    pub const COMPLETED: u64 = 33;
    pub const ON_TIME: u64 = 34;
    pub const DAYS: u64 = 35;
    pub const REVIEWS: u64 = 36;
    pub const BAD: u64 = 37;
    pub const RECTIFIED: u64 = 38;
    pub const PV: u64 = 50;
    pub const UV: u64 = 51;
    pub const NEW_USERS: u64 = 52;
    pub const REACH: u64 = 53;
    pub const CLICKS: u64 = 54;
    pub const APP: u64 = 55;
}

fn clamp01(x: f64) -> f64 {
    x.clamp(0.0, 1.0)
}

impl Leaf {
    /// The department's staff as the directory lists it (no growth: the directory is what it
    /// is today).
    pub fn with_staff(mut self, staff: f64) -> Leaf {
        self.staff0 = staff.max(1.0);
        self.growth = 0.0;
        self
    }
}

impl Model {
    pub fn new(seed: u64) -> Model {
        Model { seed }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// An org node's figure of one of [`DIRECTORY_METRICS`] on `date`, from what the directory
    /// holds for its subtree: `(filled profile fields, 7 × members)`.
    pub fn directory_daily(code: &str, (filled, slots): (f64, f64), date: NaiveDate) -> Option<Figure> {
        match code {
            "collab.org_users" => Some(Figure::single((slots / 7.0).round())),
            "governance.directory_completeness" => {
                let behind = clamp01((DIRECTORY_SETTLED - date).num_days() as f64 / 365.0);
                let num =
                    if behind > 0.0 { (slots * (filled / slots - 0.15 * behind).max(0.0)).round() } else { filled };
                Some(Figure::ratio(num, slots))
            }
            _ => None,
        }
    }

    /// A uniform draw in [0, 1) for (key, tag, day).
    fn u(&self, key: u64, tag: u64, n: i32) -> f64 {
        let h = mix(self.seed ^ mix(key ^ mix(tag ^ mix(n as u64))));
        (h >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The traits of the department with external code `code` under the city `city_code`.
    pub fn leaf(&self, code: &str, city_code: &str, department_rank: usize, city_level: bool) -> Leaf {
        let key = hash_str(code);
        let t = |i: i32| self.u(key, tag::TRAITS, i);
        // The first departments of the list (big data bureau, approvals, market regulation)
        // carry most of the service load; city-level departments are bigger.
        let size = if city_level { 2.2 } else { 1.0 };
        let service = match department_rank {
            1 => 3.0,
            2 => 1.8,
            0 | 3 | 4 => 0.9,
            _ => 0.5,
        } * size
            * (0.6 + 0.8 * t(9));
        Leaf {
            key,
            city: hash_str(city_code),
            staff0: size * (35.0 + 420.0 * t(1) * t(1)),
            growth: 0.01 + 0.05 * t(2),
            act0: 0.78 + 0.12 * t(3),
            act1: 0.93 + 0.06 * t(4),
            active: 0.55 + 0.35 * t(5),
            complete0: 0.62 + 0.25 * t(6),
            service,
            handling_days: 1.5 + 5.0 * t(10),
            items0: 120.0 + 480.0 * t(11),
            fields0: 400.0 + 900.0 * t(12),
            mobile: size * (0.3 + 1.7 * t(13)),
        }
    }

    fn years(date: NaiveDate) -> f64 {
        (date - ANCHOR).num_days() as f64 / 365.0
    }

    fn weekday(date: NaiveDate, weekend: f64, sunday: f64) -> f64 {
        match date.weekday() {
            Weekday::Sat => weekend,
            Weekday::Sun => sunday,
            _ => 1.0,
        }
    }

    fn staff(&self, l: &Leaf, date: NaiveDate) -> f64 {
        (l.staff0 * (1.0 + l.growth * Model::years(date))).round().max(1.0)
    }

    fn activated(&self, l: &Leaf, date: NaiveDate) -> f64 {
        let progress = clamp01(Model::years(date) / 2.0);
        (self.staff(l, date) * (l.act0 + (l.act1 - l.act0) * progress)).round()
    }

    fn dau(&self, l: &Leaf, date: NaiveDate, n: i32) -> f64 {
        let outage = if self.u(l.city, tag::OUTAGE, n) < 0.004 { 0.45 } else { 1.0 };
        let noise = 0.94 + 0.12 * self.u(l.key, tag::ACTIVE, n);
        let activated = self.activated(l, date);
        (activated * l.active * Model::weekday(date, 0.3, 0.22) * noise * outage).round().min(activated)
    }

    fn meetings(&self, l: &Leaf, date: NaiveDate, n: i32) -> f64 {
        (self.staff(l, date) / 30.0 * Model::weekday(date, 0.1, 0.05) * (0.6 + 0.8 * self.u(l.key, tag::MEETINGS, n)))
            .round()
    }

    fn todo_created(&self, l: &Leaf, date: NaiveDate, n: i32) -> f64 {
        (self.dau(l, date, n) * (0.6 + 0.5 * self.u(l.key, tag::TODO, n))).round()
    }

    fn applied(&self, l: &Leaf, date: NaiveDate, n: i32) -> f64 {
        let surge = if self.u(l.city, tag::SURGE, n) < 0.003 { 2.4 } else { 1.0 };
        let trend = 1.0 + 0.15 * Model::years(date);
        (l.service
            * 38.0
            * Model::weekday(date, 0.12, 0.05)
            * (0.75 + 0.5 * self.u(l.key, tag::APPLIED, n))
            * trend
            * surge)
            .round()
    }

    fn accepted(&self, l: &Leaf, date: NaiveDate, n: i32) -> f64 {
        (self.applied(l, date, n) * (0.93 + 0.05 * self.u(l.key, tag::ACCEPTED, n))).round()
    }

    fn completed(&self, l: &Leaf, date: NaiveDate, n: i32) -> f64 {
        (self.accepted(l, date, n) * (0.9 + 0.1 * self.u(l.key, tag::COMPLETED, n))).round()
    }

    fn on_time(&self, l: &Leaf, date: NaiveDate, n: i32) -> f64 {
        let completed = self.completed(l, date, n);
        (completed * (0.955 + 0.044 * self.u(l.key, tag::ON_TIME, n))).round().min(completed)
    }

    fn reviews(&self, l: &Leaf, date: NaiveDate, n: i32) -> f64 {
        (self.completed(l, date, n) * (0.25 + 0.2 * self.u(l.key, tag::REVIEWS, n))).round()
    }

    fn bad_reviews(&self, l: &Leaf, date: NaiveDate, n: i32) -> f64 {
        let reviews = self.reviews(l, date, n);
        // Poisson-like: small counts, often zero.
        (reviews * 0.008 + self.u(l.key, tag::BAD, n) - 0.5).round().clamp(0.0, reviews)
    }

    fn items_total(&self, l: &Leaf, date: NaiveDate) -> f64 {
        (l.items0 * (1.0 + 0.05 * Model::years(date))).round()
    }

    fn progress(start: f64, end: f64, date: NaiveDate) -> f64 {
        start + (end - start) * clamp01(Model::years(date) / 2.2)
    }

    fn registered(&self, l: &Leaf, date: NaiveDate) -> f64 {
        (l.mobile * 25_000.0 * (1.0 + 0.3 * Model::years(date))).round()
    }

    fn pv(&self, l: &Leaf, date: NaiveDate, n: i32) -> f64 {
        let trend = 1.0 + 0.25 * Model::years(date);
        (l.mobile * 900.0 * Model::weekday(date, 0.78, 0.75) * (0.8 + 0.4 * self.u(l.key, tag::PV, n)) * trend).round()
    }

    fn push_reach(&self, l: &Leaf, date: NaiveDate, n: i32) -> f64 {
        (self.pv(l, date, n) * (0.3 + 0.3 * self.u(l.key, tag::REACH, n))).round()
    }

    /// The department's value of `code` on `date`; `None` for a code the model does not know.
    pub fn leaf_daily(&self, code: &str, l: &Leaf, date: NaiveDate) -> Option<Figure> {
        let n = day_number(date);
        let u = |tag: u64| self.u(l.key, tag, n);
        let single = |v: f64| Some(Figure::single(v));
        match code {
            "collab.org_users" => single(self.staff(l, date)),
            "collab.activated_users" => single(self.activated(l, date)),
            "collab.activation_rate" => Some(Figure::ratio(self.activated(l, date), self.staff(l, date))),
            "collab.dau" => single(self.dau(l, date, n)),
            "collab.active_rate" => Some(Figure::ratio(self.dau(l, date, n), self.staff(l, date))),
            "collab.msg_single" => single(self.msg_single(l, date, n)),
            "collab.msg_group" => single(self.msg_group(l, date, n)),
            "collab.msg_total" => single(self.msg_single(l, date, n) + self.msg_group(l, date, n)),
            "collab.msg_senders" => single((self.dau(l, date, n) * (0.78 + 0.1 * u(tag::SENDERS))).round()),
            "collab.groups_active" => single(
                (self.staff(l, date) / 5.0 * Model::weekday(date, 0.35, 0.3) * (0.85 + 0.3 * u(tag::GROUPS))).round(),
            ),
            "collab.meetings" => single(self.meetings(l, date, n)),
            "collab.meeting_minutes" => single((self.meetings(l, date, n) * (28.0 + 20.0 * u(tag::MINUTES))).round()),
            "collab.meeting_users" => {
                let users = (self.meetings(l, date, n) * (4.0 + 4.0 * u(tag::MEETING_USERS))).round();
                single(users.min(self.activated(l, date)))
            }
            "collab.workbench_visits" => single((self.dau(l, date, n) * (2.5 + 1.5 * u(tag::WORKBENCH))).round()),
            "collab.workbench_users" => single((self.dau(l, date, n) * (0.6 + 0.15 * u(tag::WORKBENCH_USERS))).round()),
            "collab.todo_created" => single(self.todo_created(l, date, n)),
            "collab.todo_done" => single(self.todo_done(l, date, n)),
            "collab.todo_done_rate" => Some(Figure::ratio(self.todo_done(l, date, n), self.todo_created(l, date, n))),
            "governance.directory_completeness" => {
                let den = self.staff(l, date) * 7.0;
                Some(Figure::ratio((den * Model::progress(l.complete0, 0.97, date)).round(), den))
            }
            "service.items_total" => single(self.items_total(l, date)),
            "service.items_implemented" => single(self.items_implemented(l, date)),
            "service.implementation_rate" => {
                Some(Figure::ratio(self.items_implemented(l, date), self.items_total(l, date)))
            }
            "service.decomposition_rate" => {
                let total = self.items_total(l, date);
                Some(Figure::ratio((total * Model::progress(0.7, 0.96, date)).round(), total))
            }
            "service.cases_applied" => single(self.applied(l, date, n)),
            "service.cases_accepted" => single(self.accepted(l, date, n)),
            "service.cases_completed" => single(self.completed(l, date, n)),
            "service.on_time_rate" => Some(Figure::ratio(self.on_time(l, date, n), self.completed(l, date, n))),
            "service.overdue_cases" => single(self.completed(l, date, n) - self.on_time(l, date, n)),
            "service.avg_handling_days" => {
                let completed = self.completed(l, date, n);
                let days = (completed * l.handling_days * (0.85 + 0.3 * u(tag::DAYS))).round();
                Some(Figure::ratio(days, completed))
            }
            "service.reviews_total" => single(self.reviews(l, date, n)),
            "service.reviews_bad" => single(self.bad_reviews(l, date, n)),
            "service.good_rate" => {
                let reviews = self.reviews(l, date, n);
                let bad = self.bad_reviews(l, date, n);
                let neutral = (reviews * 0.01).round().min(reviews - bad);
                Some(Figure::ratio(reviews - bad - neutral, reviews))
            }
            "service.satisfaction" => {
                let reviews = self.reviews(l, date, n);
                let bad = self.bad_reviews(l, date, n);
                let neutral = (reviews * 0.01).round().min(reviews - bad);
                Some(Figure::ratio((reviews - bad - neutral) * 5.0 + neutral * 3.0 + bad, reviews))
            }
            "service.rectified_rate" => {
                let bad = self.bad_reviews(l, date, n);
                Some(Figure::ratio((bad * (0.75 + 0.25 * u(tag::RECTIFIED))).round(), bad))
            }
            "service.field_sharing_rate" => {
                let den = (l.fields0 * (1.0 + 0.1 * Model::years(date))).round();
                Some(Figure::ratio((den * Model::progress(0.45, 0.82, date)).round(), den))
            }
            "service.material_sharing_rate" => {
                let den = (l.fields0 * 0.4 * (1.0 + 0.1 * Model::years(date))).round();
                Some(Figure::ratio((den * Model::progress(0.35, 0.75, date)).round(), den))
            }
            "mobile.pv" => single(self.pv(l, date, n)),
            "mobile.uv" => single((self.pv(l, date, n) / (3.2 + 0.8 * u(tag::UV))).round()),
            "mobile.new_users" => single((self.pv(l, date, n) * (0.006 + 0.006 * u(tag::NEW_USERS))).round()),
            "mobile.registered_users" => single(self.registered(l, date)),
            "mobile.push_reach" => single(self.push_reach(l, date, n)),
            "mobile.push_clicks" => single(self.push_clicks(l, date, n)),
            "mobile.push_ctr" => Some(Figure::ratio(self.push_clicks(l, date, n), self.push_reach(l, date, n))),
            "mobile.app_visits" => single((self.pv(l, date, n) * (0.5 + 0.3 * u(tag::APP))).round()),
            _ => None,
        }
    }

    fn msg_single(&self, l: &Leaf, date: NaiveDate, n: i32) -> f64 {
        (self.dau(l, date, n) * 11.0 * (0.8 + 0.4 * self.u(l.key, tag::MSG_SINGLE, n))).round()
    }

    fn msg_group(&self, l: &Leaf, date: NaiveDate, n: i32) -> f64 {
        (self.dau(l, date, n) * 19.0 * (0.8 + 0.4 * self.u(l.key, tag::MSG_GROUP, n))).round()
    }

    fn todo_done(&self, l: &Leaf, date: NaiveDate, n: i32) -> f64 {
        (self.todo_created(l, date, n) * (0.78 + 0.2 * self.u(l.key, tag::TODO_DONE, n))).round()
    }

    fn items_implemented(&self, l: &Leaf, date: NaiveDate) -> f64 {
        (self.items_total(l, date) * Model::progress(0.82, 0.99, date)).round()
    }

    fn push_clicks(&self, l: &Leaf, date: NaiveDate, n: i32) -> f64 {
        (self.push_reach(l, date, n) * (0.02 + 0.04 * self.u(l.key, tag::CLICKS, n))).round()
    }

    /// For a distinct count: the most distinct people (or groups) there can be on `date` —
    /// what a long period's distinct count approaches.
    pub fn distinct_cap(&self, code: &str, l: &Leaf, date: NaiveDate) -> f64 {
        let activated = self.activated(l, date);
        match code {
            "collab.dau" => activated,
            "collab.msg_senders" => (activated * 0.92).round(),
            "collab.groups_active" => (self.staff(l, date) / 3.0).round(),
            "collab.meeting_users" => (activated * 0.8).round(),
            "collab.workbench_users" => (activated * 0.85).round(),
            "mobile.uv" => (self.registered(l, date) * 0.5).round(),
            _ => activated,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_values_and_another_seed_others() {
        let a = Model::new(7);
        let leaf = a.leaf("900101-d002", "900100", 1, false);
        let v1 = a.leaf_daily("service.cases_applied", &leaf, d(11, 24));
        assert_eq!(v1, a.leaf_daily("service.cases_applied", &leaf, d(11, 24)));
        let b = Model::new(8);
        let other = b.leaf("900101-d002", "900100", 1, false);
        assert_ne!(v1, b.leaf_daily("service.cases_applied", &other, d(11, 24)));
    }

    #[test]
    fn weekends_are_quieter_than_weekdays() {
        let m = Model::new(1);
        let leaf = m.leaf("900101-d001", "900100", 0, false);
        // 2026-11-23 is a Monday; 2026-11-29 a Sunday.
        let weekday: f64 =
            (23..=27).map(|day| m.leaf_daily("collab.dau", &leaf, d(11, day)).unwrap().value.unwrap()).sum::<f64>()
                / 5.0;
        let sunday = m.leaf_daily("collab.dau", &leaf, d(11, 29)).unwrap().value.unwrap();
        assert!(sunday < weekday * 0.5, "sunday {sunday} vs weekday {weekday}");
    }

    #[test]
    fn ratio_parts_are_consistent_and_parts_add_up() {
        let m = Model::new(3);
        for k in 0..20 {
            let leaf = m.leaf(&format!("900{k:03}-d001"), "900100", k % 5, k % 3 == 0);
            for day in 1..=28 {
                let date = d(2, day);
                for code in [
                    "collab.activation_rate",
                    "collab.active_rate",
                    "collab.todo_done_rate",
                    "service.on_time_rate",
                    "service.good_rate",
                    "service.rectified_rate",
                    "mobile.push_ctr",
                    "governance.directory_completeness",
                    "service.implementation_rate",
                    "service.field_sharing_rate",
                ] {
                    let f = m.leaf_daily(code, &leaf, date).unwrap();
                    let (num, den) = (f.num.unwrap(), f.den.unwrap());
                    assert!(num >= 0.0 && num <= den, "{code}: {num} > {den}");
                }
                let total = m.leaf_daily("collab.msg_total", &leaf, date).unwrap().value.unwrap();
                let single = m.leaf_daily("collab.msg_single", &leaf, date).unwrap().value.unwrap();
                let group = m.leaf_daily("collab.msg_group", &leaf, date).unwrap().value.unwrap();
                assert_eq!(total, single + group);
            }
        }
    }

    #[test]
    fn every_catalogue_metric_is_modelled() {
        let m = Model::new(1);
        let leaf = m.leaf("900101-d001", "900100", 0, false);
        for seed in migrations::seed::METRICS {
            assert!(m.leaf_daily(seed.code, &leaf, d(6, 1)).is_some(), "{} is not modelled", seed.code);
        }
    }
}
