use sea_orm::entity::prelude::*;

/// A board or an indicator hidden from an audience (an org subtree, or everyone).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "board_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `None`: everyone.
    pub audience_org_id: Option<i32>,
    /// `board` or `metric`.
    pub kind: String,
    pub code: String,
    pub created_by: Option<i32>,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
