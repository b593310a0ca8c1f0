use sea_orm::entity::prelude::*;

/// A catalogue entry (目录) from the detail feed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "record_catalog")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: i32,
    pub code: String,
    pub name: String,
    pub level: String,
    pub category: String,
    pub status: String,
    /// Day number of the last status change.
    pub status_day: Option<i32>,
    /// Unix seconds of the upstream's `updatedAt`.
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
