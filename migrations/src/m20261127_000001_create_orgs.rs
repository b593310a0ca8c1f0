//! The org tree: regions (行政区划) and departments, with a materialised path for subtree
//! queries (`path LIKE '/1/7/%'`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orgs::Table)
                    .col(pk_auto(Orgs::Id))
                    .col(string_uniq(Orgs::Code))
                    .col(big_integer_null(Orgs::DingtalkDeptId).unique_key())
                    .col(integer_null(Orgs::ParentId))
                    .col(string(Orgs::Name))
                    .col(string(Orgs::Kind))
                    .col(small_integer(Orgs::Level))
                    .col(string_uniq(Orgs::Path))
                    .col(integer(Orgs::SortOrder).default(0))
                    .col(boolean(Orgs::Active).default(true))
                    .col(timestamp_with_time_zone(Orgs::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orgs_parent")
                            .from(Orgs::Table, Orgs::ParentId)
                            .to(Orgs::Table, Orgs::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_orgs_parent")
                    .table(Orgs::Table)
                    .col(Orgs::ParentId)
                    .col(Orgs::SortOrder)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Orgs::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum Orgs {
    Table,
    Id,
    Code,
    DingtalkDeptId,
    ParentId,
    Name,
    Kind,
    Level,
    Path,
    SortOrder,
    Active,
    UpdatedAt,
}
