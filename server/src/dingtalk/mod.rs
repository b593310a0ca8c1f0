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

/// RFC 3986's unreserved characters; everything else in a query value is percent-encoded.
const QUERY_VALUE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `s` as a value inside a DingTalk URL's query: the login redirect's callback, a link inside
/// a mini-program link.
pub fn query_value(s: &str) -> percent_encoding::PercentEncode<'_> {
    percent_encoding::utf8_percent_encode(s, QUERY_VALUE)
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_keep_only_unreserved_characters() {
        let encoded = super::query_value("http://127.0.0.1:8080/cb?a=1&b=两 ~-._*").to_string();
        assert_eq!(encoded, "http%3A%2F%2F127.0.0.1%3A8080%2Fcb%3Fa%3D1%26b%3D%E4%B8%A4%20~-._%2A");
    }
}
