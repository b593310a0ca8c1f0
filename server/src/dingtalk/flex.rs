//! Lenient number parsing: DingTalk sends some numbers as JSON strings (`errcode`, `sub_code`,
//! `forbidden_list[].code`), and ids and orders exceed 2^53, so they are read as `i64`, never
//! through `f64`.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A number or a numeric string, as `i64`.
pub(crate) fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Serde adapter for an `i64` field that may arrive as a string.
pub(crate) fn i64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let v = Value::deserialize(d)?;
    as_i64(&v).ok_or_else(|| serde::de::Error::custom(format!("expected an integer, got {v}")))
}

/// A number or a string, as a string (`forbidden_list[].code`).
pub(crate) fn string_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Null => Ok(String::new()),
        other => Err(serde::de::Error::custom(format!("expected a string, got {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_and_numeric_strings_are_both_read() {
        assert_eq!(as_i64(&json!(40014)), Some(40014));
        assert_eq!(as_i64(&json!("40014")), Some(40014));
        assert_eq!(as_i64(&json!(-1)), Some(-1));
        assert_eq!(as_i64(&json!(176220178909140512_i64)), Some(176220178909140512));
        assert_eq!(as_i64(&json!("n/a")), None);
        assert_eq!(as_i64(&json!(1.5)), None);
    }
}
