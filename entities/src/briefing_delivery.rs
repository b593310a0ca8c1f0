use sea_orm::entity::prelude::*;
use serde::Serialize;

/// One (user, business date) in the delivery ledger, written before the send.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "briefing_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i32,
    pub business_date: Date,
    /// `briefing` or `delayed`.
    pub kind: String,
    pub content_hash: String,
    /// `pending`, `sending`, `sent`, `read`, `unread`, `forbidden`, `invalid_user`, `failed`
    /// or `unknown`.
    pub status: String,
    /// The run that took the row for sending.
    pub claim: Option<String>,
    pub task_id: Option<i64>,
    pub attempts: i32,
    pub error_code: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
