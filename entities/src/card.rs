use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::ids::MetricId;

/// A card of a card set: one metric, a comparison, an optional target.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "cards")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub card_set_id: i32,
    pub metric_id: MetricId,
    pub title: Option<String>,
    pub comparison: Comparison,
    pub target: Option<f64>,
    pub spark_len: i16,
    pub position: i32,
}

/// What a card compares the current value with, stored as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Comparison {
    /// The previous period (环比).
    Prev,
    /// The same period a year earlier (同比).
    Yoy,
    /// A target value.
    Target,
}

impl Comparison {
    pub fn parse(s: &str) -> Option<Comparison> {
        match s {
            "prev" => Some(Comparison::Prev),
            "yoy" => Some(Comparison::Yoy),
            "target" => Some(Comparison::Target),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Comparison::Prev => "prev",
            Comparison::Yoy => "yoy",
            Comparison::Target => "target",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
