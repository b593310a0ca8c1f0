//! Rendered answers, keyed by everything that determines them — endpoint, card set and its
//! version, org, grain, period, parameters, data version — never by user. Authorisation is
//! checked before the cache. Each answer keeps its gzip and brotli encodings once made, so a hit
//! costs neither rendering nor compression.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use actix_web::http::header::{self, Header, HeaderValue, IfNoneMatch};
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use moka::future::Cache;
use xxhash_rust::xxh3::Xxh3Default;

use crate::encoding::Coding;
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

    /// A strong ETag: the same key always renders the same body. The key's fields go into xxh3
    /// as little-endian bytes, so every process and toolchain gives the same tag (two instances
    /// behind one balancer answer a revalidation alike).
    pub fn etag(&self) -> String {
        let mut h = Xxh3Default::new();
        // Length-prefixed: the two strings cannot trade bytes.
        h.update(&(self.endpoint.len() as u64).to_le_bytes());
        h.update(self.endpoint.as_bytes());
        for n in [self.subject.0, self.subject.1, self.org, i32::from(self.grain), self.period, self.today] {
            h.update(&n.to_le_bytes());
        }
        h.update(&self.data_version.to_le_bytes());
        h.update(&(self.extra.len() as u64).to_le_bytes());
        h.update(self.extra.as_bytes());
        format!("\"{:016x}-{}\"", h.digest(), self.data_version)
    }
}

/// A rendered answer: its JSON, and its gzip and brotli encodings made the first time a client
/// asks for each — a miss pays for one compression, not two, and every later hit for none.
#[derive(Debug)]
pub struct Answer {
    pub etag: String,
    pub identity: Bytes,
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

impl Answer {
    pub fn new(etag: String, json: Vec<u8>) -> Answer {
        Answer { etag, identity: fitted(json), gzip: OnceLock::new(), brotli: OnceLock::new() }
    }

    /// The body in `coding`, compressing on first use; `None` when compression failed (the
    /// caller then sends the JSON as it is).
    pub fn encoded(&self, coding: Coding) -> Option<Bytes> {
        let (cell, compress): (_, Compressor) = match coding {
            Coding::Identity => return Some(self.identity.clone()),
            Coding::Gzip => (&self.gzip, gzip_json),
            Coding::Brotli => (&self.brotli, brotli_json),
        };
        let body = cell.get_or_init(|| fitted(compress(&self.identity)));
        (!body.is_empty()).then(|| body.clone())
    }

    /// What the answer costs the cache: the JSON, room for both compressed forms (JSON
    /// compresses to about a quarter), and the key.
    fn weight(&self) -> u32 {
        u32::try_from(self.identity.len() + self.identity.len() / 2 + 256).unwrap_or(u32::MAX)
    }

    /// The answer in the best encoding the client accepts.
    pub fn respond(&self, req: &HttpRequest) -> HttpResponse {
        let coding = Coding::negotiate(req);
        let (body, encoding) = match self.encoded(coding) {
            Some(body) if coding == Coding::Brotli => (body, Some("br")),
            Some(body) if coding == Coding::Gzip => (body, Some("gzip")),
            // JSON as it is: the client takes nothing else (or compressing failed).
            _ => (self.identity.clone(), None),
        };
        let mut res = HttpResponse::Ok();
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("application/json")))
            .insert_header((header::ETAG, self.etag.as_str()))
            .insert_header((header::VARY, "Accept-Encoding"))
            .insert_header((header::CACHE_CONTROL, "private, no-cache"));
        if let Some(encoding) = encoding {
            // Already encoded: the compression middleware leaves it as it is.
            res.insert_header((header::CONTENT_ENCODING, encoding));
        }
        res.body(body)
    }
}

/// `bytes` without the spare room a growing buffer leaves (up to half of it): the cache weighs
/// an answer by its length, and memory should match.
fn fitted(mut bytes: Vec<u8>) -> Bytes {
    bytes.shrink_to_fit();
    Bytes::from(bytes)
}

thread_local! {
    /// One gzip stream per thread, reset between answers: setting up zlib's state (some
    /// 300 KB, zeroed) cost more than compressing a home screen.
    static GZIP: RefCell<flate2::Compress> = RefCell::new(new_gzip());
}

fn new_gzip() -> flate2::Compress {
    flate2::Compress::new_gzip(flate2::Compression::new(6), 15)
}

/// `json` as one gzip member; empty on failure.
fn gzip(z: &mut flate2::Compress, json: &[u8]) -> Vec<u8> {
    z.reset();
    let mut out = Vec::with_capacity(json.len() / 3 + 64);
    loop {
        let read = usize::try_from(z.total_in()).unwrap_or(json.len()).min(json.len());
        match z.compress_vec(&json[read..], &mut out, flate2::FlushCompress::Finish) {
            Ok(flate2::Status::StreamEnd) => return out,
            // Out of room: compress_vec only fills spare capacity.
            Ok(_) => out.reserve(out.capacity().max(256)),
            Err(_) => return Vec::new(),
        }
    }
}

/// Compresses JSON in one coding; empty on failure.
type Compressor = fn(&[u8]) -> Vec<u8>;

/// `json` in gzip at level 6 (within a few per cent of the best size for a few kilobytes of
/// JSON, at a fraction of the time), on this thread's stream. Empty on failure.
fn gzip_json(json: &[u8]) -> Vec<u8> {
    GZIP.with(|cell| match cell.try_borrow_mut() {
        Ok(mut z) => gzip(&mut z, json),
        Err(_) => gzip(&mut new_gzip(), json),
    })
}

/// `json` in brotli at quality 5 (likewise). Empty on failure.
fn brotli_json(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() / 3);
    let params = brotli::enc::BrotliEncoderParams { quality: 5, ..Default::default() };
    match brotli::BrotliCompress(&mut &json[..], &mut out, &params) {
        Ok(_) => out,
        Err(_) => Vec::new(),
    }
}

/// `304 Not Modified` when the client already has this version (`If-None-Match` compares
/// weakly: `W/"x"` matches `"x"`). `etag` is quoted, as [`AnswerKey::etag`] makes it.
pub fn not_modified(req: &HttpRequest, etag: &str) -> Option<HttpResponse> {
    // Only revalidations pay for parsing: most requests carry no `If-None-Match`.
    if !req.headers().contains_key(header::IF_NONE_MATCH) {
        return None;
    }
    let tag = etag.trim_matches('"');
    let hit = match IfNoneMatch::parse(req).ok()? {
        IfNoneMatch::Any => true,
        IfNoneMatch::Items(tags) => tags.iter().any(|t| t.tag() == tag),
    };
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
        cache.counts.not_modified.inc();
        return Ok(res);
    }
    if let Some(hit) = cache.get(&key).await {
        cache.counts.hit.inc();
        return Ok(hit.respond(req));
    }
    cache.counts.miss.inc();
    // A miss renders once however many ask at the same moment (the morning's rush after a
    // sync is hundreds of officials opening the same screens): the others wait for that
    // render instead of running the same queries beside it.
    let mut render = Some(render);
    let mut failed = None;
    let made = cache
        .cache
        .optionally_get_with_by_ref(&key, async {
            let render = render.take()?;
            match render().await {
                Ok(json) => Some(Arc::new(Answer::new(etag.clone(), json))),
                Err(e) => {
                    failed = Some(e);
                    None
                }
            }
        })
        .await;
    if let Some(e) = failed {
        return Err(e);
    }
    let answer = match (made, render) {
        (Some(answer), _) => answer,
        // Another request's render failed while this one waited: this one tries on its own.
        (None, Some(render)) => Arc::new(Answer::new(etag, render().await?)),
        (None, None) => return Err(ApiError::Internal(anyhow::anyhow!("the answer was neither cached nor rendered"))),
    };
    Ok(answer.respond(req))
}

/// JSON bytes of a view.
pub fn to_json<T: serde::Serialize>(view: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(view).map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("rendering JSON")))
}

#[derive(Clone)]
pub struct AnswerCache {
    cache: Cache<AnswerKey, Arc<Answer>>,
    counts: Counts,
}

/// `canmou_answer_cache_requests_total{outcome}`: how the cached endpoints answered — from the
/// cache, by rendering (`miss`, also counting requests that waited on another's render), or
/// with a `304`. The hit ratio an operator watches after a sync.
#[derive(Clone)]
struct Counts {
    all: prometheus::IntCounterVec,
    hit: prometheus::IntCounter,
    miss: prometheus::IntCounter,
    not_modified: prometheus::IntCounter,
}

impl Counts {
    fn new() -> Result<Counts, prometheus::Error> {
        let all = prometheus::IntCounterVec::new(
            prometheus::Opts::new(
                "canmou_answer_cache_requests_total",
                "Answers of the cached endpoints, by outcome: hit, miss (rendered or waited for) or not_modified (304)",
            ),
            &["outcome"],
        )?;
        Ok(Counts {
            hit: all.with_label_values(&["hit"]),
            miss: all.with_label_values(&["miss"]),
            not_modified: all.with_label_values(&["not_modified"]),
            all,
        })
    }
}

impl AnswerCache {
    pub fn new(max_mb: u64) -> Result<AnswerCache, prometheus::Error> {
        let cache = Cache::builder()
            .max_capacity(max_mb.max(1) * 1024 * 1024)
            .weigher(|_k: &AnswerKey, v: &Arc<Answer>| v.weight())
            .build();
        Ok(AnswerCache { cache, counts: Counts::new()? })
    }

    /// Exports the cache's counters through `registry` (the one `/metrics` answers from).
    pub fn register(&self, registry: &prometheus::Registry) -> Result<(), prometheus::Error> {
        registry.register(Box::new(self.counts.all.clone()))
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

/// One group of peers at one period: the org and its siblings of the same kind (named by the
/// group's smallest org id: every org is in exactly one group), at a grain and period start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerGroup {
    pub grain: i16,
    pub period: i32,
    pub group: i32,
}

/// Each metric's peers' values at one group and period, sorted ascending (by metric id).
pub type PeerSet = HashMap<i32, Arc<[f64]>>;

/// Peers' values for ranks, remembered for one data version: it lives in the snapshot, so a
/// new version starts empty. Sibling orgs opening the same day read their group's values once
/// between them, instead of every uncached home screen reading them again — also when they
/// open at the same moment, as a benchmark's or a morning's concurrent requests for siblings
/// do: the others wait for the one read.
#[derive(Clone)]
pub struct PeerValues {
    /// By group and period, and the metrics asked for (sorted: a card set's, or one metric's).
    cache: Cache<(PeerGroup, Arc<[i32]>), Arc<PeerSet>>,
}

impl PeerValues {
    /// About 4 MiB: tens of thousands of groups.
    const MAX_BYTES: u64 = 4 * 1024 * 1024;

    /// The peers' values of `metrics` at `at`: remembered, or read by `read` — `(metric id,
    /// value)`, no nulls — once however many ask at the same moment. A failed read is the
    /// error of the caller whose read it was; those that waited on it then read on their own.
    pub async fn get_or_read<E, Fut>(
        &self,
        at: PeerGroup,
        metrics: &[i32],
        read: impl Fn() -> Fut,
    ) -> Result<Arc<PeerSet>, E>
    where
        Fut: Future<Output = Result<Vec<(i32, f64)>, E>>,
    {
        let mut sorted = metrics.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let key = (at, Arc::from(sorted));
        let mut failed = None;
        let made = self
            .cache
            .optionally_get_with_by_ref(&key, async {
                match read().await {
                    Ok(rows) => Some(Arc::new(peer_set(metrics, rows))),
                    Err(e) => {
                        failed = Some(e);
                        None
                    }
                }
            })
            .await;
        match (made, failed) {
            (Some(set), _) => Ok(set),
            (None, Some(e)) => Err(e),
            (None, None) => Ok(Arc::new(peer_set(metrics, read().await?))),
        }
    }
}

/// `rows` by metric, sorted; a metric that no peer has a value for is there, empty.
fn peer_set(metrics: &[i32], rows: Vec<(i32, f64)>) -> PeerSet {
    let mut by_metric: HashMap<i32, Vec<f64>> = metrics.iter().map(|&m| (m, Vec::new())).collect();
    for (metric_id, value) in rows {
        by_metric.entry(metric_id).or_default().push(value);
    }
    by_metric
        .into_iter()
        .map(|(metric_id, mut values)| {
            values.sort_by(f64::total_cmp);
            (metric_id, values.into())
        })
        .collect()
}

impl Default for PeerValues {
    fn default() -> PeerValues {
        let cache = Cache::builder()
            .max_capacity(Self::MAX_BYTES)
            .weigher(|(_, metrics): &(PeerGroup, Arc<[i32]>), set: &Arc<PeerSet>| {
                let values: usize = set.values().map(|v| v.len()).sum();
                u32::try_from(96 + 4 * metrics.len() + 48 * set.len() + 8 * values).unwrap_or(u32::MAX)
            })
            .build();
        PeerValues { cache }
    }
}

impl std::fmt::Debug for PeerValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerValues").field("entries", &self.cache.entry_count()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use actix_web::test::TestRequest;

    fn with(name: header::HeaderName, value: &str) -> HttpRequest {
        TestRequest::default().insert_header((name, value)).to_http_request()
    }

    fn key() -> AnswerKey {
        AnswerKey {
            endpoint: "home",
            subject: (3, 7),
            org: 42,
            grain: 1,
            period: 20_000,
            extra: "org=42".into(),
            data_version: 9,
            today: 20_001,
        }
    }

    #[test]
    fn etags_are_the_same_in_every_process_and_toolchain() {
        // Pinned: a changed value means clients' cached copies stop matching after an upgrade.
        assert_eq!(key().etag(), "\"b1d620b63c190292-9\"");
        assert_ne!(AnswerKey { extra: "org=43".into(), ..key() }.etag(), key().etag());
        assert_ne!(AnswerKey { today: 20_002, ..key() }.etag(), key().etag());
    }

    #[test]
    fn a_client_with_the_current_version_gets_304() {
        let etag = key().etag();
        let weak = format!("W/{etag}");
        for header in [etag.as_str(), weak.as_str(), "\"other\", W/\"x\"", "*"] {
            let hit = not_modified(&with(header::IF_NONE_MATCH, header), &etag);
            let expected = header != "\"other\", W/\"x\"";
            assert_eq!(hit.map(|r| r.status().as_u16()), expected.then_some(304), "{header}");
        }
        assert!(not_modified(&TestRequest::default().to_http_request(), &etag).is_none());
    }

    #[test]
    fn encodings_decode_to_the_same_json() {
        let json = br#"{"cards":[{"metric":"collab.dau","display":"1.82\u4e07"}]}"#.repeat(20);
        let a = Answer::new("\"x\"".into(), json.clone());
        let gzip = a.encoded(Coding::Gzip).unwrap();
        let mut gunzipped = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gzip.as_ref()), &mut gunzipped).unwrap_or(0);
        assert_eq!(gunzipped, json);
        let brotli = a.encoded(Coding::Brotli).unwrap();
        let mut unbrotlied = Vec::new();
        brotli::BrotliDecompress(&mut brotli.as_ref(), &mut unbrotlied).unwrap_or(());
        assert_eq!(unbrotlied, json);
        assert!(brotli.len() < json.len() / 4);
        // Made once: a second call hands out the same bytes.
        assert_eq!(a.encoded(Coding::Brotli).unwrap().as_ptr(), brotli.as_ptr());
    }

    #[test]
    fn the_reused_gzip_stream_starts_afresh_for_each_answer() {
        let gunzip = |b: &[u8]| {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(b), &mut out).unwrap();
            out
        };
        // Poorly compressible and larger than the first buffer: the loop must grow it.
        let mut noise = Vec::new();
        let mut x: u32 = 1;
        for _ in 0..200_000 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            noise.push((x >> 24) as u8);
        }
        for body in [b"{\"a\":1}".to_vec(), noise.clone(), b"{\"b\":2}".to_vec()] {
            assert_eq!(gunzip(&gzip_json(&body)), body);
        }
    }

    /// Sixteen requests missing the same answer at once run one render between them; a failed
    /// render fails its own request, and the next asker renders again.
    #[tokio::test]
    async fn simultaneous_misses_render_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let cache = AnswerCache::new(1).unwrap();
        let renders = AtomicUsize::new(0);
        let render = || async {
            renders.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            Ok(br#"{"cards":[]}"#.to_vec())
        };
        let req = TestRequest::default().to_http_request();
        let answers = futures_util::future::join_all((0..16).map(|_| serve(&req, &cache, key(), render))).await;
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        assert!(answers.iter().all(|a| a.as_ref().is_ok_and(|r| r.status() == 200)));

        let other = AnswerKey { extra: "org=43".into(), ..key() };
        let failing = || async { Err(ApiError::Internal(anyhow::anyhow!("the database went away"))) };
        assert!(serve(&req, &cache, other.clone(), failing).await.is_err());
        assert!(cache.get(&other).await.is_none(), "a failure is not cached");
        assert!(serve(&req, &cache, other, render).await.is_ok());
        assert_eq!(renders.load(Ordering::SeqCst), 2);
    }

    /// Siblings' home screens missing at the same moment read their group's values once
    /// between them, sorted for ranks; a failed read is its caller's error and is not kept.
    #[tokio::test]
    async fn siblings_missing_at_once_read_their_peers_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let memo = PeerValues::default();
        let reads = AtomicUsize::new(0);
        let read = || async {
            reads.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            Ok::<_, String>(vec![(7, 3.0), (7, 1.0), (7, 2.0)])
        };
        let at = PeerGroup { grain: 0, period: 20_000, group: 5 };
        // The same metrics in another order are the same set.
        let asks = (0..16).map(|i| memo.get_or_read(at, if i % 2 == 0 { &[7, 9] } else { &[9, 7] }, read));
        let sets = futures_util::future::join_all(asks).await;
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        for set in &sets {
            let set = set.as_ref().unwrap();
            assert_eq!(&set[&7][..], &[1.0, 2.0, 3.0]);
            assert!(set[&9].is_empty(), "a metric no peer has a value for ranks nothing");
        }

        let elsewhere = PeerGroup { period: 20_001, ..at };
        let failing = || async { Err::<Vec<(i32, f64)>, _>("the database went away".to_owned()) };
        assert_eq!(memo.get_or_read(elsewhere, &[7], failing).await.unwrap_err(), "the database went away");
        assert_eq!(memo.get_or_read(elsewhere, &[7], read).await.unwrap()[&7].len(), 3);
        assert_eq!(reads.load(Ordering::SeqCst), 2, "the failure was not remembered");
    }
}
