use std::fmt;

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::ids::UserId;

/// A user's saved column set for one kind of record table (自定义表头).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_columns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: RecordKind,
    /// A JSON array of column keys.
    pub columns: String,
    pub updated_at: DateTimeWithTimeZone,
}

/// The three kinds of records, stored as their names. Their columns, filters and sort keys
/// are the server's (`domain::records::KindSchema`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    /// 目录
    Catalog,
    /// 事项
    Items,
    /// 办件
    Cases,
}

impl RecordKind {
    pub const ALL: [RecordKind; 3] = [RecordKind::Catalog, RecordKind::Items, RecordKind::Cases];

    pub const fn as_str(self) -> &'static str {
        match self {
            RecordKind::Catalog => "catalog",
            RecordKind::Items => "items",
            RecordKind::Cases => "cases",
        }
    }

    pub fn parse(s: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub const fn table(self) -> &'static str {
        match self {
            RecordKind::Catalog => "record_catalog",
            RecordKind::Items => "record_items",
            RecordKind::Cases => "record_cases",
        }
    }

    /// The Chinese name, for file names and sheet titles.
    pub const fn label(self) -> &'static str {
        match self {
            RecordKind::Catalog => "目录",
            RecordKind::Items => "事项",
            RecordKind::Cases => "办件",
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
