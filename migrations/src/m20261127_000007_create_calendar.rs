//! The working-day calendar: only the exceptions to "Monday to Friday" are stored —
//! public holidays that fall on weekdays and make-up working days (调休) on weekends.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Calendar::Table)
                    .col(date(Calendar::Day).primary_key())
                    // `holiday` (no work on a weekday) or `workday` (work on a weekend).
                    .col(string(Calendar::Kind))
                    .col(string(Calendar::Name).default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Calendar::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Calendar {
    Table,
    Day,
    Kind,
    Name,
}
