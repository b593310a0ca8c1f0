use migrations::{Migrator, MigratorTrait};

use crate::helpers::{TestDb, spawn_app, test_settings};

const TABLES: [&str; 20] = [
    "audit_log",
    "calendar",
    "card_set_assignments",
    "card_sets",
    "cards",
    "data_version",
    "facts",
    "metrics",
    "orgs",
    "period_status",
    "record_cases",
    "record_catalog",
    "record_items",
    "rejected_rows",
    "scopes",
    "sync_runs",
    "sync_state",
    "user_columns",
    "user_orgs",
    "users",
];

#[tokio::test]
async fn migrations_go_down_and_up_again() {
    let app = spawn_app().await;
    let tables = app.tables().await;
    for t in TABLES {
        assert!(tables.contains(&t.to_owned()), "{t} missing after up: {tables:?}");
    }

    Migrator::down(&app.db, None).await.unwrap();
    let after_down = app.tables().await;
    assert_eq!(after_down, vec!["seaql_migrations".to_owned()], "everything but the history is gone");

    Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(app.tables().await, tables);
    let catalogue: serde_json::Value = app.get("/api/v1/metrics").await.json().await.unwrap();
    assert_eq!(catalogue["metrics"].as_array().unwrap().len(), 44 + 15, "the seed is back");
}

#[tokio::test]
async fn the_default_card_set_has_eight_cards() {
    use entities::{card, card_set};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = spawn_app().await;
    let sets = card_set::Entity::find().filter(card_set::Column::IsDefault.eq(true)).all(&app.db).await.unwrap();
    assert_eq!(sets.len(), 1);
    let cards = card::Entity::find().filter(card::Column::CardSetId.eq(sets[0].id)).all(&app.db).await.unwrap();
    assert_eq!(cards.len(), 8);
    let mut positions: Vec<i32> = cards.iter().map(|c| c.position).collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=8).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_database_holding_someone_elses_tables_is_refused_untouched() {
    let test_db = TestDb::new().await;
    let settings = test_settings(&test_db);
    let db = canmou::db::connect(&settings.database).await.unwrap();
    use sea_orm::ConnectionTrait;
    db.execute_unprepared("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount INTEGER)").await.unwrap();
    db.execute_unprepared("INSERT INTO invoices (id, amount) VALUES (1, 42)").await.unwrap();

    let err = canmou::db::migrate(&db).await.unwrap_err().to_string();
    assert!(err.contains("not a Canmou database"), "{err}");

    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT amount FROM invoices"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i32>("", "amount").unwrap(), 42);
    let tables = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            if test_db.is_postgres() {
                "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
            } else {
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            },
        ))
        .await
        .unwrap();
    assert_eq!(tables.len(), 1, "no table was added");
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("canmou.db");
    std::fs::write(&path, b"%PDF-1.7 not a database").unwrap();
    let mut settings = canmou::config::Settings::default();
    settings.database.url = format!("sqlite://{}", path.display()).into();
    let err = canmou::db::connect(&settings.database).await.unwrap_err().to_string();
    assert!(err.contains("is not a SQLite database"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"%PDF-1.7 not a database");
}
