//! Sync bookkeeping shared by every worker that pulls from outside (the DingTalk directory, the
//! upstream feed): one row a run, the resume state of each source, and the rows refused.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SyncRuns::Table)
                    .col(big_pk_auto(SyncRuns::Id))
                    // `directory` or `feed`.
                    .col(string(SyncRuns::Source))
                    // `manual` or `schedule`.
                    .col(string(SyncRuns::Trigger))
                    .col(timestamp_with_time_zone(SyncRuns::StartedAt))
                    .col(timestamp_with_time_zone_null(SyncRuns::FinishedAt))
                    // `running`, `ok`, `partial` or `failed`.
                    .col(string(SyncRuns::Status))
                    .col(big_integer(SyncRuns::RowsStored).default(0))
                    .col(big_integer(SyncRuns::RowsRejected).default(0))
                    .col(text_null(SyncRuns::Error))
                    // Source-specific counts (departments created, users deactivated, pages, ...).
                    .col(json_null(SyncRuns::Detail))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sync_runs_source_started")
                    .table(SyncRuns::Table)
                    .col(SyncRuns::Source)
                    .col(SyncRuns::StartedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SyncState::Table)
                    .col(string(SyncState::Source).primary_key())
                    // The feed's watermark (RFC 3339), moved only after a commit.
                    .col(string_null(SyncState::Watermark))
                    .col(string_null(SyncState::Cursor))
                    .col(timestamp_with_time_zone(SyncState::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RejectedRows::Table)
                    .col(big_pk_auto(RejectedRows::Id))
                    .col(big_integer(RejectedRows::RunId))
                    .col(string(RejectedRows::Source))
                    // The row as received.
                    .col(text(RejectedRows::Payload))
                    .col(string(RejectedRows::Reason))
                    .col(timestamp_with_time_zone(RejectedRows::At))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rejected_rows_run")
                            .from(RejectedRows::Table, RejectedRows::RunId)
                            .to(SyncRuns::Table, SyncRuns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_rejected_rows_run")
                    .table(RejectedRows::Table)
                    .col(RejectedRows::RunId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [RejectedRows::Table.into_iden(), SyncState::Table.into_iden(), SyncRuns::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
    Id,
    Source,
    Trigger,
    StartedAt,
    FinishedAt,
    Status,
    RowsStored,
    RowsRejected,
    Error,
    Detail,
}

#[derive(DeriveIden)]
enum SyncState {
    Table,
    Source,
    Watermark,
    Cursor,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RejectedRows {
    Table,
    Id,
    RunId,
    Source,
    Payload,
    Reason,
    At,
}
