//! Canmou's schema, one file a migration, each with a working `down()`.
//!
//! Seed data that every installation needs (the indicator catalogue of `metrics.md` and the
//! default card set) is part of the migration that creates its table, so a fresh database is
//! usable without the demo.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_create_orgs;
mod m20261127_000002_create_users;
mod m20261127_000003_create_metrics;
mod m20261127_000004_create_facts;
mod m20261127_000005_create_data_version;
mod m20261127_000006_create_card_sets;
mod m20261127_000007_create_calendar;
mod m20261127_000008_create_audit_log;
mod m20261127_000009_create_sync_runs;
mod m20261127_000020_create_briefings;
mod m20261201_000030_card_set_versions;
pub mod m20261202_000040_create_records;
mod m20261202_000040_metric_working_days;
mod m20261202_000041_board_rules;
mod m20261202_000042_policy_and_sessions;
mod m20261202_000050_create_open_apps;
mod m20261203_000060_record_cases_count_index;
mod m20261204_000070_record_cases_replaced_day;
mod m20261205_000080_facts_fillfactor;
pub mod seed;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_orgs::Migration),
            Box::new(m20261127_000002_create_users::Migration),
            Box::new(m20261127_000003_create_metrics::Migration),
            Box::new(m20261127_000004_create_facts::Migration),
            Box::new(m20261127_000005_create_data_version::Migration),
            Box::new(m20261127_000006_create_card_sets::Migration),
            Box::new(m20261127_000007_create_calendar::Migration),
            Box::new(m20261127_000008_create_audit_log::Migration),
            Box::new(m20261127_000009_create_sync_runs::Migration),
            Box::new(m20261127_000020_create_briefings::Migration),
            Box::new(m20261201_000030_card_set_versions::Migration),
            Box::new(m20261202_000040_create_records::Migration),
            Box::new(m20261202_000040_metric_working_days::Migration),
            Box::new(m20261202_000041_board_rules::Migration),
            Box::new(m20261202_000042_policy_and_sessions::Migration),
            Box::new(m20261202_000050_create_open_apps::Migration),
            Box::new(m20261203_000060_record_cases_count_index::Migration),
            Box::new(m20261204_000070_record_cases_replaced_day::Migration),
            Box::new(m20261205_000080_facts_fillfactor::Migration),
        ]
    }
}
