//! Administering card sets: the draft (`card_sets` row + `cards` rows) guarded by `revision`,
//! publishing it as a frozen version, restoring an earlier version, and assignments.
//!
//! Every write checks the revision the administrator saw inside the same transaction as the
//! change (`UPDATE … WHERE revision = ?`), so of two administrators editing one set at once
//! the second gets `409 conflict`, never a silent overwrite.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use entities::{card, card_set, card_set_assignment, card_set_version, metric};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, NotSet,
    QueryFilter, QueryOrder,
};

use entities::ids::{MetricId, OrgId, UserId};

use super::card_sets::{FrozenCard, frozen_cards};
use crate::domain::card::Comparison;
use crate::domain::period::Grain;
use crate::store::StoreError;

/// A checked card, ready to store (its position is its place in the list).
#[derive(Debug, Clone, PartialEq)]
pub struct NewCard {
    pub metric_id: MetricId,
    pub title: Option<String>,
    pub comparison: Comparison,
    pub target: Option<f64>,
    pub spark_len: i16,
}

/// A checked draft.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub name: String,
    pub description: String,
    pub default_grain: Grain,
    pub cards: Vec<NewCard>,
}

/// A card of a draft, with its metric's code.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub id: i32,
    pub metric: String,
    pub title: Option<String>,
    pub comparison: Comparison,
    pub target: Option<f64>,
    pub spark_len: i16,
    pub position: i32,
}

/// A card set as administrators see it: the draft, what is published, where it is assigned.
#[derive(Debug, Clone, PartialEq)]
pub struct CardSet {
    pub id: i32,
    pub name: String,
    pub description: String,
    pub default_grain: Grain,
    pub is_default: bool,
    /// The draft's revision: send it back with an edit.
    pub revision: i32,
    /// The latest published version; 0 when never published.
    pub version: i32,
    /// Whether the draft differs from the published version.
    pub draft_changed: bool,
    pub updated_at: DateTime<FixedOffset>,
    pub cards: Vec<Card>,
    pub assigned_orgs: Vec<OrgId>,
    pub assigned_users: Vec<UserId>,
    /// The administrator who created the set (its owner while it is unassigned).
    pub created_by: Option<UserId>,
}

/// A published version, as frozen.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub version: i32,
    pub name: String,
    pub description: String,
    pub default_grain: Grain,
    pub published_by: Option<UserId>,
    pub published_at: DateTime<FixedOffset>,
    pub cards: Vec<FrozenCard>,
}

fn not_found(id: i32) -> StoreError {
    StoreError::NotFound(format!("card set {id} does not exist"))
}

fn stale(id: i32, current: i32, sent: i32) -> StoreError {
    StoreError::Conflict(format!(
        "card set {id} was changed by someone else (revision {current}, you edited revision {sent}); reload and try again"
    ))
}

async fn metric_codes<C: ConnectionTrait>(db: &C) -> Result<HashMap<MetricId, String>, StoreError> {
    Ok(metric::Entity::find().all(db).await?.into_iter().map(|m| (m.id, m.code)).collect())
}

pub async fn list(db: &DatabaseConnection) -> Result<Vec<CardSet>, StoreError> {
    let codes = metric_codes(db).await?;
    let mut cards: HashMap<i32, Vec<card::Model>> = HashMap::new();
    for c in card::Entity::find().order_by_asc(card::Column::Position).all(db).await? {
        cards.entry(c.card_set_id).or_default().push(c);
    }
    let mut assignments: HashMap<i32, Vec<card_set_assignment::Model>> = HashMap::new();
    for a in card_set_assignment::Entity::find().order_by_asc(card_set_assignment::Column::Id).all(db).await? {
        assignments.entry(a.card_set_id).or_default().push(a);
    }
    let sets = card_set::Entity::find().order_by_desc(card_set::Column::IsDefault).order_by_asc(card_set::Column::Id);
    Ok(sets
        .all(db)
        .await?
        .into_iter()
        .map(|s| {
            let id = s.id;
            view(s, cards.remove(&id).unwrap_or_default(), assignments.remove(&id).unwrap_or_default(), &codes)
        })
        .collect())
}

pub async fn get<C: ConnectionTrait>(db: &C, id: i32) -> Result<CardSet, StoreError> {
    let s = card_set::Entity::find_by_id(id).one(db).await?.ok_or_else(|| not_found(id))?;
    let cards = card::Entity::find()
        .filter(card::Column::CardSetId.eq(id))
        .order_by_asc(card::Column::Position)
        .all(db)
        .await?;
    let assignments = card_set_assignment::Entity::find()
        .filter(card_set_assignment::Column::CardSetId.eq(id))
        .order_by_asc(card_set_assignment::Column::Id)
        .all(db)
        .await?;
    Ok(view(s, cards, assignments, &metric_codes(db).await?))
}

fn view(
    s: card_set::Model,
    cards: Vec<card::Model>,
    assignments: Vec<card_set_assignment::Model>,
    codes: &HashMap<MetricId, String>,
) -> CardSet {
    CardSet {
        id: s.id,
        name: s.name,
        description: s.description,
        default_grain: s.default_grain,
        is_default: s.is_default,
        revision: s.revision,
        version: s.version,
        draft_changed: s.published_revision != Some(s.revision),
        created_by: s.created_by,
        updated_at: s.updated_at,
        cards: cards
            .into_iter()
            .map(|c| Card {
                id: c.id,
                metric: codes.get(&c.metric_id).cloned().unwrap_or_default(),
                title: c.title,
                comparison: c.comparison,
                target: c.target,
                spark_len: c.spark_len,
                position: c.position,
            })
            .collect(),
        assigned_orgs: assignments.iter().filter_map(|a| a.org_id).collect(),
        assigned_users: assignments.iter().filter_map(|a| a.user_id).collect(),
    }
}

async fn write_cards<C: ConnectionTrait>(db: &C, set_id: i32, cards: &[NewCard]) -> Result<(), StoreError> {
    card::Entity::delete_many().filter(card::Column::CardSetId.eq(set_id)).exec(db).await?;
    if cards.is_empty() {
        return Ok(());
    }
    let rows = (1..).zip(cards).map(|(position, c)| card::ActiveModel {
        id: NotSet,
        card_set_id: Set(set_id),
        metric_id: Set(c.metric_id),
        title: Set(c.title.clone()),
        comparison: Set(c.comparison),
        target: Set(c.target),
        spark_len: Set(c.spark_len),
        position: Set(position),
    });
    card::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// A new, unpublished set (revision 1, version 0).
pub async fn create(db: &DatabaseConnection, draft: &Draft, created_by: UserId) -> Result<CardSet, StoreError> {
    let txn = super::begin_writer(db).await?;
    let set = card_set::ActiveModel {
        id: NotSet,
        name: Set(draft.name.clone()),
        description: Set(draft.description.clone()),
        default_grain: Set(draft.default_grain),
        is_default: Set(false),
        version: Set(0),
        revision: Set(1),
        published_revision: Set(None),
        updated_at: Set(Utc::now().fixed_offset()),
        created_by: Set(Some(created_by)),
    }
    .insert(&txn)
    .await?;
    write_cards(&txn, set.id, &draft.cards).await?;
    let view = get(&txn, set.id).await?;
    txn.commit().await?;
    Ok(view)
}

/// Moves the draft from `revision` to `revision + 1`, or refuses a stale revision.
async fn claim<C: ConnectionTrait>(db: &C, id: i32, revision: i32, draft: Option<&Draft>) -> Result<(), StoreError> {
    let mut update = card_set::Entity::update_many()
        .col_expr(card_set::Column::Revision, Expr::col(card_set::Column::Revision).add(1))
        .col_expr(card_set::Column::UpdatedAt, Expr::value(Utc::now().fixed_offset()))
        .filter(card_set::Column::Id.eq(id))
        .filter(card_set::Column::Revision.eq(revision));
    if let Some(d) = draft {
        update = update
            .col_expr(card_set::Column::Name, Expr::value(d.name.clone()))
            .col_expr(card_set::Column::Description, Expr::value(d.description.clone()))
            .col_expr(card_set::Column::DefaultGrain, Expr::value(d.default_grain));
    }
    if update.exec(db).await?.rows_affected == 1 {
        return Ok(());
    }
    let current = card_set::Entity::find_by_id(id).one(db).await?.ok_or_else(|| not_found(id))?;
    Err(stale(id, current.revision, revision))
}

/// Replaces the draft (name, description, grain, the whole ordered list of cards).
pub async fn update(db: &DatabaseConnection, id: i32, revision: i32, draft: &Draft) -> Result<CardSet, StoreError> {
    let txn = super::begin_writer(db).await?;
    claim(&txn, id, revision, Some(draft)).await?;
    write_cards(&txn, id, &draft.cards).await?;
    let view = get(&txn, id).await?;
    txn.commit().await?;
    Ok(view)
}

/// Puts the draft's cards in the order of `order` (every card id of the draft, once).
pub async fn reorder(db: &DatabaseConnection, id: i32, revision: i32, order: &[i32]) -> Result<CardSet, StoreError> {
    let txn = super::begin_writer(db).await?;
    claim(&txn, id, revision, None).await?;
    let current = card::Entity::find()
        .filter(card::Column::CardSetId.eq(id))
        .order_by_asc(card::Column::Position)
        .all(&txn)
        .await?;
    let mut wanted: Vec<i32> = order.to_vec();
    wanted.sort_unstable();
    let mut have: Vec<i32> = current.iter().map(|c| c.id).collect();
    have.sort_unstable();
    if wanted != have {
        return Err(StoreError::invalid(
            "cards",
            format!("list every card of the draft exactly once: {have:?} (in the new order)"),
        ));
    }
    // Two passes: positions are unique within a set at every step.
    for sign in [-1, 1] {
        for (i, card_id) in (1..).zip(order) {
            card::Entity::update_many()
                .col_expr(card::Column::Position, Expr::value(sign * i))
                .filter(card::Column::Id.eq(*card_id))
                .exec(&txn)
                .await?;
        }
    }
    let view = get(&txn, id).await?;
    txn.commit().await?;
    Ok(view)
}

/// Freezes the draft as the next version. With `revision`, only if the draft is still that one.
pub async fn publish(
    db: &DatabaseConnection,
    id: i32,
    revision: Option<i32>,
    actor: UserId,
) -> Result<CardSet, StoreError> {
    let txn = super::begin_writer(db).await?;
    let view = publish_in(&txn, id, revision, actor).await?;
    txn.commit().await?;
    Ok(view)
}

async fn publish_in<C: ConnectionTrait>(
    db: &C,
    id: i32,
    revision: Option<i32>,
    actor: UserId,
) -> Result<CardSet, StoreError> {
    let draft = get(db, id).await?;
    if let Some(sent) = revision.filter(|r| *r != draft.revision) {
        return Err(stale(id, draft.revision, sent));
    }
    if draft.cards.is_empty() {
        return Err(StoreError::invalid("cards", "a card set without cards cannot be published"));
    }
    let next = draft.version + 1;
    let moved = card_set::Entity::update_many()
        .col_expr(card_set::Column::Version, Expr::value(next))
        .col_expr(card_set::Column::PublishedRevision, Expr::value(draft.revision))
        .col_expr(card_set::Column::UpdatedAt, Expr::value(Utc::now().fixed_offset()))
        .filter(card_set::Column::Id.eq(id))
        .filter(card_set::Column::Version.eq(draft.version))
        .filter(card_set::Column::Revision.eq(draft.revision))
        .exec(db)
        .await?;
    if moved.rows_affected != 1 {
        return Err(StoreError::Conflict(format!("card set {id} changed while it was being published; try again")));
    }
    let ids: HashMap<String, MetricId> =
        metric::Entity::find().all(db).await?.into_iter().map(|m| (m.code, m.id)).collect();
    let frozen: Vec<FrozenCard> = draft
        .cards
        .iter()
        .map(|c| FrozenCard {
            id: c.id,
            metric_id: ids.get(&c.metric).copied().unwrap_or(MetricId(0)),
            metric: c.metric.clone(),
            title: c.title.clone(),
            comparison: c.comparison.as_str().to_owned(),
            target: c.target,
            spark_len: c.spark_len,
            position: c.position,
        })
        .collect();
    let cards = serde_json::to_value(&frozen).map_err(|e| DbErr::Json(e.to_string()))?;
    card_set_version::ActiveModel {
        id: NotSet,
        card_set_id: Set(id),
        version: Set(next),
        name: Set(draft.name.clone()),
        description: Set(draft.description.clone()),
        default_grain: Set(draft.default_grain),
        cards: Set(cards),
        published_by: Set(Some(actor)),
        published_at: Set(Utc::now().fixed_offset()),
    }
    .insert(db)
    .await?;
    get(db, id).await
}

pub async fn versions(db: &DatabaseConnection, id: i32) -> Result<Vec<Version>, StoreError> {
    card_set::Entity::find_by_id(id).one(db).await?.ok_or_else(|| not_found(id))?;
    card_set_version::Entity::find()
        .filter(card_set_version::Column::CardSetId.eq(id))
        .order_by_desc(card_set_version::Column::Version)
        .all(db)
        .await?
        .into_iter()
        .map(|v| {
            Ok(Version {
                version: v.version,
                cards: frozen_cards(&v.cards)?,
                name: v.name,
                description: v.description,
                default_grain: v.default_grain,
                published_by: v.published_by,
                published_at: v.published_at,
            })
        })
        .collect()
}

/// Makes an earlier version the draft again and publishes it as a new version.
pub async fn restore(
    db: &DatabaseConnection,
    id: i32,
    version: i32,
    revision: Option<i32>,
    actor: UserId,
) -> Result<CardSet, StoreError> {
    let txn = super::begin_writer(db).await?;
    let current = get(&txn, id).await?;
    let old = card_set_version::Entity::find()
        .filter(card_set_version::Column::CardSetId.eq(id))
        .filter(card_set_version::Column::Version.eq(version))
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::invalid("version", format!("card set {id} has no version {version}")))?;
    let draft = Draft {
        cards: frozen_cards(&old.cards)?
            .into_iter()
            .map(|c| NewCard {
                metric_id: c.metric_id,
                title: c.title,
                comparison: Comparison::parse(&c.comparison).unwrap_or(Comparison::Prev),
                target: c.target,
                spark_len: c.spark_len,
            })
            .collect(),
        name: old.name,
        description: old.description,
        default_grain: old.default_grain,
    };
    claim(&txn, id, revision.unwrap_or(current.revision), Some(&draft)).await?;
    write_cards(&txn, id, &draft.cards).await?;
    let view = publish_in(&txn, id, None, actor).await?;
    txn.commit().await?;
    Ok(view)
}

/// What an assignment change moved: per org or user, the set it had before.
#[derive(Debug, Default)]
pub struct Moved {
    pub orgs: Vec<(OrgId, Option<i32>)>,
    pub users: Vec<(UserId, Option<i32>)>,
}

/// Assigns the set to `orgs` and `users` (taking them from any other set).
pub async fn assign(db: &DatabaseConnection, id: i32, orgs: &[OrgId], users: &[UserId]) -> Result<Moved, StoreError> {
    let txn = super::begin_writer(db).await?;
    card_set::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| not_found(id))?;
    let mut moved = Moved::default();
    for org in orgs {
        let previous = take_assignment(&txn, card_set_assignment::Column::OrgId.eq(*org)).await?;
        insert_assignment(&txn, id, Some(*org), None).await?;
        moved.orgs.push((*org, previous));
    }
    for user in users {
        let previous = take_assignment(&txn, card_set_assignment::Column::UserId.eq(*user)).await?;
        insert_assignment(&txn, id, None, Some(*user)).await?;
        moved.users.push((*user, previous));
    }
    txn.commit().await?;
    Ok(moved)
}

/// Removes the assignment matching `which`; returns the set it assigned.
async fn take_assignment<C: ConnectionTrait>(
    db: &C,
    which: sea_orm::sea_query::SimpleExpr,
) -> Result<Option<i32>, StoreError> {
    let before = card_set_assignment::Entity::find().filter(which).one(db).await?;
    let previous = before.as_ref().map(|a| a.card_set_id);
    if let Some(a) = before {
        card_set_assignment::Entity::delete_by_id(a.id).exec(db).await?;
    }
    Ok(previous)
}

async fn insert_assignment<C: ConnectionTrait>(
    db: &C,
    id: i32,
    org: Option<OrgId>,
    user: Option<UserId>,
) -> Result<(), StoreError> {
    card_set_assignment::ActiveModel {
        id: NotSet,
        card_set_id: Set(id),
        org_id: Set(org),
        user_id: Set(user),
        updated_at: Set(Utc::now().fixed_offset()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Removes the set's assignments to `orgs` and `users`; returns how many there were.
pub async fn unassign(db: &DatabaseConnection, id: i32, orgs: &[OrgId], users: &[UserId]) -> Result<u64, StoreError> {
    card_set::Entity::find_by_id(id).one(db).await?.ok_or_else(|| not_found(id))?;
    let mut removed = 0;
    if !orgs.is_empty() {
        removed += card_set_assignment::Entity::delete_many()
            .filter(card_set_assignment::Column::CardSetId.eq(id))
            .filter(card_set_assignment::Column::OrgId.is_in(orgs.iter().copied()))
            .exec(db)
            .await?
            .rows_affected;
    }
    if !users.is_empty() {
        removed += card_set_assignment::Entity::delete_many()
            .filter(card_set_assignment::Column::CardSetId.eq(id))
            .filter(card_set_assignment::Column::UserId.is_in(users.iter().copied()))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(removed)
}

/// Deletes a set with its cards and published versions — never the default set, never one
/// still assigned to an org or a user (whoever it reaches would silently change screens), and
/// with `revision`, only if the draft is still that revision. The check and the delete are one
/// statement, so an assignment made meanwhile is never dropped with the set. Returns the set
/// as it was.
pub async fn delete(db: &DatabaseConnection, id: i32, revision: Option<i32>) -> Result<CardSet, StoreError> {
    let set = get(db, id).await?;
    let refuse = |set: &CardSet| -> Option<StoreError> {
        if set.is_default {
            return Some(StoreError::Conflict(
                "the default card set cannot be deleted: it is everyone's fallback".into(),
            ));
        }
        if !set.assigned_orgs.is_empty() || !set.assigned_users.is_empty() {
            return Some(StoreError::Conflict(format!(
                "card set {id} is still assigned to {} org(s) and {} user(s); remove the assignments first",
                set.assigned_orgs.len(),
                set.assigned_users.len()
            )));
        }
        revision.filter(|sent| *sent != set.revision).map(|sent| stale(id, set.revision, sent))
    };
    if let Some(err) = refuse(&set) {
        return Err(err);
    }
    let unassigned = Expr::exists(
        sea_orm::sea_query::Query::select()
            .expr(Expr::val(1))
            .from(card_set_assignment::Entity)
            .and_where(Expr::col((card_set_assignment::Entity, card_set_assignment::Column::CardSetId)).eq(id))
            .to_owned(),
    )
    .not();
    let mut delete = card_set::Entity::delete_many()
        .filter(card_set::Column::Id.eq(id))
        .filter(card_set::Column::IsDefault.eq(false))
        .filter(unassigned);
    if let Some(sent) = revision {
        delete = delete.filter(card_set::Column::Revision.eq(sent));
    }
    if delete.exec(db).await?.rows_affected == 0 {
        // Changed between the read and the delete: say what changed.
        let now = get(db, id).await?;
        return Err(
            refuse(&now).unwrap_or_else(|| StoreError::Conflict(format!("card set {id} changed meanwhile; try again")))
        );
    }
    Ok(set)
}
