//! `data_version`: one row, a counter bumped by every commit that changes facts. It is part of
//! every cache key, so an answer rendered before a change can never be served after it.
//! `period_status` keeps, per grain, the latest period the upstream feed calls complete.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DataVersion::Table)
                    .col(integer(DataVersion::Id).primary_key())
                    .col(big_integer(DataVersion::Version))
                    .col(timestamp_with_time_zone(DataVersion::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(DataVersion::Table)
                    .columns([DataVersion::Id, DataVersion::Version, DataVersion::UpdatedAt])
                    .values_panic([1.into(), 1i64.into(), Expr::current_timestamp()])
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PeriodStatus::Table)
                    .col(small_integer(PeriodStatus::Grain).primary_key())
                    .col(integer(PeriodStatus::CompleteThrough))
                    .col(timestamp_with_time_zone(PeriodStatus::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(PeriodStatus::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(DataVersion::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum DataVersion {
    Table,
    Id,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PeriodStatus {
    Table,
    Grain,
    CompleteThrough,
    UpdatedAt,
}
