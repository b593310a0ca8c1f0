use sea_orm::entity::prelude::*;

use crate::ids::{OrgId, UserId};

/// An org subtree a user may see. No scope, no data.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scopes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: OrgId,
    pub source: ScopeSource,
    pub granted_by: Option<UserId>,
    pub granted_at: DateTimeWithTimeZone,
}

/// Where a scope comes from, stored as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "lowercase")]
pub enum ScopeSource {
    /// Derived by the directory sync.
    Dingtalk,
    /// Granted by an administrator.
    Admin,
}

impl ScopeSource {
    pub const fn as_str(self) -> &'static str {
        match self {
            ScopeSource::Dingtalk => "dingtalk",
            ScopeSource::Admin => "admin",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
