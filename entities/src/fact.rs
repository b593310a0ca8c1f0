use sea_orm::entity::prelude::*;

use crate::ids::{MetricId, OrgId};

/// One value of one metric for one org and one period. See the migration for the encoding of
/// `grain`, `period_start` (day number), `updated_at` (Unix seconds) and `origin`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "facts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub metric_id: MetricId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: OrgId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub grain: i16,
    #[sea_orm(primary_key, auto_increment = false)]
    pub period_start: i32,
    pub value: Option<f64>,
    pub num: Option<f64>,
    pub den: Option<f64>,
    pub updated_at: i64,
    pub origin: i16,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
