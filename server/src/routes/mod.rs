//! HTTP handlers, one file a resource.

pub mod catalogue;
pub mod health;
pub mod openapi;
