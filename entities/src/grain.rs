//! The length of a business period, stored as its name (`card_sets.default_grain`) or as a
//! small code (`facts.grain`). Period arithmetic lives in the server's `domain::period`.

use std::fmt;
use std::str::FromStr;

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};

/// The length of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Grain {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Grain {
    pub const ALL: [Grain; 5] = [Grain::Day, Grain::Week, Grain::Month, Grain::Quarter, Grain::Year];

    /// The code stored in `facts.grain`.
    pub const fn code(self) -> i16 {
        match self {
            Grain::Day => 0,
            Grain::Week => 1,
            Grain::Month => 2,
            Grain::Quarter => 3,
            Grain::Year => 4,
        }
    }

    pub const fn from_code(code: i16) -> Option<Grain> {
        match code {
            0 => Some(Grain::Day),
            1 => Some(Grain::Week),
            2 => Some(Grain::Month),
            3 => Some(Grain::Quarter),
            4 => Some(Grain::Year),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Grain::Day => "day",
            Grain::Week => "week",
            Grain::Month => "month",
            Grain::Quarter => "quarter",
            Grain::Year => "year",
        }
    }

    /// The Chinese word shown to users.
    pub const fn label_zh(self) -> &'static str {
        match self {
            Grain::Day => "日",
            Grain::Week => "周",
            Grain::Month => "月",
            Grain::Quarter => "季",
            Grain::Year => "年",
        }
    }
}

impl fmt::Display for Grain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// From its name, refused with the names expected.
impl<'de> Deserialize<'de> for Grain {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::deserialize_from_str(d)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown grain `{0}`: expected day, week, month, quarter or year")]
pub struct UnknownGrain(pub String);

impl FromStr for Grain {
    type Err = UnknownGrain;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Grain::ALL.into_iter().find(|g| g.as_str() == s).ok_or_else(|| UnknownGrain(s.to_owned()))
    }
}
