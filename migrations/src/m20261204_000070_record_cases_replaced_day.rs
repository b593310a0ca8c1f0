//! `record_cases.replaced_day`: the completion day a case had before its last correction
//! (null for a case stored once). The sync's upsert sets it from the stored row it replaces
//! and returns it, so a page learns which days' statistics to redo from the statement that
//! writes it, instead of first looking every id of the page up (a second index lookup a row).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RecordCases::Table)
                    .add_column(ColumnDef::new(RecordCases::ReplacedDay).integer().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(RecordCases::Table).drop_column(RecordCases::ReplacedDay).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RecordCases {
    Table,
    ReplacedDay,
}
