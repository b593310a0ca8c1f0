use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A node of the org tree: a region (行政区划) or a department.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "orgs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Stable external code: a region code, or the DingTalk dept id / the platform's code.
    #[sea_orm(unique)]
    pub code: String,
    pub dingtalk_dept_id: Option<i64>,
    pub parent_id: Option<i32>,
    pub name: String,
    /// `region` or `department`.
    pub kind: String,
    pub level: i16,
    /// Materialised path of ids, e.g. `/1/7/42/`.
    pub path: String,
    pub sort_order: i32,
    pub active: bool,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
