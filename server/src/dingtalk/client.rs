//! The client core: one HTTP exchange per attempt, and the retry loop around it.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::Instrument;

use super::error::DingTalkError;
use super::limiter::Limiter;
use super::token::TokenCache;
use super::wire::{Action, Failure, Family, classify, request_id};
use crate::config::DingtalkSettings;

/// A DingTalk client for one app. Cheap to clone: clones share the token, the rate limiter and
/// the connection pool.
#[derive(Clone)]
pub struct DingTalkClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    oapi_base: String,
    api_base: String,
    app_key: String,
    app_secret: SecretString,
    agent_id: i64,
    corp_id: String,
    timeout: Duration,
    max_attempts: u32,
    retry_budget: Duration,
    retry_base: Duration,
    limiter: Limiter,
    token: TokenCache,
}

/// How a call proves who it is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Auth<'a> {
    /// The app's access token (query for the old API, header for the new).
    App,
    /// A user's access token (new API, web login).
    User(&'a str),
    /// None: the body carries the app's credentials.
    None,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    pub family: Family,
    pub get: bool,
    pub path: &'a str,
    pub body: Option<&'a Value>,
    pub auth: Auth<'a>,
    /// The call must not be carried out twice (a send): an attempt whose answer was lost is
    /// not retried but reported as [`DingTalkError::OutcomeUnknown`].
    pub at_most_once: bool,
}

impl Call<'_> {
    /// A POST to the old API with the app token, as most calls are.
    pub fn old_post<'a>(path: &'a str, body: &'a Value) -> Call<'a> {
        Call { family: Family::Old, get: false, path, body: Some(body), auth: Auth::App, at_most_once: false }
    }

    /// As [`Call::old_post`], for a call that must not be carried out twice.
    pub fn old_post_once<'a>(path: &'a str, body: &'a Value) -> Call<'a> {
        Call { at_most_once: true, ..Call::old_post(path, body) }
    }
}

impl DingTalkClient {
    pub fn new(settings: &DingtalkSettings) -> anyhow::Result<DingTalkClient> {
        let timeout = Duration::from_millis(settings.timeout_ms.max(1));
        crate::tls::install();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("canmou/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(DingTalkClient {
            inner: Arc::new(Inner {
                http,
                oapi_base: settings.oapi_base.trim_end_matches('/').to_owned(),
                api_base: settings.api_base.trim_end_matches('/').to_owned(),
                app_key: settings.app_key.clone(),
                app_secret: settings.app_secret.clone(),
                agent_id: settings.agent_id,
                corp_id: settings.corp_id.clone(),
                timeout,
                max_attempts: settings.max_attempts.max(1),
                retry_budget: Duration::from_millis(settings.retry_budget_ms),
                retry_base: Duration::from_millis(settings.retry_base_ms),
                limiter: Limiter::new(settings.qps, Duration::from_millis(settings.ip_ban_pause_ms)),
                token: TokenCache::default(),
            }),
        })
    }

    /// The mini-program's agent id (work notifications are sent as it).
    pub fn agent_id(&self) -> i64 {
        self.inner.agent_id
    }

    /// Our organisation's corp id (a web login must come from it).
    pub fn corp_id(&self) -> &str {
        &self.inner.corp_id
    }

    pub(crate) fn app_credentials(&self) -> (&str, &str) {
        (&self.inner.app_key, self.inner.app_secret.expose_secret())
    }

    /// Runs `call` under the retry policy and reads `field` of the answer (the whole body when
    /// `field` is empty) as `T`.
    pub(crate) async fn call<T: DeserializeOwned>(&self, call: Call<'_>, field: &str) -> Result<T, DingTalkError> {
        let mut body = self.execute(call).await?;
        let part = if field.is_empty() { body } else { body.get_mut(field).map(Value::take).unwrap_or(Value::Null) };
        serde_json::from_value(part)
            .map_err(|e| DingTalkError::Protocol(format!("{}: cannot read `{field}`: {e}", call.path)))
    }

    /// The retry loop of the contract's §6: token errors refresh the token and retry once;
    /// throttling and busy answers back off within the attempt and time budgets; the rest fail.
    pub(crate) async fn execute(&self, call: Call<'_>) -> Result<Value, DingTalkError> {
        let inner = &self.inner;
        let started = Instant::now();
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let span = tracing::info_span!("dingtalk", path = call.path, attempt, request_id = tracing::field::Empty);
            let failure = match self.attempt(call, started).instrument(span).await {
                Ok(body) => return Ok(body),
                Err(failure) => failure,
            };
            match failure.action {
                Action::RefreshToken if !refreshed && matches!(call.auth, Auth::App) => refreshed = true,
                // A refused user token means the login must start again.
                Action::RefreshToken if matches!(call.auth, Auth::User(_)) => {
                    return Err(DingTalkError::InvalidAuthCode);
                }
                Action::Ban => return Err(inner.limiter.ban()),
                Action::Backoff if attempt < inner.max_attempts => {
                    let delay = backoff(inner.retry_base, attempt);
                    if started.elapsed() + delay >= inner.retry_budget {
                        return Err(failure.error);
                    }
                    tracing::warn!(path = call.path, attempt, delay_ms = delay.as_millis() as u64, error = %failure.error, "DingTalk busy; retrying");
                    tokio::time::sleep(delay).await;
                }
                _ => return Err(failure.error),
            }
            if attempt >= inner.max_attempts.saturating_add(1) {
                return Err(failure.error);
            }
        }
    }

    async fn attempt(&self, call: Call<'_>, started: Instant) -> Result<Value, Failure> {
        let inner = &self.inner;
        let token = match call.auth {
            Auth::App => Some(self.app_token(started).await?),
            Auth::User(token) => Some(token.to_owned()),
            Auth::None => None,
        };
        let result = self.send(call, token.as_deref(), started).await;
        if let (Err(f), Auth::App, Some(token)) = (&result, call.auth, &token)
            && f.action == Action::RefreshToken
        {
            inner.token.invalidate(token).await;
        }
        result
    }

    async fn app_token(&self, started: Instant) -> Result<String, Failure> {
        self.inner
            .token
            .get(|| async {
                let (key, secret) = self.app_credentials();
                let path = format!("/gettoken?appkey={}&appsecret={}", urlencode(key), urlencode(secret));
                let call = Call {
                    family: Family::Old,
                    get: true,
                    path: &path,
                    body: None,
                    auth: Auth::None,
                    at_most_once: false,
                };
                let span = tracing::info_span!("dingtalk", path = "/gettoken", request_id = tracing::field::Empty);
                let body = self.send(call, None, started).instrument(span).await.map_err(|mut f| {
                    // A token refused while fetching a token can only be bad credentials.
                    if f.action == Action::RefreshToken {
                        f.action = Action::Stop;
                    }
                    f
                })?;
                let token = body.get("access_token").and_then(Value::as_str).unwrap_or_default().to_owned();
                let expires_in = body.get("expires_in").and_then(super::flex::as_i64).unwrap_or(7200);
                if token.is_empty() {
                    return Err(Failure::stop(DingTalkError::Protocol("gettoken answered without a token".into())));
                }
                Ok((token, Duration::from_secs(expires_in.max(1) as u64)))
            })
            .await
    }

    /// One HTTP exchange, paced by the limiter, bounded by the timeout and the budget left.
    async fn send(&self, call: Call<'_>, token: Option<&str>, started: Instant) -> Result<Value, Failure> {
        let inner = &self.inner;
        inner.limiter.acquire().await.map_err(Failure::stop)?;
        let base = match call.family {
            Family::Old => &inner.oapi_base,
            Family::New => &inner.api_base,
        };
        let mut url = format!("{base}{}", call.path);
        let mut request = match call.family {
            Family::Old => {
                if let Some(token) = token {
                    url.push(if url.contains('?') { '&' } else { '?' });
                    url.push_str("access_token=");
                    url.push_str(&urlencode(token));
                }
                if call.get { inner.http.get(url) } else { inner.http.post(url) }
            }
            Family::New => {
                let request = if call.get { inner.http.get(url) } else { inner.http.post(url) };
                match token {
                    Some(token) => request.header("x-acs-dingtalk-access-token", token),
                    None => request,
                }
            }
        };
        if let Some(body) = call.body {
            request = request.json(body);
        }
        let left = inner.retry_budget.saturating_sub(started.elapsed()).max(Duration::from_millis(1));
        let lost = |e| transport_failure(e, call.at_most_once);
        let response = request.timeout(inner.timeout.min(left)).send().await.map_err(lost)?;
        let status = response.status().as_u16();
        let header_id = response.headers().get("x-acs-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = response.bytes().await.map_err(lost)?;
        if call.at_most_once && status == 504 {
            // The gateway gave up waiting for DingTalk, which may have acted on the call.
            return Err(Failure::stop(DingTalkError::OutcomeUnknown("HTTP 504 from the gateway".into())));
        }
        let result = classify(call.family, status, &bytes);
        let id = match &result {
            Ok(body) => request_id(body).map(str::to_owned),
            Err(_) => serde_json::from_slice::<Value>(&bytes).ok().and_then(|b| request_id(&b).map(str::to_owned)),
        };
        if let Some(id) = id.or(header_id) {
            tracing::Span::current().record("request_id", id.as_str());
        }
        match &result {
            Ok(_) => tracing::debug!(status, "DingTalk answered"),
            Err(f) => tracing::info!(status, error = %f.error, action = ?f.action, "DingTalk refused"),
        }
        result
    }
}

fn transport_failure(e: reqwest::Error, at_most_once: bool) -> Failure {
    // The URL may carry the app secret (gettoken) or the access token: never in an error.
    let e = e.without_url();
    // Only a refused connection proves the request never reached DingTalk.
    if at_most_once && !e.is_connect() {
        let what = if e.is_timeout() { "no answer in time".to_owned() } else { format!("transport error: {e}") };
        return Failure::stop(DingTalkError::OutcomeUnknown(what));
    }
    let what = if e.is_timeout() { "no answer in time".to_owned() } else { format!("transport error: {e}") };
    Failure::new(DingTalkError::Unavailable(what), Action::Backoff)
}

/// `base × 2^(attempt-1)`, plus up to a quarter of it at random so that callers throttled
/// together do not come back together.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let delay = base.saturating_mul(1 << attempt.saturating_sub(1).min(6));
    // RandomState is seeded randomly per instance: a cheap source of jitter.
    let random = RandomState::new().hash_one(Instant::now());
    let jitter_ms = (delay.as_millis() as u64 / 4).max(1);
    delay + Duration::from_millis(random % jitter_ms)
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|e| e.trim_start_matches('=').to_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        let base = Duration::from_millis(100);
        for attempt in 1..=4 {
            let d = backoff(base, attempt);
            let expected = 100 * (1 << (attempt - 1));
            assert!(d.as_millis() >= expected && d.as_millis() <= expected + expected / 4, "{attempt}: {d:?}");
        }
    }

    #[test]
    fn query_values_are_escaped() {
        assert_eq!(urlencode("a b&c=d"), "a+b%26c%3Dd");
    }
}
