use sea_orm::entity::prelude::*;
use serde::Serialize;

/// One run of a sync worker.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "sync_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `directory` or `feed`.
    pub source: String,
    /// `manual` or `schedule`.
    pub trigger: String,
    pub started_at: DateTimeWithTimeZone,
    pub finished_at: Option<DateTimeWithTimeZone>,
    /// `running`, `ok`, `partial` or `failed`.
    pub status: String,
    pub rows_stored: i64,
    pub rows_rejected: i64,
    pub error: Option<String>,
    pub detail: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
