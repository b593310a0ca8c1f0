//! Numbers for Chinese readers: 万 and 亿 for large counts, the metric's precision, `%` for
//! rates (stored as fractions), and changes of rates in 个百分点.

/// The display string of a value, with its unit: `92.1%`, `1.8万条`, `8.1万件`, `2.6亿次`,
/// `4.00天`, `9999人`. Rates (unit `%`) are stored as fractions and shown at the metric's
/// precision; counts of 万 and 亿 carry at most one decimal; smaller values the metric's
/// precision.
pub fn display(value: f64, unit: &str, precision: u8) -> String {
    if !value.is_finite() {
        return "—".into();
    }
    let p = usize::from(precision);
    if unit == "%" {
        return format!("{:.p$}%", value * 100.0);
    }
    let abs = value.abs();
    // 9,999.96万 rounds to 10000万: that is 1亿.
    if abs >= 1e8 || one_decimal(abs / 1e4) == "10000" {
        format!("{}亿{unit}", signed_one_decimal(value / 1e8))
    } else if abs >= 1e4 || one_decimal(abs) == "10000" {
        format!("{}万{unit}", signed_one_decimal(value / 1e4))
    } else {
        let text = format!("{value:.p$}");
        // No `-0` for a small negative value shown as zero.
        let text = if text.trim_start_matches('-').chars().all(|c| matches!(c, '0' | '.')) {
            text.trim_start_matches('-').to_owned()
        } else {
            text
        };
        format!("{text}{unit}")
    }
}

/// At most one decimal, no trailing `.0`: `8.1`, `8`.
fn one_decimal(v: f64) -> String {
    let text = format!("{v:.1}");
    text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
}

fn signed_one_decimal(v: f64) -> String {
    let text = one_decimal(v.abs());
    if v < 0.0 && text != "0" { format!("-{text}") } else { text }
}

/// How a change reads, in one form everywhere (cards, the metric page, briefings, exports):
/// an arrow and the magnitude, never a sign as well — `↑1.3个百分点` for a rate, `↓3.5%`
/// relative for anything else, the absolute change with its unit when the base is zero
/// (`↑5件`) — and `持平` for a change that rounds to zero.
pub fn change(delta: f64, delta_pct: Option<f64>, unit: &str, precision: u8) -> String {
    if !delta.is_finite() {
        return "—".into();
    }
    let (shown, negative) = if unit == "%" {
        (format!("{:.1}个百分点", (delta * 100.0).abs()), delta < 0.0)
    } else {
        match delta_pct {
            Some(pct) if pct.is_finite() => (format!("{:.1}%", pct.abs()), pct < 0.0),
            _ => (display(delta.abs(), unit, precision), delta < 0.0),
        }
    };
    if is_zero(&shown) {
        return FLAT.to_owned();
    }
    format!("{}{shown}", if negative { "↓" } else { "↑" })
}

/// What an unchanged value reads as.
pub const FLAT: &str = "持平";

/// Whether a change reads as no change at all: such a change is neither good nor bad news.
pub fn is_flat(delta: f64, delta_pct: Option<f64>, unit: &str, precision: u8) -> bool {
    change(delta, delta_pct, unit, precision) == FLAT
}

/// Whether the digits of `shown` are all zeros (`0.0%`, `0个百分点`, `0件`).
fn is_zero(shown: &str) -> bool {
    shown.chars().filter(|c| c.is_ascii_digit()).all(|c| c == '0')
}

/// A value rounded to the metric's precision, for a file a reader opens in a spreadsheet:
/// a rate (a fraction) keeps two more decimals, so that `92.1%` is `0.921`.
pub fn at_precision(value: f64, unit: &str, precision: u8) -> f64 {
    let decimals = i32::from(precision) + if unit == "%" { 2 } else { 0 };
    rounded(value, decimals)
}

/// `value` to `decimals` decimals.
pub fn rounded(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    let r = (value * scale).round() / scale;
    if r.is_finite() { r } else { value }
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
    #![allow(clippy::unwrap_used)]
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
    fn large_counts_use_wan_and_yi_with_at_most_one_decimal_and_the_unit() {
        assert_eq!(display(18_234.0, "条", 0), "1.8万条");
        assert_eq!(display(81_000.0, "件", 0), "8.1万件");
        assert_eq!(display(80_000.0, "件", 0), "8万件");
        assert_eq!(display(14_143_600.0, "次", 0), "1414.4万次");
        assert_eq!(display(257_877_565.0, "次", 0), "2.6亿次");
        assert_eq!(display(99_999_999.0, "次", 0), "1亿次");
        assert_eq!(display(9_999.0, "人", 0), "9999人");
        assert_eq!(display(-45_000.0, "件", 0), "-4.5万件");
        assert_eq!(display(4.0, "天", 2), "4.00天");
        assert_eq!(display(-0.001, "件", 0), "0件");
    }

    #[test]
    fn rates_are_percentages_and_precision_is_kept() {
        assert_eq!(display(0.921, "%", 1), "92.1%");
        assert_eq!(display(3.256, "分", 2), "3.26分");
        assert_eq!(display(f64::NAN, "件", 0), "—");
    }

    /// The cases the mini-program's formatter is tested against too: one wording everywhere.
    #[test]
    fn the_shared_wording_cases() {
        let cases: serde_json::Value =
            serde_json::from_str(include_str!("../../../miniapp/test/wording-cases.json")).unwrap();
        for c in cases["display"].as_array().unwrap() {
            let (v, unit, p) = (c[0].as_f64().unwrap(), c[1].as_str().unwrap(), c[2].as_u64().unwrap() as u8);
            assert_eq!(display(v, unit, p), c[3].as_str().unwrap(), "{c}");
        }
        for c in cases["change"].as_array().unwrap() {
            let (d, pct, unit, p) =
                (c[0].as_f64().unwrap(), c[1].as_f64(), c[2].as_str().unwrap(), c[3].as_u64().unwrap() as u8);
            assert_eq!(change(d, pct, unit, p), c[4].as_str().unwrap(), "{c}");
        }
    }

    #[test]
    fn exported_values_carry_the_metric_precision() {
        assert_eq!(at_precision(0.921_345_678_9, "%", 1), 0.921);
        assert_eq!(at_precision(4.004_999_9, "天", 2), 4.0);
        assert_eq!(at_precision(18_234.000_000_1, "条", 0), 18_234.0);
        assert_eq!(rounded(-3.512_345, 1), -3.5);
    }

    #[test]
    fn a_change_has_one_sign_an_arrow() {
        assert_eq!(change(0.013, Some(1.4), "%", 1), "↑1.3个百分点");
        assert_eq!(change(-0.478, Some(-69.7), "%", 1), "↓47.8个百分点");
        assert_eq!(change(-120.0, Some(-3.51), "件", 0), "↓3.5%");
        assert_eq!(change(5.0, None, "件", 0), "↑5件");
        assert_eq!(change(-27_780.0, None, "件", 0), "↓2.8万件");
    }

    #[test]
    fn a_change_that_rounds_to_zero_is_flat() {
        assert_eq!(change(0.0, Some(0.0), "件", 0), "持平");
        assert_eq!(change(-0.00001, Some(-0.001), "%", 1), "持平");
        assert_eq!(change(-2.0, Some(-0.04), "件", 0), "持平");
        assert!(is_flat(0.0, None, "件", 0));
        assert!(!is_flat(1.0, Some(0.06), "件", 0));
    }
}
