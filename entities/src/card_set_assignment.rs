use sea_orm::entity::prelude::*;

use crate::ids::{OrgId, UserId};

/// A card set assigned to an org subtree or to one user (exactly one of the two).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "card_set_assignments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub card_set_id: i32,
    pub org_id: Option<OrgId>,
    pub user_id: Option<UserId>,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
