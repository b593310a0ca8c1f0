//! Queries over sea-orm. Handlers and workers go through here.

pub mod facts;
pub mod orgs;
