//! Queries over sea-orm. Handlers and workers go through here. Every function answers in
//! domain types (or rows) and [`StoreError`]; the HTTP layer maps that to its answers once
//! (`routes`), the workers report it.

use sea_orm::DbErr;

use crate::domain::directory::CycleError;

pub mod audit;
pub mod boards;
pub mod briefings;
pub mod calendar;
pub mod card_set_drafts;
pub mod card_sets;
pub mod directory;
pub mod facts;
pub mod open_apps;
pub mod open_calls;
pub mod orgs;
pub mod reads;
pub mod record_stats;
pub mod records;
pub mod sessions;
pub mod snapshot;
pub mod sync;
pub mod users;

/// What the store could not do, in its own terms.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed, or held what could not be read.
    #[error(transparent)]
    Db(#[from] DbErr),
    /// What was named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// It changed meanwhile (a stale revision), or its state forbids the change.
    #[error("{0}")]
    Conflict(String),
    /// A field of what was asked cannot be done as given.
    #[error("`{field}`: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// The directory's parent links go round in a circle.
    #[error(transparent)]
    Cycle(#[from] CycleError),
}

impl StoreError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> StoreError {
        StoreError::Invalid { field, reason: reason.into() }
    }
}

/// Begins a transaction that writes — every one of Canmou's does. On SQLite it takes the write
/// lock at `BEGIN` (`IMMEDIATE`): a deferred transaction that has read cannot become a writer
/// after another connection committed, and fails at once with "database is locked" (the busy
/// timeout never applies to that case), where this one waits its turn. PostgreSQL ignores it.
/// (A `db.begin()` would work alone and fail under load: a 500 to an administrator saving a
/// card set while a sync commits.)
pub async fn begin_writer<C: sea_orm::TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions};
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    db.begin_with_options(options).await
}
