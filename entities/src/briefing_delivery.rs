use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::ids::UserId;

/// One (user, business date) in the delivery ledger, written before the send.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "briefing_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: UserId,
    pub business_date: Date,
    pub kind: DeliveryKind,
    pub content_hash: String,
    pub status: DeliveryStatus,
    /// The run that took the row for sending.
    pub claim: Option<String>,
    pub task_id: Option<i64>,
    pub attempts: i32,
    pub error_code: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

/// The morning briefing, or the note that the day's data is late; stored as its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum DeliveryKind {
    Briefing,
    Delayed,
}

impl DeliveryKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryKind::Briefing => "briefing",
            DeliveryKind::Delayed => "delayed",
        }
    }
}

/// Where a delivery stands, stored as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Recorded, not yet sent.
    Pending,
    /// Taken by a run that is calling DingTalk.
    Sending,
    /// Accepted by DingTalk; its result not yet known.
    Sent,
    Read,
    Unread,
    /// Silently refused by DingTalk (`143105` daily cap, `143106` same content, ...).
    Forbidden,
    /// Not a user of the organisation (or no longer).
    InvalidUser,
    /// Refused, or not sent within the attempts allowed.
    Failed,
    /// The send may or may not have gone out (crash or lost answer): never repeated
    /// automatically.
    Unknown,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 9] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Sending,
        DeliveryStatus::Sent,
        DeliveryStatus::Read,
        DeliveryStatus::Unread,
        DeliveryStatus::Forbidden,
        DeliveryStatus::InvalidUser,
        DeliveryStatus::Failed,
        DeliveryStatus::Unknown,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Unread => "unread",
            DeliveryStatus::Forbidden => "forbidden",
            DeliveryStatus::InvalidUser => "invalid_user",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Failures an administrator may resend without forcing.
    pub fn is_resendable(self) -> bool {
        matches!(self, DeliveryStatus::Failed | DeliveryStatus::Forbidden | DeliveryStatus::InvalidUser)
    }

    /// Failures worth an administrator's attention.
    pub fn is_failure(self) -> bool {
        self.is_resendable() || self == DeliveryStatus::Unknown
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
