//! Indicator kinds: how a metric rolls up over time and over the org tree (`metrics.md`).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// How a single quantity aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregation {
    /// A flow: summed over time and over child orgs.
    Sum,
    /// A stock: the value on the period's last day with data; summed over child orgs.
    Last,
    /// A count of distinct people: never derived, neither over time nor over orgs.
    Distinct,
}

/// A metric's kind: a single quantity, or a ratio of two quantities each rolled up by its own
/// aggregation and divided afterwards (never averaged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Single(Aggregation),
    Ratio(Aggregation),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown metric kind `{0}`")]
pub struct UnknownKind(pub String);

impl FromStr for Aggregation {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sum" => Ok(Aggregation::Sum),
            "last" => Ok(Aggregation::Last),
            "distinct" => Ok(Aggregation::Distinct),
            other => Err(UnknownKind(other.to_owned())),
        }
    }
}

impl Aggregation {
    pub const fn as_str(self) -> &'static str {
        match self {
            Aggregation::Sum => "sum",
            Aggregation::Last => "last",
            Aggregation::Distinct => "distinct",
        }
    }
}

impl fmt::Display for Aggregation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Kind {
    /// From the catalogue's `kind` and `part_kind` columns.
    pub fn parse(kind: &str, part_kind: Option<&str>) -> Result<Kind, UnknownKind> {
        if kind == "ratio" {
            let part = part_kind.ok_or_else(|| UnknownKind("ratio without part_kind".into()))?;
            Ok(Kind::Ratio(part.parse()?))
        } else {
            Ok(Kind::Single(kind.parse()?))
        }
    }

    /// The aggregation that governs roll-ups: the parts' for a ratio.
    pub const fn aggregation(self) -> Aggregation {
        match self {
            Kind::Single(a) | Kind::Ratio(a) => a,
        }
    }

    pub const fn is_ratio(self) -> bool {
        matches!(self, Kind::Ratio(_))
    }

    /// Whether the server may derive coarser grains and parent orgs for this metric.
    pub const fn derivable(self) -> bool {
        !matches!(self.aggregation(), Aggregation::Distinct)
    }
}

/// Which move is favourable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    pub fn parse(s: &str) -> Direction {
        if s == "down" { Direction::Down } else { Direction::Up }
    }

    /// Whether a change of `delta` is good news; `None` for no change.
    pub fn favourable(self, delta: f64) -> Option<bool> {
        if delta == 0.0 || !delta.is_finite() { None } else { Some((delta > 0.0) == (self == Direction::Up)) }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn kinds_parse_from_the_catalogue_columns() {
        assert_eq!(Kind::parse("sum", None).unwrap(), Kind::Single(Aggregation::Sum));
        assert_eq!(Kind::parse("ratio", Some("last")).unwrap(), Kind::Ratio(Aggregation::Last));
        assert!(Kind::parse("ratio", None).is_err());
        assert!(Kind::parse("avg", None).is_err());
        assert!(!Kind::parse("ratio", Some("distinct")).unwrap().derivable());
        assert!(Kind::parse("last", None).unwrap().derivable());
    }

    #[test]
    fn a_fall_is_good_news_for_a_down_metric() {
        assert_eq!(Direction::Down.favourable(-3.0), Some(true));
        assert_eq!(Direction::Up.favourable(-3.0), Some(false));
        assert_eq!(Direction::Up.favourable(0.0), None);
    }
}
