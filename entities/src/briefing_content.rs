use sea_orm::entity::prelude::*;

/// A rendered briefing message, shared by every recipient of the same content.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "briefing_contents")]
pub struct Model {
    /// SHA-256 of `message`, hex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub hash: String,
    pub business_date: Date,
    /// The `msg` object sent to DingTalk, as JSON text.
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
