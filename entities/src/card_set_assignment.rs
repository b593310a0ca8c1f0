use sea_orm::entity::prelude::*;

/// A card set assigned to an org subtree or to one user (exactly one of the two).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "card_set_assignments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub card_set_id: i32,
    pub org_id: Option<i32>,
    pub user_id: Option<i32>,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
