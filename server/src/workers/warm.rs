//! Warming the answer cache after a sync: each card set's default home screen for each org it
//! is assigned to (the root for the default set), at the set's default grain and latest
//! complete period — so the morning's first requests are hits.

use std::sync::Arc;

use crate::cache::Answer;
use crate::state::AppState;
use crate::views::{home, params};

/// Renders the default home screens into the cache; returns how many were rendered.
pub async fn home_screens(state: &AppState) -> usize {
    let snap = state.snapshot();
    let today = state.today();
    let mut warmed = 0;
    for (set, org_id) in snap.card_sets.home_screens(&snap.orgs, &snap.orgs.roots().map(|n| n.id).collect::<Vec<_>>()) {
        let Some(org) = snap.orgs.get(org_id) else { continue };
        let period = params::default_period(&snap, set.default_grain, today);
        let key = home::answer_key(&snap, &set, org, period, today);
        if state.answers.get(&key).await.is_some() {
            continue;
        }
        match home::render(state, &snap, &set, org, period, today).await {
            Ok(json) => {
                state.answers.insert(key.clone(), Arc::new(Answer::new(key.etag(), json))).await;
                warmed += 1;
            }
            Err(e) => tracing::warn!(error = %e, set = set.id, org = org_id.get(), "could not warm a home screen"),
        }
    }
    warmed
}
