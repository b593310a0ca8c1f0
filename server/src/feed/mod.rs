//! The upstream aggregate feed (`upstream-feed.md`): the wire format, the client the sync
//! worker uses, and the sandbox that emulates the feed for tests, benchmarks and demo mode.

pub mod client;
pub mod record_log;
pub mod sandbox;
pub mod wire;

pub use client::{FeedClient, FetchError, PageRequest};
