use sea_orm::entity::prelude::*;

/// Calls granted to an application on one business day (a day number since 1970-01-01).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "open_quota")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub app_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: i32,
    pub used: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
