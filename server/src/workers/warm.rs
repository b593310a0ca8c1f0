//! Warming the answer cache after a sync, before its data is served: the home screen each
//! active user opens first — their first scope, with the card set resolved for them, at its
//! default grain and latest complete period — so that the morning's first requests are hits.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::cache::Answer;
use crate::state::{AppState, Snapshot};
use crate::views::{home, params};

/// What a warming did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Warmed {
    /// Home screens rendered into the cache (those already there are not counted).
    pub screens: usize,
    /// Distinct (card set, org) screens the users open first.
    pub wanted: usize,
    pub millis: u64,
}

/// Loads the database's new state, renders its home screens into the cache, then serves it.
pub async fn reload_warm(state: &AppState) -> anyhow::Result<Warmed> {
    let fresh = state.load_snapshot().await?;
    let warmed = home_screens(state, &fresh).await;
    state.install(fresh);
    Ok(warmed)
}

/// Renders into the cache, for `snap`, the home screen each active user opens first.
pub async fn home_screens(state: &AppState, snap: &Snapshot) -> Warmed {
    let started = Instant::now();
    let today = state.today();
    let users = match crate::store::users::home_orgs(&state.db).await {
        Ok(users) => users,
        Err(e) => {
            tracing::warn!(error = %e, "could not list the users' home orgs; nothing warmed");
            Vec::new()
        }
    };
    let mut seen = HashSet::new();
    let mut warmed = Warmed::default();
    for (user, org_id) in users {
        let Some(set) = snap.card_sets.resolve(user, Some(org_id), &snap.orgs) else { continue };
        if !seen.insert((set.id, org_id)) {
            continue;
        }
        let Some(org) = snap.orgs.get(org_id) else { continue };
        let period = params::default_period(snap, set.default_grain, today);
        let key = home::answer_key(snap, set, org, period, today);
        if state.answers.get(&key).await.is_some() {
            continue;
        }
        match home::render(state, snap, set, org, period, today).await {
            Ok(json) => {
                state.answers.insert(key.clone(), Arc::new(Answer::new(key.etag(), json))).await;
                warmed.screens += 1;
            }
            Err(e) => tracing::warn!(error = %e, set = set.id, org = org_id.get(), "could not warm a home screen"),
        }
    }
    warmed.wanted = seen.len();
    warmed.millis = started.elapsed().as_millis() as u64;
    tracing::info!(screens = warmed.screens, wanted = warmed.wanted, millis = warmed.millis, "home screens warmed");
    warmed
}
