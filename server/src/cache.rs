//! Rendered answers, keyed by everything that determines them — endpoint, card set and its
//! version, org, grain, period, parameters, data version — never by user. Authorisation is
//! checked before the cache. Each answer is stored with its gzip and brotli encodings, so a hit
//! costs neither rendering nor compression.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use moka::future::Cache;

use crate::error::ApiError;

/// What determines an answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AnswerKey {
    pub endpoint: &'static str,
    /// Card set id and version, or (metric id, 0).
    pub subject: (i32, i32),
    pub org: i32,
    pub grain: i16,
    pub period: i32,
    /// Endpoint-specific parameters in a canonical form.
    pub extra: String,
    pub data_version: i64,
    /// The business date: statuses such as `late` depend on it.
    pub today: i32,
}

impl AnswerKey {
    pub fn new(
        endpoint: &'static str,
        subject: (i32, i32),
        org: i32,
        period: crate::domain::period::Period,
        extra: String,
        data_version: i64,
        today: chrono::NaiveDate,
    ) -> AnswerKey {
        use crate::domain::period::day_number;
        AnswerKey {
            endpoint,
            subject,
            org,
            grain: period.grain().code(),
            period: day_number(period.start()),
            extra,
            data_version,
            today: day_number(today),
        }
    }

    /// A strong ETag: the same key always renders the same body.
    pub fn etag(&self) -> String {
        let mut h = DefaultHasher::new();
        self.hash(&mut h);
        format!("\"{:016x}-{}\"", h.finish(), self.data_version)
    }
}

/// A rendered answer in its three encodings.
#[derive(Debug)]
pub struct Answer {
    pub etag: String,
    pub identity: Bytes,
    pub gzip: Bytes,
    pub brotli: Bytes,
}

impl Answer {
    pub fn new(etag: String, json: Vec<u8>) -> Answer {
        let gzip = {
            let mut enc =
                flate2::write::GzEncoder::new(Vec::with_capacity(json.len() / 3), flate2::Compression::new(6));
            let ok = enc.write_all(&json).is_ok();
            enc.finish().ok().filter(|_| ok).unwrap_or_default()
        };
        let brotli = {
            let mut out = Vec::with_capacity(json.len() / 3);
            let params = brotli::enc::BrotliEncoderParams { quality: 5, ..Default::default() };
            match brotli::BrotliCompress(&mut json.as_slice(), &mut out, &params) {
                Ok(_) => out,
                Err(_) => Vec::new(),
            }
        };
        Answer { etag, identity: Bytes::from(json), gzip: Bytes::from(gzip), brotli: Bytes::from(brotli) }
    }

    fn weight(&self) -> u32 {
        u32::try_from(self.identity.len() + self.gzip.len() + self.brotli.len() + 128).unwrap_or(u32::MAX)
    }

    /// The answer in the best encoding the client accepts.
    pub fn respond(&self, req: &HttpRequest) -> HttpResponse {
        let accept = req.headers().get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("");
        let (body, encoding) = if accepts(accept, "br") && !self.brotli.is_empty() {
            (self.brotli.clone(), Some("br"))
        } else if accepts(accept, "gzip") && !self.gzip.is_empty() {
            (self.gzip.clone(), Some("gzip"))
        } else {
            (self.identity.clone(), None)
        };
        let mut res = HttpResponse::Ok();
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("application/json")))
            .insert_header((header::ETAG, self.etag.as_str()))
            .insert_header((header::VARY, "Accept-Encoding"))
            .insert_header((header::CACHE_CONTROL, "private, no-cache"));
        match encoding {
            Some(e) => res.insert_header((header::CONTENT_ENCODING, e)).body(body),
            // `identity` stops the compression middleware from compressing it again.
            None => res.insert_header((header::CONTENT_ENCODING, "identity")).body(body),
        }
    }
}

fn accepts(header: &str, coding: &str) -> bool {
    header.split(',').any(|part| {
        let mut it = part.trim().split(';');
        let name = it.next().unwrap_or("").trim();
        let refused = it.any(|p| p.trim().replace(' ', "") == "q=0");
        name.eq_ignore_ascii_case(coding) && !refused
    })
}

/// `304 Not Modified` when the client already has this version.
pub fn not_modified(req: &HttpRequest, etag: &str) -> Option<HttpResponse> {
    let inm = req.headers().get(header::IF_NONE_MATCH)?.to_str().ok()?;
    let hit = inm.split(',').any(|t| {
        let t = t.trim();
        t == "*" || t == etag || t.strip_prefix("W/") == Some(etag)
    });
    hit.then(|| {
        HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::VARY, "Accept-Encoding"))
            .insert_header((header::CACHE_CONTROL, "private, no-cache"))
            .finish()
    })
}

/// Serves `key` from the client's copy (304), the cache, or `render` — in that order.
pub async fn serve<F, Fut>(
    req: &HttpRequest,
    cache: &AnswerCache,
    key: AnswerKey,
    render: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Vec<u8>, ApiError>>,
{
    let etag = key.etag();
    if let Some(res) = not_modified(req, &etag) {
        return Ok(res);
    }
    if let Some(hit) = cache.get(&key).await {
        return Ok(hit.respond(req));
    }
    let answer = Arc::new(Answer::new(etag, render().await?));
    cache.insert(key, answer.clone()).await;
    Ok(answer.respond(req))
}

/// JSON bytes of a view.
pub fn to_json<T: serde::Serialize>(view: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(view).map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("rendering JSON")))
}

#[derive(Clone)]
pub struct AnswerCache {
    cache: Cache<AnswerKey, Arc<Answer>>,
}

impl AnswerCache {
    pub fn new(max_mb: u64) -> AnswerCache {
        let cache = Cache::builder()
            .max_capacity(max_mb.max(1) * 1024 * 1024)
            .weigher(|_k: &AnswerKey, v: &Arc<Answer>| v.weight())
            .build();
        AnswerCache { cache }
    }

    pub async fn get(&self, key: &AnswerKey) -> Option<Arc<Answer>> {
        self.cache.get(key).await
    }

    pub async fn insert(&self, key: AnswerKey, answer: Arc<Answer>) {
        self.cache.insert(key, answer).await;
    }

    pub fn entry_count(&self) -> u64 {
        self.cache.entry_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_is_read_with_its_refusals() {
        assert!(accepts("gzip, deflate, br", "br"));
        assert!(accepts("gzip;q=1.0, br;q=0.5", "br"));
        assert!(!accepts("gzip, br;q=0", "br"));
        assert!(!accepts("", "gzip"));
    }

    #[test]
    fn encodings_decode_to_the_same_json() {
        let json = br#"{"cards":[{"metric":"collab.dau","display":"1.82\u4e07"}]}"#.repeat(20);
        let a = Answer::new("\"x\"".into(), json.clone());
        let mut gunzipped = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(a.gzip.as_ref()), &mut gunzipped).unwrap_or(0);
        assert_eq!(gunzipped, json);
        let mut unbrotlied = Vec::new();
        brotli::BrotliDecompress(&mut a.brotli.as_ref(), &mut unbrotlied).unwrap_or(());
        assert_eq!(unbrotlied, json);
        assert!(a.brotli.len() < json.len() / 4);
    }
}
