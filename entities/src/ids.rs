//! Ids that must not be confused with one another: an org's id is not a user's. Stored as the
//! same `integer` columns as before; in JSON a bare number, as before; from a query string the
//! digits, refused by name (`` `abc` is not an org id ``).

use std::fmt;
use std::str::FromStr;

use sea_orm::DeriveValueType;
use serde::{Deserialize, Deserializer, Serialize, de};

/// A string that is not an id of the kind asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{raw}` is not {what}")]
pub struct BadId {
    pub raw: String,
    pub what: &'static str,
}

macro_rules! id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, DeriveValueType, Serialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i32);

        impl $name {
            pub const fn get(self) -> i32 {
                self.0
            }
        }

        impl From<i32> for $name {
            fn from(id: i32) -> Self {
                $name(id)
            }
        }

        impl From<$name> for i32 {
            fn from(id: $name) -> i32 {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = BadId;

            /// The digits of the id, blanks around them allowed.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map($name).map_err(|_| BadId { raw: s.to_owned(), what: $what })
            }
        }

        /// A number (JSON) or its digits (a query string or a path).
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(IdVisitor::<$name>::new($what))
            }
        }
    };
}

id!(
    /// A node of the org tree (`orgs.id`).
    OrgId,
    "an org id"
);
id!(
    /// A user (`users.id`).
    UserId,
    "a user id"
);
id!(
    /// An indicator of the catalogue (`metrics.id`).
    MetricId,
    "a metric id"
);

struct IdVisitor<T> {
    what: &'static str,
    id: std::marker::PhantomData<T>,
}

impl<T> IdVisitor<T> {
    const fn new(what: &'static str) -> Self {
        IdVisitor { what, id: std::marker::PhantomData }
    }
}

impl<T: From<i32> + FromStr<Err = BadId>> de::Visitor<'_> for IdVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.what)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        i32::try_from(v).map(T::from).map_err(|_| E::custom(format!("`{v}` is not {}", self.what)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        i32::try_from(v).map(T::from).map_err(|_| E::custom(format!("`{v}` is not {}", self.what)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Err(E::custom(format!("`{v}` is not {}", self.what)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_id_is_a_bare_number_in_json_and_digits_in_a_query() {
        assert_eq!(serde_json::to_string(&OrgId(42)).unwrap(), "42");
        assert_eq!(serde_json::from_str::<OrgId>("42").unwrap(), OrgId(42));
        assert_eq!(serde_json::from_str::<UserId>("\"7\"").unwrap(), UserId(7));
        assert_eq!(" 12 ".parse::<MetricId>().unwrap(), MetricId(12));
        let e = serde_json::from_str::<OrgId>("\"abc\"").unwrap_err().to_string();
        assert!(e.starts_with("`abc` is not an org id"), "{e}");
        assert!(serde_json::from_str::<OrgId>("4294967296").is_err());
    }
}
