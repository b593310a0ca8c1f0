//! The home screen: its cache key and its JSON, rendered without an HTTP request — for the
//! handler (`routes::home`) and for the workers that warm the cache after a sync.

use chrono::NaiveDate;

use crate::cache::{AnswerKey, to_json};
use crate::domain::org_tree::OrgNode;
use crate::domain::period::Period;
use crate::error::ApiError;
use crate::state::{AppState, Snapshot};
use crate::store::card_sets::CardSetDef;
use crate::views::cards;

/// What determines a home answer (the cache key).
pub fn answer_key(snap: &Snapshot, set: &CardSetDef, org: &OrgNode, period: Period, today: NaiveDate) -> AnswerKey {
    AnswerKey::new("home", (set.id, set.version), org.id.get(), period, String::new(), snap.version, today)
}

/// The home answer's JSON, rendered without an HTTP request (the handler, and the workers
/// that warm the cache after a sync).
pub async fn render(
    state: &AppState,
    snap: &Snapshot,
    set: &CardSetDef,
    org: &OrgNode,
    period: Period,
    today: NaiveDate,
) -> Result<Vec<u8>, ApiError> {
    to_json(&cards::home(&state.db, snap, set, org, period, today).await?)
}
