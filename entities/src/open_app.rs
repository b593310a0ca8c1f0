use sea_orm::entity::prelude::*;

use crate::ids::{OrgId, UserId};

/// An application registered for the open API. `metrics`, `orgs` and `grains` are JSON
/// arrays; the secrets are Argon2id PHC strings (never the secret itself).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "open_apps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub owner_org_id: OrgId,
    pub contact: String,
    #[sea_orm(unique)]
    pub client_id: String,
    pub secret_hash: String,
    /// The secret replaced by the latest rotation, accepted until `previous_expires_at`.
    pub previous_secret_hash: Option<String>,
    pub previous_expires_at: Option<DateTimeWithTimeZone>,
    pub metrics: Json,
    pub orgs: Json,
    pub grains: Json,
    pub history_days: i32,
    pub rate_per_second: f64,
    pub daily_quota: i64,
    pub status: AppStatus,
    pub created_by: Option<UserId>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

/// Whether an application may call, stored as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "lowercase")]
pub enum AppStatus {
    Active,
    Suspended,
}

impl AppStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            AppStatus::Active => "active",
            AppStatus::Suspended => "suspended",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
