//! DingTalk: the client of its open platform (dingtalk-openapi.md). The sandbox that emulates
//! it for tests and demo mode lives in the `canmou-sandboxes` crate.
//!
//! The client paces itself with a token bucket shared by every caller, caches the app token,
//! and retries by the contract's error table; callers see one typed [`DingTalkError`].

mod client;
pub mod contacts;
mod error;
mod flex;
mod limiter;
pub mod login;
pub mod messages;
mod token;
mod wire;

pub use client::DingTalkClient;
pub use error::DingTalkError;
