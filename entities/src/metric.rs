use sea_orm::entity::prelude::*;
use serde::Serialize;

/// An indicator of the catalogue (`metrics.md`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "metrics")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub unit: String,
    /// `sum`, `last`, `distinct` or `ratio`.
    pub kind: String,
    /// For a ratio: the roll-up kind of its numerator and denominator.
    pub part_kind: Option<String>,
    pub numerator: Option<String>,
    pub denominator: Option<String>,
    /// `up` or `down`: which move is favourable.
    pub direction: String,
    pub precision: i16,
    pub category: String,
    pub description: String,
    pub source: String,
    pub active: bool,
    /// Day-grain 环比 compares working day with working day, rest day with rest day.
    pub working_days: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
