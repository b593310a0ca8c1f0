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

use crate::error::ApiError;
use crate::store::StoreError;

/// The one place the store's refusals become answers; the status and code of each are those
/// the handlers gave before the store had an error of its own.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Db(e) => e.into(),
            StoreError::NotFound(message) => ApiError::NotFound(message),
            StoreError::Conflict(message) => ApiError::Conflict(message),
            StoreError::Invalid { field, reason } => ApiError::invalid(field, reason),
            e @ StoreError::Cycle(_) => ApiError::Internal(e.into()),
        }
    }
}
