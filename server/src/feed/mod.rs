//! The upstream feeds (`upstream-feed.md`, `detail-feed.md`): the wire format and the client
//! the sync workers use. The sandbox that emulates them is in the `canmou-sandboxes` crate.

pub mod client;
pub mod wire;

pub use client::{FeedClient, FetchError, PageRequest};
