use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::grain::Grain;
use crate::ids::UserId;

/// A published version of a card set: the frozen cards users are served.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "card_set_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub card_set_id: i32,
    pub version: i32,
    pub name: String,
    pub description: String,
    pub default_grain: Grain,
    /// `[{id, metricId, metric, title, comparison, target, sparkLen, position}]`
    pub cards: Json,
    pub published_by: Option<UserId>,
    pub published_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
