use sea_orm::entity::prelude::*;

/// A case (办件) from the detail feed; no personal data is ever stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "record_cases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: i32,
    pub case_no: String,
    pub item_code: String,
    pub item_name: String,
    pub channel: String,
    pub applicant_kind: String,
    /// Unix seconds.
    pub accepted_at: i64,
    /// Day number (business time) of `accepted_at`.
    pub accepted_day: i32,
    pub completed_at: Option<i64>,
    pub completed_day: Option<i32>,
    pub legal_days: i32,
    pub promised_days: Option<i32>,
    pub working_days: i32,
    pub result: String,
    pub rating: Option<i16>,
    pub overdue: bool,
    pub updated_at: i64,
    /// The completion day before the last correction (set by the sync's upsert).
    pub replaced_day: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
