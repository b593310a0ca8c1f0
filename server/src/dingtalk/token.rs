//! The app's access token: cached, refreshed some minutes before it expires, with one fetch
//! in flight at a time (DingTalk throttles apps that fetch tokens too often).

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// How long before its expiry a token is replaced.
const REFRESH_MARGIN: Duration = Duration::from_secs(600);

struct Cached {
    value: String,
    refresh_at: Instant,
}

#[derive(Default)]
pub(crate) struct TokenCache {
    // Held across the fetch: callers arriving meanwhile wait for it and reuse its token.
    slot: Mutex<Option<Cached>>,
}

impl TokenCache {
    /// The cached token, or a new one from `fetch` (which returns the token and its lifetime).
    pub async fn get<F, Fut, E>(&self, fetch: F) -> Result<String, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(String, Duration), E>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some(cached) = slot.as_ref().filter(|c| Instant::now() < c.refresh_at) {
            return Ok(cached.value.clone());
        }
        let (value, lifetime) = fetch().await?;
        // A short-lived token (never seen in practice) is used for half its life.
        let margin = REFRESH_MARGIN.min(lifetime / 2);
        *slot = Some(Cached { value: value.clone(), refresh_at: Instant::now() + lifetime - margin });
        Ok(value)
    }

    /// Forgets `stale` after DingTalk refused it, unless another caller already replaced it.
    pub async fn invalidate(&self, stale: &str) {
        let mut slot = self.slot.lock().await;
        if slot.as_ref().is_some_and(|c| c.value == stale) {
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    // A paused clock: the fetch's 20 ms pass only once every caller is waiting, so all eight
    // are queued behind it however slow the machine.
    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_fetch() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok::<_, ()>(("t1".to_owned(), Duration::from_secs(7200)))
                    })
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), "t1");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_invalidated_token_is_fetched_again_but_a_replaced_one_is_kept() {
        let cache = TokenCache::default();
        let fetch = |v: &'static str| move || async move { Ok::<_, ()>((v.to_owned(), Duration::from_secs(7200))) };
        assert_eq!(cache.get(fetch("a")).await.unwrap(), "a");
        cache.invalidate("old-one").await;
        assert_eq!(cache.get(fetch("b")).await.unwrap(), "a");
        cache.invalidate("a").await;
        assert_eq!(cache.get(fetch("b")).await.unwrap(), "b");
    }
}
