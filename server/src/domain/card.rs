//! Card maths: changes, ranks, attainment, whether a move is good news, and a card's status.

use serde::Serialize;

use super::metric::Direction;

/// What a card compares the current value with (stored through sea-orm as `cards.comparison`).
pub use entities::card::Comparison;

/// `ok`, `partial` (the period is not final yet), `late` (the latest data is older than it
/// should be) or `nodata`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Partial,
    Late,
    Nodata,
}

impl Status {
    /// How a status reads in an export or a console: `正常`, `数据未完整`, `数据延迟`, `暂无数据`.
    pub fn label_zh(self) -> &'static str {
        match self {
            Status::Ok => "正常",
            Status::Partial => "数据未完整",
            Status::Late => "数据延迟",
            Status::Nodata => "暂无数据",
        }
    }
}

/// The change from `base` to `current`: absolute, and relative in percent.
pub fn change(current: Option<f64>, base: Option<f64>) -> (Option<f64>, Option<f64>) {
    match (current, base) {
        (Some(c), Some(b)) => {
            let delta = c - b;
            let pct = (b != 0.0).then(|| delta / b.abs() * 100.0);
            (Some(delta), pct)
        }
        _ => (None, None),
    }
}

/// The rank of `me` among `values` (1 = best for the metric's direction) and how many peers
/// have a value. `None` when `me` has no value.
pub fn rank(values: &[(i32, Option<f64>)], me: i32, direction: Direction) -> Option<(usize, usize)> {
    let mine = values.iter().find(|(id, _)| *id == me)?.1?;
    let with_values: Vec<f64> = values.iter().filter_map(|(_, v)| *v).collect();
    let better = with_values
        .iter()
        .filter(|v| match direction {
            Direction::Up => **v > mine,
            Direction::Down => **v < mine,
        })
        .count();
    Some((better + 1, with_values.len()))
}

/// The rank (1 = best) of `mine` and the number ranked, among peers' values sorted ascending
/// (the org's own included) — what [`rank`] gives, by two binary searches instead of a scan.
pub fn rank_in_sorted(sorted: &[f64], mine: f64, direction: Direction) -> (usize, usize) {
    let better = match direction {
        Direction::Up => sorted.len() - sorted.partition_point(|v| *v <= mine),
        Direction::Down => sorted.partition_point(|v| *v < mine),
    };
    (better + 1, sorted.len())
}

/// How far the value is toward its target (1.0 = reached), by direction.
pub fn attainment(value: Option<f64>, target: Option<f64>, direction: Direction) -> Option<f64> {
    let (v, t) = (value?, target?);
    match direction {
        Direction::Up if t != 0.0 => Some(v / t),
        Direction::Down if v != 0.0 => Some(t / v),
        _ => None,
    }
}

/// Whether what the card shows is good news.
pub fn good(
    comparison: Comparison,
    direction: Direction,
    delta: Option<f64>,
    yoy_delta: Option<f64>,
    value: Option<f64>,
    target: Option<f64>,
) -> Option<bool> {
    match comparison {
        Comparison::Prev => direction.favourable(delta?),
        Comparison::Yoy => direction.favourable(yoy_delta?),
        Comparison::Target => {
            let (v, t) = (value?, target?);
            Some(match direction {
                Direction::Up => v >= t,
                Direction::Down => v <= t,
            })
        }
    }
}

/// A card's status: no value is `nodata`; a period past what the feed calls complete is
/// `partial`; a value whose data has stopped arriving (the latest complete day is more than a
/// day behind the day before today) is `late`.
pub fn status(has_value: bool, period_complete: bool, feed_lag_days: i64) -> Status {
    if !has_value {
        Status::Nodata
    } else if !period_complete {
        Status::Partial
    } else if feed_lag_days > 1 {
        Status::Late
    } else {
        Status::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_absolute_and_relative() {
        assert_eq!(change(Some(110.0), Some(100.0)), (Some(10.0), Some(10.0)));
        assert_eq!(change(Some(5.0), Some(0.0)), (Some(5.0), None));
        assert_eq!(change(None, Some(1.0)), (None, None));
    }

    #[test]
    fn rank_one_is_the_best_for_the_direction() {
        let values = [(1, Some(10.0)), (2, Some(30.0)), (3, None), (4, Some(20.0))];
        assert_eq!(rank(&values, 4, Direction::Up), Some((2, 3)));
        assert_eq!(rank(&values, 4, Direction::Down), Some((2, 3)));
        assert_eq!(rank(&values, 1, Direction::Down), Some((1, 3)));
        assert_eq!(rank(&values, 3, Direction::Up), None);
    }

    proptest::proptest! {
        /// Ranking in the sorted values (as the home screen does with its peers' values)
        /// ranks exactly as comparing every value does.
        #[test]
        fn sorted_values_rank_as_the_comparison_does(
            values in proptest::collection::vec(proptest::option::of(0i32..20), 1..30),
            me in 0usize..30,
        ) {
            let values: Vec<(i32, Option<f64>)> =
                values.iter().enumerate().map(|(i, v)| (i as i32, v.map(f64::from))).collect();
            let me = (me % values.len()) as i32;
            let mut sorted: Vec<f64> = values.iter().filter_map(|(_, v)| *v).collect();
            sorted.sort_by(f64::total_cmp);
            for direction in [Direction::Up, Direction::Down] {
                let in_sorted = values[me as usize].1.map(|mine| rank_in_sorted(&sorted, mine, direction));
                proptest::prop_assert_eq!(in_sorted, rank(&values, me, direction));
            }
        }
    }

    #[test]
    fn a_fall_in_overdue_cases_is_good_news() {
        assert_eq!(good(Comparison::Prev, Direction::Down, Some(-3.0), None, Some(7.0), None), Some(true));
        assert_eq!(good(Comparison::Yoy, Direction::Up, Some(1.0), Some(-2.0), None, None), Some(false));
        assert_eq!(good(Comparison::Target, Direction::Up, None, None, Some(0.97), Some(0.98)), Some(false));
        assert_eq!(good(Comparison::Prev, Direction::Up, None, None, Some(1.0), None), None);
    }

    #[test]
    fn attainment_follows_the_direction() {
        assert_eq!(attainment(Some(0.49), Some(0.98), Direction::Up), Some(0.5));
        assert_eq!(attainment(Some(4.0), Some(2.0), Direction::Down), Some(0.5));
        assert_eq!(attainment(Some(1.0), None, Direction::Up), None);
    }

    #[test]
    fn statuses() {
        assert_eq!(status(false, true, 0), Status::Nodata);
        assert_eq!(status(true, false, 0), Status::Partial);
        assert_eq!(status(true, true, 3), Status::Late);
        assert_eq!(status(true, true, 1), Status::Ok);
    }
}
