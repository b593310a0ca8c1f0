use sea_orm::entity::prelude::*;

/// A service item (事项) as one org implements it, from the detail feed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "record_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: i32,
    pub code: String,
    pub name: String,
    pub catalog_code: String,
    pub implementation: String,
    pub online_level: i16,
    pub mobile: bool,
    pub zero_visit: bool,
    pub shared_fields: i32,
    pub total_fields: i32,
    pub shared_materials: i32,
    pub total_materials: i32,
    pub implemented_day: Option<i32>,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
