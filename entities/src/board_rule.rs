use sea_orm::entity::prelude::*;

use crate::ids::{OrgId, UserId};

/// A board or an indicator hidden from an audience (an org subtree, or everyone).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "board_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `None`: everyone.
    pub audience_org_id: Option<OrgId>,
    pub kind: RuleKind,
    pub code: String,
    pub created_by: Option<UserId>,
    pub created_at: DateTimeWithTimeZone,
}

/// What a rule hides, stored as its lowercase name: a board, an indicator (both named by
/// `code`), or the ranked list of peers (`code` empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "lowercase")]
pub enum RuleKind {
    Board,
    Metric,
    Peers,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
