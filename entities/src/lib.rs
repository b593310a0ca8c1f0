//! sea-orm entities of Canmou, one file a table. Domain meaning (grains, kinds, day numbers)
//! lives in the server's `domain` module; these types mirror the rows. The closed sets stored
//! as strings are enums here (stored as the same strings), and ids that could be confused are
//! newtypes ([`ids`]).

pub mod audit_log;
pub mod board_rule;
pub mod briefing_content;
pub mod briefing_delivery;
pub mod briefing_subscription;
pub mod calendar;
pub mod card;
pub mod card_set;
pub mod card_set_assignment;
pub mod card_set_version;
pub mod data_version;
pub mod fact;
pub mod grain;
pub mod ids;
pub mod metric;
pub mod open_app;
pub mod open_call;
pub mod open_quota;
pub mod org;
pub mod period_status;
pub mod record_case;
pub mod record_catalog;
pub mod record_item;
pub mod refresh_token;
pub mod rejected_row;
pub mod scope;
pub mod session;
pub mod sync_run;
pub mod sync_state;
pub mod user;
pub mod user_column;
pub mod user_org;

/// Deserializes a value through its `FromStr`, whose error names the value and what was
/// expected (serde's derived message would list variants in its own words).
pub fn deserialize_from_str<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let raw = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    raw.parse().map_err(serde::de::Error::custom)
}
