use sea_orm::entity::prelude::*;

/// Per grain, the latest period (day number of its start) the upstream calls complete.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "period_status")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub grain: i16,
    pub complete_through: i32,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
