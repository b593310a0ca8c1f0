//! Card sets as users are served them: each set's latest *published* version (never the
//! draft an administrator is editing), with the assignments, loaded whole (they are few).

use std::collections::HashMap;
use std::sync::Arc;

use entities::{card_set, card_set_assignment, card_set_version};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use entities::ids::{MetricId, OrgId, UserId};

use crate::domain::card::Comparison;
use crate::domain::org_tree::OrgTree;
use crate::domain::period::Grain;
use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq)]
pub struct CardDef {
    pub id: i32,
    pub metric_id: MetricId,
    pub title: Option<String>,
    pub comparison: Comparison,
    pub target: Option<f64>,
    pub spark_len: usize,
    pub position: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CardSetDef {
    pub id: i32,
    pub name: String,
    pub version: i32,
    pub default_grain: Grain,
    pub cards: Vec<CardDef>,
}

#[derive(Debug, Clone, Default)]
pub struct CardSets {
    sets: HashMap<i32, Arc<CardSetDef>>,
    by_user: HashMap<UserId, i32>,
    by_org: HashMap<OrgId, i32>,
    default: Option<i32>,
}

impl CardSets {
    pub fn get(&self, id: i32) -> Option<&Arc<CardSetDef>> {
        self.sets.get(&id)
    }

    /// The default home screens: each card set with the orgs it is assigned to, and the
    /// default set with the root orgs.
    pub fn home_screens(&self, tree: &OrgTree, roots: &[OrgId]) -> Vec<(Arc<CardSetDef>, OrgId)> {
        let mut out: Vec<(Arc<CardSetDef>, OrgId)> = Vec::new();
        let mut by_org: Vec<(&OrgId, &i32)> = self.by_org.iter().collect();
        by_org.sort();
        for (org, set) in by_org {
            if let (Some(set), Some(_)) = (self.sets.get(set), tree.get(*org)) {
                out.push((set.clone(), *org));
            }
        }
        if let Some(set) = self.default.and_then(|id| self.sets.get(&id)) {
            for root in roots {
                if !out.iter().any(|(s, o)| s.id == set.id && o == root) {
                    out.push((set.clone(), *root));
                }
            }
        }
        out
    }

    /// The user's own assignment, else the assignment of the nearest ancestor of their home
    /// org, else the default set.
    pub fn resolve(&self, user_id: UserId, home_org: Option<OrgId>, tree: &OrgTree) -> Option<&Arc<CardSetDef>> {
        if let Some(set) = self.by_user.get(&user_id).and_then(|id| self.sets.get(id)) {
            return Some(set);
        }
        if let Some(org) = home_org {
            for node in tree.breadcrumb(org).iter().rev() {
                if let Some(set) = self.by_org.get(&node.id).and_then(|id| self.sets.get(id)) {
                    return Some(set);
                }
            }
        }
        self.default.and_then(|id| self.sets.get(&id))
    }
}

/// A card as frozen in `card_set_versions.cards`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FrozenCard {
    pub id: i32,
    pub metric_id: MetricId,
    /// The metric's code, kept so that a frozen version reads on its own.
    pub metric: String,
    pub title: Option<String>,
    pub comparison: String,
    pub target: Option<f64>,
    pub spark_len: i16,
    pub position: i32,
}

impl FrozenCard {
    fn def(&self) -> CardDef {
        CardDef {
            id: self.id,
            metric_id: self.metric_id,
            title: self.title.clone(),
            comparison: Comparison::parse(&self.comparison).unwrap_or(Comparison::Prev),
            target: self.target,
            spark_len: usize::try_from(self.spark_len).unwrap_or(12).clamp(2, 60),
            position: self.position,
        }
    }
}

/// The cards of a frozen version, in position order.
pub fn frozen_cards(json: &serde_json::Value) -> Result<Vec<FrozenCard>, StoreError> {
    let mut cards: Vec<FrozenCard> = serde_json::from_value(json.clone())
        .map_err(|e| DbErr::Custom(format!("a card set version holds unreadable cards: {e}")))?;
    cards.sort_by_key(|c| c.position);
    Ok(cards)
}

pub async fn load<C: ConnectionTrait>(db: &C) -> Result<CardSets, StoreError> {
    let published: Vec<card_set::Model> =
        card_set::Entity::find().filter(card_set::Column::Version.gt(0)).all(db).await?;
    let mut sets = CardSets::default();
    if published.is_empty() {
        return Ok(sets);
    }
    let which = published.iter().fold(Condition::any(), |any, s| {
        any.add(
            Condition::all()
                .add(card_set_version::Column::CardSetId.eq(s.id))
                .add(card_set_version::Column::Version.eq(s.version)),
        )
    });
    let mut versions: HashMap<i32, card_set_version::Model> =
        card_set_version::Entity::find().filter(which).all(db).await?.into_iter().map(|v| (v.card_set_id, v)).collect();
    for s in published {
        // A set without its frozen version is not served rather than served from the draft.
        let Some(v) = versions.remove(&s.id) else {
            tracing::warn!(card_set = s.id, version = s.version, "published card set version missing");
            continue;
        };
        if s.is_default {
            sets.default = Some(s.id);
        }
        let def = CardSetDef {
            id: s.id,
            name: v.name,
            version: v.version,
            default_grain: v.default_grain,
            cards: frozen_cards(&v.cards)?.iter().map(FrozenCard::def).collect(),
        };
        sets.sets.insert(s.id, Arc::new(def));
    }
    for a in card_set_assignment::Entity::find().all(db).await? {
        if let Some(user) = a.user_id {
            sets.by_user.insert(user, a.card_set_id);
        }
        if let Some(org) = a.org_id {
            sets.by_org.insert(org, a.card_set_id);
        }
    }
    Ok(sets)
}
