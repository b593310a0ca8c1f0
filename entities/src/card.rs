use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A card of a card set: one metric, a comparison, an optional target.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "cards")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub card_set_id: i32,
    pub metric_id: i32,
    pub title: Option<String>,
    /// `prev` (环比), `yoy` (同比) or `target`.
    pub comparison: String,
    pub target: Option<f64>,
    pub spark_len: i16,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
