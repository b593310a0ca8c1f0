//! Daily briefings: who wants one and when (`briefing_subscriptions`), what was rendered
//! (`briefing_contents`, one row per distinct message), and the delivery ledger
//! (`briefing_deliveries`), written **before** each send. Its unique (user, business date) is
//! what makes "at most one briefing per person per day" hold across crashes, retries and
//! instances.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261127_000002_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BriefingSubscriptions::Table)
                    .col(integer(BriefingSubscriptions::UserId).primary_key())
                    .col(boolean(BriefingSubscriptions::Enabled).default(true))
                    // Minutes after local midnight, on the quarter hour (08:30 = 510).
                    .col(small_integer(BriefingSubscriptions::SendMinute).default(510))
                    .col(boolean(BriefingSubscriptions::IncludeWeekends).default(false))
                    .col(timestamp_with_time_zone(BriefingSubscriptions::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_briefing_subscriptions_user")
                            .from(BriefingSubscriptions::Table, BriefingSubscriptions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BriefingContents::Table)
                    // SHA-256 of the message's JSON, hex.
                    .col(string(BriefingContents::Hash).primary_key())
                    .col(date(BriefingContents::BusinessDate))
                    // The `msg` object sent to DingTalk, as JSON text.
                    .col(text(BriefingContents::Message))
                    .col(timestamp_with_time_zone(BriefingContents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BriefingDeliveries::Table)
                    .col(big_pk_auto(BriefingDeliveries::Id))
                    .col(integer(BriefingDeliveries::UserId))
                    .col(date(BriefingDeliveries::BusinessDate))
                    // `briefing`, or `delayed` (the data was late: a notice instead).
                    .col(string(BriefingDeliveries::Kind))
                    .col(string(BriefingDeliveries::ContentHash))
                    // `pending`, `sending`, `sent`, `read`, `unread`, `forbidden`, `invalid_user`,
                    // `failed` or `unknown` (the call may have gone out; never repeated).
                    .col(string(BriefingDeliveries::Status))
                    // The run that took the row for sending (set with `sending`).
                    .col(string_null(BriefingDeliveries::Claim))
                    .col(big_integer_null(BriefingDeliveries::TaskId))
                    .col(integer(BriefingDeliveries::Attempts).default(0))
                    // DingTalk's code for a refusal (`143105`, `143106`, ...).
                    .col(string_null(BriefingDeliveries::ErrorCode))
                    .col(text_null(BriefingDeliveries::LastError))
                    .col(timestamp_with_time_zone(BriefingDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone(BriefingDeliveries::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_briefing_deliveries_user")
                            .from(BriefingDeliveries::Table, BriefingDeliveries::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_briefing_deliveries_user_date")
                    .table(BriefingDeliveries::Table)
                    .col(BriefingDeliveries::UserId)
                    .col(BriefingDeliveries::BusinessDate)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_briefing_deliveries_date_status")
                    .table(BriefingDeliveries::Table)
                    .col(BriefingDeliveries::BusinessDate)
                    .col(BriefingDeliveries::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_briefing_deliveries_task")
                    .table(BriefingDeliveries::Table)
                    .col(BriefingDeliveries::TaskId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            BriefingDeliveries::Table.into_iden(),
            BriefingContents::Table.into_iden(),
            BriefingSubscriptions::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum BriefingSubscriptions {
    Table,
    UserId,
    Enabled,
    SendMinute,
    IncludeWeekends,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum BriefingContents {
    Table,
    Hash,
    BusinessDate,
    Message,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BriefingDeliveries {
    Table,
    Id,
    UserId,
    BusinessDate,
    Kind,
    ContentHash,
    Status,
    Claim,
    TaskId,
    Attempts,
    ErrorCode,
    LastError,
    CreatedAt,
    UpdatedAt,
}
