//! Queries over sea-orm. Handlers and workers go through here.

pub mod directory;
pub mod facts;
pub mod orgs;
