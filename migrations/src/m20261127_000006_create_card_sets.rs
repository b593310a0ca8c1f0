//! Card sets: which indicator cards an audience sees, in what order, compared with what.
//! A set is assigned to an org subtree or to a user; resolution is user, then the nearest
//! ancestor org, then the default set. Publishing bumps `version`, which is part of the cache
//! key of every rendered home screen.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261127_000001_create_orgs::Orgs;
use crate::m20261127_000002_create_users::Users;
use crate::m20261127_000003_create_metrics::Metrics;
use crate::seed::{DEFAULT_CARD_SET_NAME, DEFAULT_CARDS};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CardSets::Table)
                    .col(pk_auto(CardSets::Id))
                    .col(string(CardSets::Name))
                    .col(text(CardSets::Description).default(""))
                    .col(string(CardSets::DefaultGrain).default("day"))
                    .col(boolean(CardSets::IsDefault).default(false))
                    .col(integer(CardSets::Version).default(1))
                    .col(timestamp_with_time_zone(CardSets::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Cards::Table)
                    .col(pk_auto(Cards::Id))
                    .col(integer(Cards::CardSetId))
                    .col(integer(Cards::MetricId))
                    .col(string_null(Cards::Title))
                    .col(string(Cards::Comparison).default("prev"))
                    .col(double_null(Cards::Target))
                    .col(small_integer(Cards::SparkLen).default(12))
                    .col(integer(Cards::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_cards_card_set")
                            .from(Cards::Table, Cards::CardSetId)
                            .to(CardSets::Table, CardSets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_cards_metric")
                            .from(Cards::Table, Cards::MetricId)
                            .to(Metrics::Table, Metrics::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_cards_set_position")
                    .table(Cards::Table)
                    .col(Cards::CardSetId)
                    .col(Cards::Position)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CardSetAssignments::Table)
                    .col(pk_auto(CardSetAssignments::Id))
                    .col(integer(CardSetAssignments::CardSetId))
                    .col(integer_null(CardSetAssignments::OrgId).unique_key())
                    .col(integer_null(CardSetAssignments::UserId).unique_key())
                    .col(timestamp_with_time_zone(CardSetAssignments::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_assignments_card_set")
                            .from(CardSetAssignments::Table, CardSetAssignments::CardSetId)
                            .to(CardSets::Table, CardSets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_assignments_org")
                            .from(CardSetAssignments::Table, CardSetAssignments::OrgId)
                            .to(Orgs::Table, Orgs::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_assignments_user")
                            .from(CardSetAssignments::Table, CardSetAssignments::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(
                        // Exactly one target: an org subtree or a user.
                        Expr::col(CardSetAssignments::OrgId)
                            .is_null()
                            .ne(Expr::col(CardSetAssignments::UserId).is_null()),
                    )
                    .to_owned(),
            )
            .await?;
        seed_default_set(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [CardSetAssignments::Table.into_iden(), Cards::Table.into_iden(), CardSets::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

async fn seed_default_set(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let bad = |e: sea_orm_migration::sea_query::error::Error| DbErr::Custom(e.to_string());
    manager
        .exec_stmt(
            Query::insert()
                .into_table(CardSets::Table)
                .columns([
                    CardSets::Id,
                    CardSets::Name,
                    CardSets::Description,
                    CardSets::DefaultGrain,
                    CardSets::IsDefault,
                    CardSets::Version,
                    CardSets::UpdatedAt,
                ])
                .values([
                    1.into(),
                    DEFAULT_CARD_SET_NAME.into(),
                    "协同、服务、移动、治理各方面的关键指标".into(),
                    "day".into(),
                    true.into(),
                    1.into(),
                    Expr::current_timestamp(),
                ])
                .map_err(bad)?
                .to_owned(),
        )
        .await?;
    let mut cards = Query::insert()
        .into_table(Cards::Table)
        .columns([
            Cards::CardSetId,
            Cards::MetricId,
            Cards::Comparison,
            Cards::Target,
            Cards::SparkLen,
            Cards::Position,
        ])
        .to_owned();
    for (position, card) in (1i32..).zip(DEFAULT_CARDS.iter()) {
        let metric_id = Query::select()
            .column(Metrics::Id)
            .from(Metrics::Table)
            .and_where(Expr::col(Metrics::Code).eq(card.metric))
            .to_owned();
        cards
            .values([
                1.into(),
                metric_id.into(),
                card.comparison.into(),
                card.target.into(),
                12i16.into(),
                position.into(),
            ])
            .map_err(bad)?;
    }
    manager.exec_stmt(cards).await?;
    if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
        manager
            .get_connection()
            .execute_unprepared(
                "SELECT setval(pg_get_serial_sequence('card_sets', 'id'), (SELECT MAX(id) FROM card_sets))",
            )
            .await?;
    }
    Ok(())
}

#[derive(DeriveIden)]
enum CardSets {
    Table,
    Id,
    Name,
    Description,
    DefaultGrain,
    IsDefault,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Cards {
    Table,
    Id,
    CardSetId,
    MetricId,
    Title,
    Comparison,
    Target,
    SparkLen,
    Position,
}

#[derive(DeriveIden)]
enum CardSetAssignments {
    Table,
    Id,
    CardSetId,
    OrgId,
    UserId,
    UpdatedAt,
}
