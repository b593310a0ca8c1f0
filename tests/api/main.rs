#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Black-box tests: the real app on a random port against a fresh database — SQLite by
//! default, PostgreSQL when `TEST_DATABASE_URL` is set (a fresh database per test, dropped
//! afterwards).

mod fixture;
mod helpers;
mod sandbox;

mod admin_audit;
mod admin_card_sets;
mod admin_console;
mod admin_users;
mod auth;
mod authorization;
mod boards;
mod briefing;
mod catalogue;
mod comparisons;
mod dingtalk_client;
mod directory_sync;
mod errors;
mod facts_store;
mod feed_sync;
mod health;
mod login;
mod migrations;
mod open_data;
mod read;
mod records;
mod rollup;
mod scheduler;
mod sync_admin;
