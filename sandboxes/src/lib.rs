//! Emulations of the remote services Canmou talks to, speaking their wire formats with their
//! faults: DingTalk's open platform (`dingtalk-openapi.md`) and the upstream feeds
//! (`upstream-feed.md`, `detail-feed.md`). The tests run them on random ports; the demo mounts
//! them beside the server. Nothing in the production library (`canmou`) depends on this crate.

pub mod dingtalk;
pub mod feed;
