//! Content codings: which one a request accepts, negotiated cheaply, and the middleware that
//! compresses answers not compressed yet.
//!
//! actix's `Compress` parses `Accept-Encoding` on every request and gzips every body, a
//! fifteen-byte `/healthz` or a small error included — setting up a zlib stream costs more than
//! a cached answer. Here the coding is negotiated once per distinct header value and thread,
//! answers already encoded (the answer cache's) and small ones pass untouched, and the rest
//! goes through actix-http's own encoder, as before.

use std::cell::RefCell;

use actix_http::encoding::Encoder;
use actix_web::HttpRequest;
use actix_web::body::{BodySize, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, AcceptEncoding, ContentEncoding, Encoding, Header};
use actix_web::middleware::Next;

/// A content coding the server offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Brotli,
    Gzip,
    Identity,
}

impl Coding {
    /// The best coding that the request's `Accept-Encoding` allows, by actix's typed header
    /// (q-values, `*`, `identity;q=0`). Parsing it allocates (the item list, a ranked copy, a
    /// set) and a hit is a few microseconds in all, so each thread remembers the coding of the
    /// few header values its clients send — a hit compares bytes and allocates nothing.
    pub fn negotiate(req: &HttpRequest) -> Coding {
        let Some(value) = req.headers().get(header::ACCEPT_ENCODING) else {
            return Coding::Identity;
        };
        let value = value.as_bytes();
        NEGOTIATED.with(|memo| {
            let Ok(mut memo) = memo.try_borrow_mut() else {
                return Coding::from_header(req);
            };
            if let Some(&(_, coding)) = memo.seen.iter().find(|(seen, _)| **seen == *value) {
                return coding;
            }
            let coding = Coding::from_header(req);
            memo.remember(value, coding);
            coding
        })
    }

    fn from_header(req: &HttpRequest) -> Coding {
        let offered = [Encoding::brotli(), Encoding::gzip(), Encoding::identity()];
        match AcceptEncoding::parse(req).ok().and_then(|accept| accept.negotiate(offered.iter())) {
            Some(e) if e == offered[0] => Coding::Brotli,
            Some(e) if e == offered[1] => Coding::Gzip,
            // Identity, or nothing acceptable: JSON as it is beats a 406 to a confused client.
            _ => Coding::Identity,
        }
    }
}

/// `Accept-Encoding` values seen on this thread and the coding each chose.
#[derive(Default)]
struct Negotiated {
    seen: Vec<(Box<[u8]>, Coding)>,
    /// The slot the next new value replaces once the memo is full.
    next: usize,
}

impl Negotiated {
    /// Browsers, the mini-program and HTTP libraries send a handful of values; a client
    /// inventing new ones only cycles through these slots.
    const SLOTS: usize = 8;
    /// Longer values are parsed every time rather than kept.
    const MAX_LEN: usize = 128;

    fn remember(&mut self, value: &[u8], coding: Coding) {
        if value.len() > Self::MAX_LEN {
            return;
        }
        let entry = (Box::from(value), coding);
        if self.seen.len() < Self::SLOTS {
            self.seen.push(entry);
        } else {
            self.seen[self.next] = entry;
            self.next = (self.next + 1) % Self::SLOTS;
        }
    }
}

thread_local! {
    static NEGOTIATED: RefCell<Negotiated> = RefCell::default();
}

/// Bodies smaller than this go as they are: a packet either way, and no compressor to set up.
pub const MIN_COMPRESSED: usize = 1024;

/// Compresses an answer in the best coding the client accepts, unless it is encoded already,
/// small, or of a kind that is never compressed (`204`, `206`, `101`).
pub async fn compress<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B, Encoder<B>>>, actix_web::Error> {
    let coding = Coding::negotiate(req.request());
    let res = next.call(req).await?;
    let encoding = match coding {
        Coding::Identity => return Ok(res.map_into_left_body()),
        Coding::Gzip => ContentEncoding::Gzip,
        Coding::Brotli => ContentEncoding::Brotli,
    };
    let small = matches!(res.response().body().size(), BodySize::None | BodySize::Sized(0..MIN_COMPRESSED_U64));
    let status = res.status();
    let as_is = small
        || res.headers().contains_key(header::CONTENT_ENCODING)
        || matches!(status, StatusCode::SWITCHING_PROTOCOLS | StatusCode::NO_CONTENT | StatusCode::PARTIAL_CONTENT);
    if as_is {
        return Ok(res.map_into_left_body());
    }
    Ok(res.map_body(|head, body| EitherBody::right(Encoder::response(encoding, head, body))))
}

const MIN_COMPRESSED_U64: u64 = MIN_COMPRESSED as u64;

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn with(name: header::HeaderName, value: &str) -> HttpRequest {
        TestRequest::default().insert_header((name, value)).to_http_request()
    }

    #[test]
    fn the_best_accepted_coding_is_chosen() {
        let negotiate = |value: &str| Coding::negotiate(&with(header::ACCEPT_ENCODING, value));
        for _ in 0..2 {
            // The second round answers from the thread's memo.
            assert_eq!(negotiate("gzip, deflate, br, zstd"), Coding::Brotli);
            assert_eq!(negotiate("gzip, br;q=0"), Coding::Gzip);
            assert_eq!(negotiate("gzip;q=1.0, br;q=0.5"), Coding::Gzip);
            assert_eq!(negotiate("br; q=0 , gzip; q=0"), Coding::Identity);
            assert_eq!(negotiate("deflate"), Coding::Identity);
            assert_eq!(negotiate("*"), Coding::Identity);
            assert_eq!(negotiate(""), Coding::Identity);
        }
        assert_eq!(Coding::negotiate(&TestRequest::default().to_http_request()), Coding::Identity);
        // More distinct values than slots: the memo stays bounded and answers stay right.
        for q in 1..=20 {
            assert_eq!(negotiate(&format!("gzip, br;q=0.{q:02}")), Coding::Gzip);
        }
        NEGOTIATED.with(|m| assert!(m.borrow().seen.len() <= Negotiated::SLOTS));
    }
}
