//! Boards an administrator hides from an audience: a board (by code) or an indicator (by
//! metric code), for the users whose first scope lies in an org subtree, or for everyone.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BoardRules::Table)
                    .col(pk_auto(BoardRules::Id))
                    // Null: everyone.
                    .col(integer_null(BoardRules::AudienceOrgId))
                    // `board` or `metric`.
                    .col(string(BoardRules::Kind))
                    .col(string(BoardRules::Code))
                    .col(integer_null(BoardRules::CreatedBy))
                    .col(timestamp_with_time_zone(BoardRules::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_board_rules_org")
                            .from(BoardRules::Table, BoardRules::AudienceOrgId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(BoardRules::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum BoardRules {
    Table,
    Id,
    AudienceOrgId,
    Kind,
    Code,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}
