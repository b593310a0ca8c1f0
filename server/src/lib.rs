//! Canmou (参谋): the backend of a DingTalk mini-program that shows government officials the
//! key indicators of the organisations they are responsible for.

pub mod auth;
pub mod cache;
pub mod config;
pub mod db;
pub mod dingtalk;
pub mod domain;
pub mod error;
pub mod export;
pub mod feed;
pub mod middleware;
pub mod open;
pub mod policy;
pub mod retry;
pub mod routes;
pub mod startup;
pub mod state;
pub mod store;
pub mod supervisor;
pub mod telemetry;
pub mod tls;
pub mod views;
pub mod workers;
