use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::ids::UserId;

/// A DingTalk user known to Canmou. Profile fields are kept as "is it filled" flags only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: UserId,
    #[sea_orm(unique)]
    pub dingtalk_userid: String,
    pub unionid: Option<String>,
    pub name: String,
    pub title: Option<String>,
    pub role: Role,
    pub active: bool,
    pub has_name: bool,
    pub has_title: bool,
    pub has_mobile: bool,
    pub has_avatar: bool,
    pub has_email: bool,
    pub has_job_number: bool,
    pub has_position: bool,
    pub last_login_at: Option<DateTimeWithTimeZone>,
    pub updated_at: DateTimeWithTimeZone,
}

/// What a user may do, stored as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Admin,
}

impl Role {
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Admin => "admin",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
