//! Card sets get a draft and published versions. The `cards` table holds the draft that
//! administrators edit; `revision` moves on every draft edit (two administrators editing one
//! set at once: the second, stale edit is refused), and each publish freezes the draft into
//! `card_set_versions` — what users are served. Existing sets (the seeded default one) get the
//! snapshot of their current version.

use sea_orm::{DbBackend, Statement};
use sea_orm_migration::{prelude::*, schema::*};
use serde_json::json;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite alters one column at a time.
        manager
            .alter_table(
                Table::alter().table(CardSets::Table).add_column(integer(CardSets::Revision).default(1)).to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter().table(CardSets::Table).add_column(integer_null(CardSets::PublishedRevision)).to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CardSetVersions::Table)
                    .col(pk_auto(CardSetVersions::Id))
                    .col(integer(CardSetVersions::CardSetId))
                    .col(integer(CardSetVersions::Version))
                    .col(string(CardSetVersions::Name))
                    .col(text(CardSetVersions::Description).default(""))
                    .col(string(CardSetVersions::DefaultGrain))
                    // `[{id, metricId, metric, title, comparison, target, sparkLen, position}]`
                    .col(json(CardSetVersions::Cards))
                    .col(integer_null(CardSetVersions::PublishedBy))
                    .col(timestamp_with_time_zone(CardSetVersions::PublishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_card_set_versions_set")
                            .from(CardSetVersions::Table, CardSetVersions::CardSetId)
                            .to(CardSets::Table, CardSets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_card_set_versions_set_version")
                    .table(CardSetVersions::Table)
                    .col(CardSetVersions::CardSetId)
                    .col(CardSetVersions::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        snapshot_existing(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(CardSetVersions::Table).to_owned()).await?;
        for column in [CardSets::PublishedRevision, CardSets::Revision] {
            manager.alter_table(Table::alter().table(CardSets::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

/// Freezes every existing set's current cards as its published version.
async fn snapshot_existing(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    let sets = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, name, description, default_grain, version FROM card_sets ORDER BY id",
        ))
        .await?;
    for set in sets {
        let id: i32 = set.try_get("", "id")?;
        let version: i32 = set.try_get("", "version")?;
        let sql = match backend {
            DbBackend::Postgres => {
                "SELECT c.id, c.metric_id, m.code, c.title, c.comparison, c.target, c.spark_len, c.position \
                 FROM cards c JOIN metrics m ON m.id = c.metric_id WHERE c.card_set_id = $1 ORDER BY c.position"
            }
            _ => {
                "SELECT c.id, c.metric_id, m.code, c.title, c.comparison, c.target, c.spark_len, c.position \
                 FROM cards c JOIN metrics m ON m.id = c.metric_id WHERE c.card_set_id = ? ORDER BY c.position"
            }
        };
        let mut cards = Vec::new();
        for c in db.query_all_raw(Statement::from_sql_and_values(backend, sql, [id.into()])).await? {
            cards.push(json!({
                "id": c.try_get::<i32>("", "id")?,
                "metricId": c.try_get::<i32>("", "metric_id")?,
                "metric": c.try_get::<String>("", "code")?,
                "title": c.try_get::<Option<String>>("", "title")?,
                "comparison": c.try_get::<String>("", "comparison")?,
                "target": c.try_get::<Option<f64>>("", "target")?,
                "sparkLen": c.try_get::<i16>("", "spark_len")?,
                "position": c.try_get::<i32>("", "position")?,
            }));
        }
        let insert = Query::insert()
            .into_table(CardSetVersions::Table)
            .columns([
                CardSetVersions::CardSetId,
                CardSetVersions::Version,
                CardSetVersions::Name,
                CardSetVersions::Description,
                CardSetVersions::DefaultGrain,
                CardSetVersions::Cards,
                CardSetVersions::PublishedAt,
            ])
            .values([
                id.into(),
                version.into(),
                set.try_get::<String>("", "name")?.into(),
                set.try_get::<String>("", "description")?.into(),
                set.try_get::<String>("", "default_grain")?.into(),
                serde_json::Value::Array(cards).into(),
                Expr::current_timestamp(),
            ])
            .map_err(|e| DbErr::Custom(e.to_string()))?
            .to_owned();
        manager.exec_stmt(insert).await?;
    }
    manager
        .exec_stmt(
            Query::update()
                .table(CardSets::Table)
                .value(CardSets::PublishedRevision, Expr::col(CardSets::Revision))
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden)]
enum CardSets {
    Table,
    Id,
    Revision,
    PublishedRevision,
}

#[derive(DeriveIden)]
enum CardSetVersions {
    Table,
    Id,
    CardSetId,
    Version,
    Name,
    Description,
    DefaultGrain,
    Cards,
    PublishedBy,
    PublishedAt,
}
