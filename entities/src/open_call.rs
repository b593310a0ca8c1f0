use sea_orm::entity::prelude::*;

/// One call to the open API: who, what, how much, how it ended, how long it took.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "open_calls")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `None` when the caller could not be identified (a refused token).
    pub app_id: Option<i32>,
    pub at: DateTimeWithTimeZone,
    /// The business date, as a day number.
    pub day: i32,
    pub endpoint: String,
    /// The query string as sent.
    pub params: String,
    pub rows: i32,
    pub status: i16,
    pub duration_us: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
