//! Open data (G+): registered applications, their daily quota counters and the record of their
//! calls.
//!
//! - `open_apps.metrics` / `orgs` / `grains`: JSON arrays (the allowlist, the org subtree roots,
//!   the grains); `status` is `active` or `suspended`; secrets are Argon2id PHC strings.
//! - `open_quota`: calls granted per application and business day (a day number), counted by
//!   every instance with conditional `UPDATE`s, so that the quota holds across instances.
//! - `open_calls`: one row per call, written in batches; pruned after a configurable age.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OpenApps::Table)
                    .col(pk_auto(OpenApps::Id))
                    .col(string(OpenApps::Name))
                    .col(integer(OpenApps::OwnerOrgId))
                    .col(string(OpenApps::Contact))
                    .col(string_uniq(OpenApps::ClientId))
                    .col(string(OpenApps::SecretHash))
                    .col(string_null(OpenApps::PreviousSecretHash))
                    .col(timestamp_with_time_zone_null(OpenApps::PreviousExpiresAt))
                    .col(json(OpenApps::Metrics))
                    .col(json(OpenApps::Orgs))
                    .col(json(OpenApps::Grains))
                    .col(integer(OpenApps::HistoryDays))
                    .col(double(OpenApps::RatePerSecond))
                    .col(big_integer(OpenApps::DailyQuota))
                    .col(string(OpenApps::Status))
                    .col(integer_null(OpenApps::CreatedBy))
                    .col(timestamp_with_time_zone(OpenApps::CreatedAt))
                    .col(timestamp_with_time_zone(OpenApps::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OpenQuota::Table)
                    .col(integer(OpenQuota::AppId))
                    .col(integer(OpenQuota::Day))
                    .col(big_integer(OpenQuota::Used))
                    .primary_key(Index::create().col(OpenQuota::AppId).col(OpenQuota::Day))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OpenCalls::Table)
                    .col(big_pk_auto(OpenCalls::Id))
                    .col(integer_null(OpenCalls::AppId))
                    .col(timestamp_with_time_zone(OpenCalls::At))
                    .col(integer(OpenCalls::Day))
                    .col(string(OpenCalls::Endpoint))
                    .col(string(OpenCalls::Params))
                    .col(integer(OpenCalls::Rows))
                    .col(small_integer(OpenCalls::Status))
                    .col(integer(OpenCalls::DurationUs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_open_calls_app_day")
                    .table(OpenCalls::Table)
                    .col(OpenCalls::AppId)
                    .col(OpenCalls::Day)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_open_calls_at").table(OpenCalls::Table).col(OpenCalls::At).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OpenCalls::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(OpenQuota::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(OpenApps::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum OpenApps {
    Table,
    Id,
    Name,
    OwnerOrgId,
    Contact,
    ClientId,
    SecretHash,
    PreviousSecretHash,
    PreviousExpiresAt,
    Metrics,
    Orgs,
    Grains,
    HistoryDays,
    RatePerSecond,
    DailyQuota,
    Status,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OpenQuota {
    Table,
    AppId,
    Day,
    Used,
}

#[derive(DeriveIden)]
enum OpenCalls {
    Table,
    Id,
    AppId,
    At,
    Day,
    Endpoint,
    Params,
    Rows,
    Status,
    DurationUs,
}
