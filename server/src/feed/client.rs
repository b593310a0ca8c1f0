//! The feed client: one `GET /v1/aggregates` page at a time, with the error table of
//! `upstream-feed.md` — `401`/`403` fail at once; `400` is handed to the caller (which restarts
//! from the stored watermark once); `429` waits as told and asks again for the same cursor;
//! `5xx`, timeouts, resets and truncated answers retry the same page with exponential backoff
//! and jitter until the page's retry budget is spent. The token is a secret: never logged.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use backon::Retryable;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};

use serde::de::DeserializeOwned;

use super::wire::{ErrorAnswer, Page, RecordsPage};
use crate::config::FeedSettings;
use crate::retry::RetryPolicy;

/// How a page is retried: within the page's budget, with no other bound than a guard.
fn retry_policy(s: &FeedSettings) -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_millis(s.backoff_base_ms.max(1)),
        max_delay: Duration::from_millis(s.backoff_max_ms.max(s.backoff_base_ms).max(1)),
        max_retries: 10_000,
        budget: Duration::from_secs(s.retry_budget_secs),
    }
}

/// What to ask for.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub since: Option<String>,
    pub cursor: Option<String>,
    pub limit: u32,
    pub metrics: Vec<String>,
}

/// Why no page came back.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("the feed refused our token ({status}); check feed.token")]
    Unauthorized { status: u16 },
    #[error("the feed refused the request (400 {code}): {message}")]
    BadRequest { code: String, message: String },
    #[error("the feed stayed unavailable for {waited:?} over {attempts} attempts; last: {last}")]
    Unavailable { attempts: u32, waited: Duration, last: String },
    #[error("feed.base_url is not configured")]
    NotConfigured,
}

impl FetchError {
    /// Whether retrying later (another run) could help.
    pub fn is_fatal(&self) -> bool {
        matches!(self, FetchError::Unauthorized { .. } | FetchError::NotConfigured)
    }
}

/// A page and what it took to get it.
#[derive(Debug)]
pub struct Fetched<P = Page> {
    pub page: P,
    pub attempts: u32,
    pub throttled: u32,
}

enum Attempt {
    Fatal(FetchError),
    Throttled(Duration),
    Transient(String),
}

#[derive(Clone)]
pub struct FeedClient {
    http: reqwest::Client,
    base: String,
    token: SecretString,
    policy: RetryPolicy,
}

impl std::fmt::Debug for FeedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedClient").field("base", &self.base).field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl FeedClient {
    pub fn new(settings: &FeedSettings) -> anyhow::Result<FeedClient> {
        let timeout = Duration::from_secs(settings.timeout_secs.max(1));
        crate::tls::install();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(FeedClient {
            http,
            base: settings.base_url.trim_end_matches('/').to_owned(),
            token: settings.token.clone(),
            policy: retry_policy(settings),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// One page of aggregates, retried by the error table within the policy's budget.
    pub async fn fetch(&self, req: &PageRequest) -> Result<Fetched, FetchError> {
        self.fetch_page("v1/aggregates", req).await
    }

    /// One page of records of `kind` (`detail-feed.md`), with the same error table.
    pub async fn fetch_records(&self, kind: &str, req: &PageRequest) -> Result<Fetched<RecordsPage>, FetchError> {
        self.fetch_page(&format!("v1/records/{kind}"), req).await
    }

    async fn fetch_page<P: DeserializeOwned>(&self, path: &str, req: &PageRequest) -> Result<Fetched<P>, FetchError> {
        if self.base.is_empty() {
            return Err(FetchError::NotConfigured);
        }
        let budget = self.policy.start();
        let (attempts, throttled) = (AtomicU32::new(0), AtomicU32::new(0));
        let result = (|| {
            attempts.fetch_add(1, Ordering::Relaxed);
            self.attempt(path, req)
        })
        .retry(self.policy.backoff())
        .sleep(tokio::time::sleep)
        .when(|failure| !matches!(failure, Attempt::Fatal(_)))
        .adjust(|failure, wait| match failure {
            // Waits as told (not by the backoff's step), within the budget.
            Attempt::Throttled(told) => wait.and_then(|_| budget.allows(*told)),
            _ => wait.and_then(|wait| budget.allows(wait)),
        })
        .notify(|failure, wait| match failure {
            Attempt::Throttled(_) => {
                throttled.fetch_add(1, Ordering::Relaxed);
                tracing::info!(wait_ms = wait.as_millis() as u64, "feed throttled us (429); waiting as told");
            }
            Attempt::Transient(why) => {
                let attempt = attempts.load(Ordering::Relaxed);
                tracing::warn!(attempt, wait_ms = wait.as_millis() as u64, error = %why, "feed page failed; retrying");
            }
            Attempt::Fatal(_) => {}
        })
        .await;
        let (attempts, throttled) = (attempts.into_inner(), throttled.into_inner());
        match result {
            Ok(page) => Ok(Fetched { page, attempts, throttled }),
            Err(Attempt::Fatal(e)) => Err(e),
            Err(Attempt::Throttled(_)) => Err(FetchError::Unavailable {
                attempts,
                waited: budget.elapsed(),
                last: "429 too many requests".into(),
            }),
            Err(Attempt::Transient(last)) => Err(FetchError::Unavailable { attempts, waited: budget.elapsed(), last }),
        }
    }

    async fn attempt<P: DeserializeOwned>(&self, path: &str, req: &PageRequest) -> Result<P, Attempt> {
        let mut query: Vec<(&str, String)> = vec![("limit", req.limit.to_string())];
        if let Some(since) = &req.since {
            query.push(("since", since.clone()));
        }
        if let Some(cursor) = &req.cursor {
            query.push(("cursor", cursor.clone()));
        }
        if !req.metrics.is_empty() {
            query.push(("metrics", req.metrics.join(",")));
        }
        let url = reqwest::Url::parse_with_params(&format!("{}/{path}", self.base), &query)
            .map_err(|e| Attempt::Fatal(FetchError::BadRequest { code: "base_url".into(), message: e.to_string() }))?;
        let res = self
            .http
            .get(url)
            .header(AUTHORIZATION, format!("Bearer {}", self.token.expose_secret()))
            .send()
            .await
            .map_err(|e| Attempt::Transient(describe(&e)))?;
        let status = res.status();
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Err(Attempt::Fatal(FetchError::Unauthorized { status: status.as_u16() }));
            }
            StatusCode::TOO_MANY_REQUESTS => {
                let secs = res
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(1);
                return Err(Attempt::Throttled(Duration::from_secs(secs.min(3_600))));
            }
            StatusCode::BAD_REQUEST => {
                let body: ErrorAnswer = res.json().await.unwrap_or_default();
                return Err(Attempt::Fatal(FetchError::BadRequest { code: body.error, message: body.message }));
            }
            s if s.is_server_error() => return Err(Attempt::Transient(format!("{s}"))),
            s if !s.is_success() => {
                // Any other refusal will not change by asking again.
                return Err(Attempt::Fatal(FetchError::BadRequest {
                    code: s.as_u16().to_string(),
                    message: s.to_string(),
                }));
            }
            _ => {}
        }
        let bytes = res.bytes().await.map_err(|e| Attempt::Transient(describe(&e)))?;
        serde_json::from_slice::<P>(&bytes).map_err(|e| Attempt::Transient(format!("malformed or truncated JSON: {e}")))
    }
}

fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "connection dropped mid-answer"
    } else {
        "request failed"
    };
    // The URL holds no secret (the token travels in a header).
    format!("{kind}: {e}")
}
