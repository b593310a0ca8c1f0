use sea_orm::entity::prelude::*;

/// An application registered for the open API. `metrics`, `orgs` and `grains` are JSON
/// arrays; the secrets are Argon2id PHC strings (never the secret itself).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "open_apps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub owner_org_id: i32,
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
    /// `active` or `suspended`.
    pub status: String,
    pub created_by: Option<i32>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
