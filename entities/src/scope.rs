use sea_orm::entity::prelude::*;

/// An org subtree a user may see. No scope, no data.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scopes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: i32,
    /// `dingtalk` (derived by the directory sync) or `admin` (granted).
    pub source: String,
    pub granted_by: Option<i32>,
    pub granted_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
