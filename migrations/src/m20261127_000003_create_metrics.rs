//! The indicator catalogue, seeded from `metrics.md`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::seed::METRICS;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Metrics::Table)
                    .col(pk_auto(Metrics::Id))
                    .col(string_uniq(Metrics::Code))
                    .col(string(Metrics::Name))
                    .col(string(Metrics::Unit))
                    .col(string(Metrics::Kind))
                    .col(string_null(Metrics::PartKind))
                    .col(string_null(Metrics::Numerator))
                    .col(string_null(Metrics::Denominator))
                    .col(string(Metrics::Direction))
                    .col(small_integer(Metrics::Precision))
                    .col(string(Metrics::Category))
                    .col(text(Metrics::Description))
                    .col(string(Metrics::Source))
                    .col(boolean(Metrics::Active).default(true))
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert()
            .into_table(Metrics::Table)
            .columns([
                Metrics::Id,
                Metrics::Code,
                Metrics::Name,
                Metrics::Unit,
                Metrics::Kind,
                Metrics::PartKind,
                Metrics::Numerator,
                Metrics::Denominator,
                Metrics::Direction,
                Metrics::Precision,
                Metrics::Category,
                Metrics::Description,
                Metrics::Source,
                Metrics::Active,
            ])
            .to_owned();
        // Ids follow catalogue order so that facts keyed by metric id stay stable.
        for (id, seed) in (1i32..).zip(METRICS.iter()) {
            let source = if seed.code == "governance.directory_completeness" { "directory" } else { "upstream" };
            insert
                .values([
                    id.into(),
                    seed.code.into(),
                    seed.name.into(),
                    seed.unit.into(),
                    seed.kind.into(),
                    seed.part_kind.into(),
                    seed.numerator.into(),
                    seed.denominator.into(),
                    seed.direction.into(),
                    seed.precision.into(),
                    seed.category.into(),
                    seed.description.into(),
                    source.into(),
                    true.into(),
                ])
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        manager.exec_stmt(insert).await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            // The seed set explicit ids; move the identity past them.
            manager
                .get_connection()
                .execute_unprepared(
                    "SELECT setval(pg_get_serial_sequence('metrics', 'id'), (SELECT MAX(id) FROM metrics))",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Metrics::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum Metrics {
    Table,
    Id,
    Code,
    Name,
    Unit,
    Kind,
    PartKind,
    Numerator,
    Denominator,
    Direction,
    Precision,
    Category,
    Description,
    Source,
    Active,
}
