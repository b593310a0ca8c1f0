//! `facts`: the one hot table. Everything a card needs is a point or range lookup on its
//! primary key (metric, org, grain, period), so the table *is* that key: `WITHOUT ROWID` on
//! SQLite, integer keys and day numbers everywhere, no per-row text. About 12 million rows for
//! the demo province.
//!
//! - `grain`: 0 day, 1 week, 2 month, 3 quarter, 4 year;
//! - `period_start`: the first day of the period, as days since 1970-01-01;
//! - `updated_at`: Unix seconds of the upstream change (the later one wins on a correction);
//! - `origin`: 0 upstream, 1 roll-up, 2 computed by the server (directory completeness).
//!
//! There are no foreign keys: org and metric rows are never deleted (only deactivated), and
//! bulk loads of millions of rows must not pay a lookup per row.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = "CREATE TABLE facts (
    metric_id INTEGER NOT NULL,
    org_id INTEGER NOT NULL,
    grain INTEGER NOT NULL,
    period_start INTEGER NOT NULL,
    value REAL,
    num REAL,
    den REAL,
    updated_at INTEGER NOT NULL,
    origin INTEGER NOT NULL,
    PRIMARY KEY (metric_id, org_id, grain, period_start)
) WITHOUT ROWID";

const POSTGRES: &str = "CREATE TABLE facts (
    metric_id INTEGER NOT NULL,
    org_id INTEGER NOT NULL,
    grain SMALLINT NOT NULL,
    period_start INTEGER NOT NULL,
    value DOUBLE PRECISION,
    num DOUBLE PRECISION,
    den DOUBLE PRECISION,
    updated_at BIGINT NOT NULL,
    origin SMALLINT NOT NULL,
    PRIMARY KEY (metric_id, org_id, grain, period_start)
)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = match manager.get_database_backend() {
            sea_orm::DbBackend::Sqlite => SQLITE,
            _ => POSTGRES,
        };
        manager.get_connection().execute_unprepared(sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("facts").to_owned()).await
    }
}
