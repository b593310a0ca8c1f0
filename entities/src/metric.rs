use std::fmt;
use std::str::FromStr;

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::ids::MetricId;

/// An indicator of the catalogue (`metrics.md`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "metrics")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: MetricId,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub unit: String,
    pub kind: MetricKind,
    /// For a ratio: the roll-up kind of its numerator and denominator.
    pub part_kind: Option<Aggregation>,
    pub numerator: Option<String>,
    pub denominator: Option<String>,
    pub direction: Direction,
    pub precision: i16,
    pub category: String,
    pub description: String,
    pub source: String,
    pub active: bool,
    /// Day-grain 环比 compares working day with working day, rest day with rest day.
    pub working_days: bool,
}

/// The `kind` column: an aggregation, or `ratio` (whose parts' aggregation is `part_kind`).
/// The server's `domain::metric::Kind` is built from the two columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum MetricKind {
    Sum,
    Last,
    Distinct,
    Ratio,
}

impl MetricKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            MetricKind::Sum => "sum",
            MetricKind::Last => "last",
            MetricKind::Distinct => "distinct",
            MetricKind::Ratio => "ratio",
        }
    }
}

/// How a single quantity aggregates, stored as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Aggregation {
    /// A flow: summed over time and over child orgs.
    Sum,
    /// A stock: the value on the period's last day with data; summed over child orgs.
    Last,
    /// A count of distinct people: never derived, neither over time nor over orgs.
    Distinct,
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

/// Which move is favourable, stored as `up` or `down`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }

    /// Whether a change of `delta` is good news; `None` for no change.
    pub fn favourable(self, delta: f64) -> Option<bool> {
        if delta == 0.0 || !delta.is_finite() { None } else { Some((delta > 0.0) == (self == Direction::Up)) }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
