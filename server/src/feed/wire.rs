//! The feed's JSON, as it travels. Rows are read leniently (every field optional, numbers
//! that may arrive as text) so that one bad row is a rejected row, not a failed page; they
//! become checked facts in `workers::feed`.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest page the contract allows (`limit` is 1..=10000, in both feeds).
pub const MAX_LIMIT: u32 = 10_000;

/// One page of `GET /v1/aggregates`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    pub items: Vec<RawRow>,
    #[serde(default)]
    pub next_cursor: Option<String>,
    #[serde(default)]
    pub watermark: Option<String>,
    /// Grain name → the start of the latest period the platform calls final.
    #[serde(default)]
    pub complete: BTreeMap<String, NaiveDate>,
}

/// One page of `GET /v1/records/{kind}`: records stay raw JSON until `workers::records`
/// checks them, so one bad record is a rejected row, not a failed page.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordsPage {
    pub items: Vec<serde_json::Value>,
    #[serde(default)]
    pub next_cursor: Option<String>,
    #[serde(default)]
    pub watermark: Option<String>,
}

/// A row as received: nothing is trusted yet.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RawRow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub den: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// A number field as received: a JSON number, or something else kept for the rejection
/// message (`"NaN"`, `"12,3"`, `true`, ...). A JSON `null` reads as an absent field.
#[derive(Debug, Clone, PartialEq)]
pub enum Num {
    Number(f64),
    Other(String),
}

impl Num {
    /// The value if it is a finite number.
    pub fn finite(&self) -> Result<f64, String> {
        match self {
            Num::Number(v) if v.is_finite() => Ok(*v),
            Num::Number(v) => Err(format!("{v} is not a finite number")),
            Num::Other(s) => match s.trim().parse::<f64>() {
                Ok(v) if v.is_finite() => Err(format!("`{s}` is text, not a number")),
                _ => Err(format!("`{s}` is not a finite number")),
            },
        }
    }
}

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Num::Number(v) if v.is_finite() => s.serialize_f64(*v),
            Num::Number(v) => s.serialize_str(&v.to_string()),
            Num::Other(text) => s.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Num, D::Error> {
        struct NumVisitor;
        impl<'de> Visitor<'de> for NumVisitor {
            type Value = Num;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
                Ok(Num::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
                Ok(Num::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
                Ok(Num::Number(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
                Ok(Num::Other(v.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Num, E> {
                Ok(Num::Other(v.to_string()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Num, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Num::Other("[…]".into()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Num, A::Error> {
                while map.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
                Ok(Num::Other("{…}".into()))
            }
        }
        d.deserialize_any(NumVisitor)
    }
}

/// The `{"error":"...","message":"..."}` of a `4xx`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ErrorAnswer {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub message: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_bad_number_is_kept_for_the_rejection_and_null_is_absent() {
        let page: Page = serde_json::from_str(
            r#"{"items":[{"metric":"m","value":"NaN"},{"metric":"m","value":null,"num":3,"den":true}],
                "nextCursor":null,"watermark":"2026-11-27T01:10:00Z","complete":{"day":"2026-11-26"}}"#,
        )
        .unwrap();
        assert_eq!(page.items[0].value, Some(Num::Other("NaN".into())));
        assert!(page.items[0].value.as_ref().unwrap().finite().is_err());
        assert_eq!(page.items[1].value, None);
        assert_eq!(page.items[1].num.as_ref().unwrap().finite(), Ok(3.0));
        assert!(page.items[1].den.as_ref().unwrap().finite().is_err());
        assert_eq!(page.complete["day"], NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        let back = serde_json::to_string(&page.items[0]).unwrap();
        assert_eq!(back, r#"{"metric":"m","value":"NaN"}"#);
    }
}
