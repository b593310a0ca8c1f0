//! The client core: one HTTP exchange per attempt, and the retry loop around it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use backon::Retryable;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::Instrument;

use super::error::DingTalkError;
use super::limiter::Limiter;
use super::token::TokenCache;
use super::wire::{Action, Failure, Family, classify, request_id};
use crate::config::DingtalkSettings;
use crate::retry::{Budget, RetryPolicy};

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
    retry: RetryPolicy,
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
    /// Query parameters, escaped when the URL is built.
    pub query: &'a [(&'a str, &'a str)],
    pub body: Option<&'a Value>,
    pub auth: Auth<'a>,
    /// The call must not be carried out twice (a send): an attempt whose answer was lost is
    /// not retried but reported as [`DingTalkError::OutcomeUnknown`].
    pub at_most_once: bool,
}

impl Call<'_> {
    /// A POST to the old API with the app token, as most calls are.
    pub fn old_post<'a>(path: &'a str, body: &'a Value) -> Call<'a> {
        Call {
            family: Family::Old,
            get: false,
            path,
            query: &[],
            body: Some(body),
            auth: Auth::App,
            at_most_once: false,
        }
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
                retry: RetryPolicy {
                    base: Duration::from_millis(settings.retry_base_ms),
                    // The budget bounds the waits; past a minute no wait is useful anyway.
                    max_delay: Duration::from_millis(settings.retry_budget_ms).min(Duration::from_secs(60)),
                    max_retries: settings.max_attempts.max(1) as usize - 1,
                    budget: Duration::from_millis(settings.retry_budget_ms),
                },
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

    /// The retry policy of the contract's §6: token errors refresh the token and retry once, at
    /// once; throttling and busy answers back off within the attempt and time budgets; the rest
    /// fail.
    pub(crate) async fn execute(&self, call: Call<'_>) -> Result<Value, DingTalkError> {
        let inner = &self.inner;
        let budget = inner.retry.start();
        let attempt = AtomicU32::new(0);
        let refreshed = AtomicBool::new(false);
        let result = (|| {
            let attempt = attempt.fetch_add(1, Ordering::Relaxed) + 1;
            let span = tracing::info_span!("dingtalk", path = call.path, attempt, request_id = tracing::field::Empty);
            self.attempt(call, budget).instrument(span)
        })
        .retry(inner.retry.backoff())
        .sleep(tokio::time::sleep)
        .when(|failure| match failure.action {
            Action::RefreshToken => matches!(call.auth, Auth::App) && !refreshed.swap(true, Ordering::Relaxed),
            Action::Backoff => true,
            _ => false,
        })
        .adjust(|failure, wait| match failure.action {
            // The fresh token is there: nothing to wait for.
            Action::RefreshToken => Some(Duration::ZERO),
            _ => wait.and_then(|wait| budget.allows(wait)),
        })
        .notify(|failure, wait| {
            if failure.action == Action::Backoff {
                let attempt = attempt.load(Ordering::Relaxed);
                tracing::warn!(path = call.path, attempt, delay_ms = wait.as_millis() as u64, error = %failure.error, "DingTalk busy; retrying");
            }
        })
        .await;
        result.map_err(|failure| match failure.action {
            Action::Ban => inner.limiter.ban(),
            // A refused user token means the login must start again.
            Action::RefreshToken if matches!(call.auth, Auth::User(_)) => DingTalkError::InvalidAuthCode,
            _ => failure.error,
        })
    }

    async fn attempt(&self, call: Call<'_>, budget: Budget) -> Result<Value, Failure> {
        let inner = &self.inner;
        let token = match call.auth {
            Auth::App => Some(self.app_token(budget).await?),
            Auth::User(token) => Some(token.to_owned()),
            Auth::None => None,
        };
        let result = self.send(call, token.as_deref(), budget).await;
        if let (Err(f), Auth::App, Some(token)) = (&result, call.auth, &token)
            && f.action == Action::RefreshToken
        {
            inner.token.invalidate(token).await;
        }
        result
    }

    async fn app_token(&self, budget: Budget) -> Result<String, Failure> {
        self.inner
            .token
            .get(|| async {
                let (key, secret) = self.app_credentials();
                let call = Call {
                    family: Family::Old,
                    get: true,
                    path: "/gettoken",
                    query: &[("appkey", key), ("appsecret", secret)],
                    body: None,
                    auth: Auth::None,
                    at_most_once: false,
                };
                let span = tracing::info_span!("dingtalk", path = "/gettoken", request_id = tracing::field::Empty);
                let body = self.send(call, None, budget).instrument(span).await.map_err(|mut f| {
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
    async fn send(&self, call: Call<'_>, token: Option<&str>, budget: Budget) -> Result<Value, Failure> {
        let inner = &self.inner;
        inner.limiter.acquire().await.map_err(Failure::stop)?;
        let base = match call.family {
            Family::Old => &inner.oapi_base,
            Family::New => &inner.api_base,
        };
        let mut url = reqwest::Url::parse(&format!("{base}{}", call.path))
            .map_err(|e| Failure::stop(DingTalkError::Protocol(format!("cannot make a URL of {}: {e}", call.path))))?;
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(call.query);
        }
        let mut request = match call.family {
            Family::Old => {
                if let Some(token) = token {
                    url.query_pairs_mut().append_pair("access_token", token);
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
        let left = budget.left().max(Duration::from_millis(1));
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
