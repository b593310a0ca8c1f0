//! Numbers for Chinese readers: 万 and 亿 for large counts, the metric's precision, `%` for
//! rates (stored as fractions), and changes of rates in 个百分点.

/// The display string of a value.
pub fn display(value: f64, percent: bool, precision: u8) -> String {
    if !value.is_finite() {
        return "—".into();
    }
    let p = usize::from(precision);
    if percent {
        return format!("{:.p$}%", value * 100.0);
    }
    let abs = value.abs();
    if abs >= 1e8 {
        format!("{:.2}亿", value / 1e8)
    } else if abs >= 1e4 {
        format!("{:.2}万", value / 1e4)
    } else {
        format!("{value:.p$}")
    }
}

/// How a change reads: `+1.2个百分点` for a rate, `+3.5%` relative for anything else (or the
/// absolute change when the base is zero).
pub fn change(delta: f64, delta_pct: Option<f64>, percent: bool, precision: u8) -> String {
    if !delta.is_finite() {
        return "—".into();
    }
    // The sign follows what is shown: a change that rounds to zero has none.
    let signed = |shown: String, negative: bool| {
        let zero = shown.chars().all(|c| matches!(c, '0' | '.'));
        match (zero, negative) {
            (true, _) => shown,
            (false, true) => format!("-{shown}"),
            (false, false) => format!("+{shown}"),
        }
    };
    if percent {
        return format!("{}个百分点", signed(format!("{:.1}", (delta * 100.0).abs()), delta < 0.0));
    }
    match delta_pct {
        Some(pct) if pct.is_finite() => format!("{}%", signed(format!("{:.1}", pct.abs()), pct < 0.0)),
        _ => signed(display(delta.abs(), false, precision), delta < 0.0),
    }
}

/// `value` to `digits` significant digits: derived figures (changes, attainment, sparkline
/// points) carry no more precision than anyone reads, and a home screen of 17-digit noise
/// compresses badly.
pub fn significant(value: f64, digits: i32) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    // Whole: |value| < 1e308, so the exponent fits an i32.
    #[allow(clippy::cast_possible_truncation)]
    let magnitude = value.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits - 1 - magnitude);
    let rounded = (value * scale).round() / scale;
    if rounded.is_finite() { rounded } else { value }
}

/// A figure derived for display — a change, an attainment, a sparkline point — to six
/// significant digits; stored values go out as they are.
pub fn derived(value: f64) -> f64 {
    significant(value, 6)
}

/// How far a target is reached, in percent to one decimal — cut, not rounded, so that a
/// shortfall never reads as the target (99.96 % is `99.9%`, not `100%`): `103.2%`, `100%`.
pub fn attainment(attained: f64) -> String {
    if !attained.is_finite() {
        return "—".to_owned();
    }
    // The small nudge keeps 0.57 (56.999… in binary) at 57.0.
    let tenths = (attained * 1000.0 + 1e-6).floor() / 10.0;
    let text = format!("{tenths:.1}");
    format!("{}%", text.strip_suffix(".0").unwrap_or(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attainment_is_cut_so_a_shortfall_never_reads_as_reached() {
        assert_eq!(attainment(0.9996), "99.9%");
        assert_eq!(attainment(1.0), "100%");
        assert_eq!(attainment(0.57), "57%");
        assert_eq!(attainment(1.0325), "103.2%");
        assert_eq!(attainment(0.0), "0%");
        assert_eq!(attainment(f64::NAN), "—");
    }

    #[test]
    fn significant_digits() {
        assert_eq!(significant(0.9538268595552258, 6), 0.953827);
        assert_eq!(significant(18234.0, 6), 18234.0);
        assert_eq!(significant(13.9625, 6), 13.9625);
        assert_eq!(significant(-0.00013666530588885006, 6), -0.000136665);
        assert_eq!(significant(123456789.0, 6), 123457000.0);
        assert_eq!(significant(0.0, 6), 0.0);
        assert!(significant(f64::NAN, 6).is_nan());
    }

    #[test]
    fn large_counts_use_wan_and_yi() {
        assert_eq!(display(18_234.0, false, 0), "1.82万");
        assert_eq!(display(257_877_565.0, false, 0), "2.58亿");
        assert_eq!(display(9_999.0, false, 0), "9999");
        assert_eq!(display(-45_000.0, false, 0), "-4.50万");
    }

    #[test]
    fn rates_are_percentages_and_precision_is_kept() {
        assert_eq!(display(0.921, true, 1), "92.1%");
        assert_eq!(display(3.256, false, 2), "3.26");
        assert_eq!(display(f64::NAN, false, 0), "—");
    }

    #[test]
    fn changes_of_rates_are_in_percentage_points() {
        assert_eq!(change(0.013, Some(1.4), true, 1), "+1.3个百分点");
        assert_eq!(change(-120.0, Some(-3.51), false, 0), "-3.5%");
        assert_eq!(change(5.0, None, false, 0), "+5");
        assert_eq!(change(0.0, Some(0.0), false, 0), "0.0%");
        assert_eq!(change(-0.00001, Some(-0.001), true, 1), "0.0个百分点");
        assert_eq!(change(-2.0, Some(-0.04), false, 0), "0.0%");
    }
}
