use sea_orm::entity::prelude::*;

use crate::ids::UserId;

/// A user's briefing settings; a user without a row has the defaults (on, 08:30, working days).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "briefing_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    pub enabled: bool,
    /// Minutes after local midnight, on the quarter hour.
    pub send_minute: i16,
    pub include_weekends: bool,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
