use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A DingTalk user known to Canmou. Profile fields are kept as "is it filled" flags only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub dingtalk_userid: String,
    pub unionid: Option<String>,
    pub name: String,
    pub title: Option<String>,
    /// `viewer` or `admin`.
    pub role: String,
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

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
