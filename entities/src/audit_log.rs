use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::ids::{OrgId, UserId};

/// Who did what to what, with the state before and after.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub actor_id: Option<UserId>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<Json>,
    pub after: Option<Json>,
    pub request_id: Option<String>,
    pub at: DateTimeWithTimeZone,
    /// The narrowest org holding everything the entry is about; `None`: province-wide.
    pub scope_org_id: Option<OrgId>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
