//! A catalogue flag: the indicator follows the working week, so its day-grain 环比 compares
//! like with like by the calendar. The seeded indicators of the working week get it.

use sea_orm::{DbBackend, Statement};
use sea_orm_migration::{prelude::*, schema::*};

use crate::seed::WORKING_DAY_METRICS;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Metrics::Table)
                    .add_column(boolean(Metrics::WorkingDays).default(false))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let placeholders: Vec<String> = (1..=WORKING_DAY_METRICS.len())
            .map(|i| if backend == DbBackend::Postgres { format!("${i}") } else { "?".to_owned() })
            .collect();
        let sql = format!("UPDATE metrics SET working_days = TRUE WHERE code IN ({})", placeholders.join(", "));
        db.execute_raw(Statement::from_sql_and_values(backend, sql, WORKING_DAY_METRICS.iter().map(|c| (*c).into())))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Metrics::Table).drop_column(Metrics::WorkingDays).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Metrics {
    Table,
    WorkingDays,
}
