//! Queries over sea-orm. Handlers and workers go through here.

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
