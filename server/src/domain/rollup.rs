//! Roll-ups by metric kind: over time (a day series into a coarser period) and over the org
//! tree (children into their parent). `distinct` is never derived; a ratio rolls up its
//! numerator and denominator by their own aggregation and divides at the end.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;

use super::metric::{Aggregation, Kind};

/// One stored value: `value` for a single quantity; `num`, `den` and the derived `value` for a
/// ratio.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Figure {
    pub value: Option<f64>,
    pub num: Option<f64>,
    pub den: Option<f64>,
}

impl Figure {
    pub fn single(value: f64) -> Figure {
        Figure { value: Some(value), num: None, den: None }
    }

    /// A ratio from its parts; the value is absent when the denominator is zero.
    pub fn ratio(num: f64, den: f64) -> Figure {
        let value = if den != 0.0 { Some(num / den) } else { None };
        Figure { value, num: Some(num), den: Some(den) }
    }

    /// The quantities that roll up: the value, or the two parts of a ratio.
    fn parts(&self, kind: Kind) -> Option<(f64, f64)> {
        match kind {
            Kind::Single(_) => self.value.map(|v| (v, 0.0)),
            Kind::Ratio(_) => Some((self.num?, self.den?)),
        }
    }

    fn from_parts(kind: Kind, (a, b): (f64, f64)) -> Figure {
        match kind {
            Kind::Single(_) => Figure::single(a),
            Kind::Ratio(_) => Figure::ratio(a, b),
        }
    }
}

/// Rolls a day series up into one coarser period. `days` holds the days of that period that
/// have data, in any order. `None` when nothing can be derived: a `distinct` metric, or no data.
pub fn over_time(kind: Kind, days: &[(NaiveDate, Figure)]) -> Option<Figure> {
    let usable = days.iter().filter_map(|(d, f)| f.parts(kind).map(|p| (*d, p)));
    let parts = match kind.aggregation() {
        Aggregation::Distinct => return None,
        Aggregation::Sum => usable.map(|(_, p)| p).reduce(|a, b| (a.0 + b.0, a.1 + b.1))?,
        Aggregation::Last => usable.max_by_key(|(d, _)| *d).map(|(_, p)| p)?,
    };
    Some(Figure::from_parts(kind, parts))
}

/// Rolls child orgs' figures for one period up into their parent. Both `sum` and `last` add
/// up over orgs; `distinct` is never derived.
pub fn over_orgs(kind: Kind, children: &[Figure]) -> Option<Figure> {
    if !kind.derivable() {
        return None;
    }
    let parts = children.iter().filter_map(|f| f.parts(kind)).reduce(|a, b| (a.0 + b.0, a.1 + b.1))?;
    Some(Figure::from_parts(kind, parts))
}

/// What a sync changed, for the roll-up to redo: for each metric, for each day (a day
/// number), the orgs.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    days: HashMap<i32, BTreeMap<i32, BTreeSet<i32>>>,
    /// Days to roll up for every org and every derivable metric (a recovery).
    whole_days: BTreeSet<i32>,
}

impl Changes {
    pub fn add(&mut self, metric_id: i32, org_id: i32, day: i32) {
        self.days.entry(metric_id).or_default().entry(day).or_default().insert(org_id);
    }

    pub fn add_whole_days(&mut self, from: i32, to: i32) {
        self.whole_days.extend(from..=to.min(from.saturating_add(3_660)));
    }

    pub fn is_empty(&self) -> bool {
        self.days.is_empty() && self.whole_days.is_empty()
    }

    /// The first and last day touched.
    pub fn day_range(&self) -> Option<(i32, i32)> {
        let days = self.days.values().flat_map(|d| d.keys()).chain(self.whole_days.iter());
        days.fold(None, |acc, d| match acc {
            None => Some((*d, *d)),
            Some((lo, hi)) => Some((lo.min(*d), hi.max(*d))),
        })
    }

    /// For one metric, the orgs changed on each day.
    pub fn of_metric(&self, metric_id: i32) -> BTreeMap<i32, BTreeSet<i32>> {
        self.days.get(&metric_id).cloned().unwrap_or_default()
    }

    /// Days to roll up for every org.
    pub fn whole_days(&self) -> impl Iterator<Item = &i32> {
        self.whole_days.iter()
    }

    /// Number of (metric, org, day) keys.
    pub fn len(&self) -> usize {
        self.days.values().flat_map(|d| d.values()).map(BTreeSet::len).sum()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    const SUM: Kind = Kind::Single(Aggregation::Sum);
    const LAST: Kind = Kind::Single(Aggregation::Last);
    const DISTINCT: Kind = Kind::Single(Aggregation::Distinct);
    const RATIO_SUM: Kind = Kind::Ratio(Aggregation::Sum);
    const RATIO_LAST: Kind = Kind::Ratio(Aggregation::Last);

    fn day(n: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, n).unwrap()
    }

    #[test]
    fn a_flow_sums_over_time() {
        let week = [(day(2), Figure::single(10.0)), (day(3), Figure::single(5.0)), (day(8), Figure::single(1.5))];
        assert_eq!(over_time(SUM, &week), Some(Figure::single(16.5)));
    }

    #[test]
    fn a_stock_takes_the_last_day_with_data() {
        // Out of order, and the period's last day (the 8th) has no data.
        let week = [
            (day(5), Figure::single(120.0)),
            (day(2), Figure::single(100.0)),
            (day(7), Figure { value: None, num: None, den: None }),
        ];
        assert_eq!(over_time(LAST, &week), Some(Figure::single(120.0)));
    }

    #[test]
    fn a_distinct_count_is_never_derived() {
        let week = [(day(2), Figure::single(10.0)), (day(3), Figure::single(12.0))];
        assert_eq!(over_time(DISTINCT, &week), None);
        assert_eq!(over_orgs(DISTINCT, &[Figure::single(3.0)]), None);
        assert_eq!(over_orgs(Kind::Ratio(Aggregation::Distinct), &[Figure::ratio(3.0, 4.0)]), None);
    }

    #[test]
    fn a_ratio_divides_the_summed_parts_and_never_averages() {
        // 9/10 and 1/90: the average of the rates would be 45.6 %, the true rate is 10 %.
        let days = [(day(2), Figure::ratio(9.0, 10.0)), (day(3), Figure::ratio(1.0, 90.0))];
        let rolled = over_time(RATIO_SUM, &days).unwrap();
        assert_eq!((rolled.num, rolled.den), (Some(10.0), Some(100.0)));
        assert_eq!(rolled.value, Some(0.1));
    }

    #[test]
    fn a_ratio_of_stocks_takes_both_parts_from_the_last_day() {
        let days = [(day(2), Figure::ratio(80.0, 100.0)), (day(6), Figure::ratio(90.0, 100.0))];
        assert_eq!(over_time(RATIO_LAST, &days), Some(Figure::ratio(90.0, 100.0)));
    }

    #[test]
    fn stocks_and_flows_add_up_over_child_orgs() {
        let children = [Figure::single(100.0), Figure::single(250.0)];
        assert_eq!(over_orgs(LAST, &children), Some(Figure::single(350.0)));
        assert_eq!(over_orgs(SUM, &children), Some(Figure::single(350.0)));
        let rates = [Figure::ratio(9.0, 10.0), Figure::ratio(1.0, 90.0)];
        assert_eq!(over_orgs(RATIO_SUM, &rates).unwrap().value, Some(0.1));
    }

    #[test]
    fn a_zero_denominator_gives_no_value_but_keeps_the_parts() {
        let f = over_orgs(RATIO_SUM, &[Figure::ratio(0.0, 0.0)]).unwrap();
        assert_eq!(f.value, None);
        assert_eq!(f.den, Some(0.0));
    }

    #[test]
    fn no_data_rolls_up_to_nothing() {
        assert_eq!(over_time(SUM, &[]), None);
        assert_eq!(over_orgs(LAST, &[]), None);
    }

    proptest! {
        #[test]
        fn rolled_up_ratios_lie_between_the_smallest_and_largest_part_ratio(
            parts in prop::collection::vec((0u32..1000, 1u32..1000), 1..40)
        ) {
            let figures: Vec<Figure> = parts.iter().map(|&(n, d)| Figure::ratio(f64::from(n.min(d)), f64::from(d))).collect();
            let rolled = over_orgs(RATIO_SUM, &figures).unwrap().value.unwrap();
            let rates: Vec<f64> = figures.iter().map(|f| f.value.unwrap()).collect();
            let lo = rates.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = rates.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(rolled >= lo - 1e-12 && rolled <= hi + 1e-12);
            prop_assert!(rolled <= 1.0);
        }

        #[test]
        fn summing_over_time_then_orgs_equals_orgs_then_time(
            grid in prop::collection::vec(prop::collection::vec(0u32..10_000, 7), 1..8)
        ) {
            // grid[org][day]
            let by_org_then_time: f64 = grid.iter().map(|days| {
                let series: Vec<_> = days.iter().enumerate().map(|(i, v)| (day(2 + i as u32), Figure::single(f64::from(*v)))).collect();
                over_time(SUM, &series).unwrap().value.unwrap()
            }).sum();
            let per_day: Vec<(NaiveDate, Figure)> = (0..7).map(|i| {
                let children: Vec<Figure> = grid.iter().map(|days| Figure::single(f64::from(days[i]))).collect();
                (day(2 + i as u32), over_orgs(SUM, &children).unwrap())
            }).collect();
            let by_time_then_org = over_time(SUM, &per_day).unwrap().value.unwrap();
            prop_assert_eq!(by_org_then_time, by_time_then_org);
        }
    }
}
