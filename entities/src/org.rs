use std::fmt;
use std::str::FromStr;

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};

use crate::ids::OrgId;

/// A node of the org tree: a region (行政区划) or a department.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "orgs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: OrgId,
    /// Stable external code: a region code, or the DingTalk dept id / the platform's code.
    #[sea_orm(unique)]
    pub code: String,
    pub dingtalk_dept_id: Option<i64>,
    pub parent_id: Option<OrgId>,
    pub name: String,
    pub kind: OrgKind,
    pub level: i16,
    /// Materialised path of ids, e.g. `/1/7/42/`.
    pub path: String,
    pub sort_order: i32,
    pub active: bool,
    pub updated_at: DateTimeWithTimeZone,
}

/// A region (行政区划) or a department, stored as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum OrgKind {
    Region,
    Department,
}

impl OrgKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            OrgKind::Region => "region",
            OrgKind::Department => "department",
        }
    }
}

impl fmt::Display for OrgKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrgKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "region" => Ok(OrgKind::Region),
            "department" => Ok(OrgKind::Department),
            other => Err(format!("`{other}`: expected region or department")),
        }
    }
}

impl<'de> Deserialize<'de> for OrgKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::deserialize_from_str(d)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
