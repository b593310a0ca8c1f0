//! HTTP handlers, one file a resource.

pub mod admin;
pub mod auth;
pub mod boards;
pub mod calendar;
pub mod caller;
pub mod catalogue;
pub mod deliveries;
pub mod exports;
pub mod extract;
pub mod health;
pub mod home;
pub mod me;
pub mod metric;
pub mod open;
pub mod openapi;
pub mod orgs;
pub mod records;
pub mod subscription;
pub mod sync;
pub mod table;
