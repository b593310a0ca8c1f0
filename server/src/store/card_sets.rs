//! Card sets with their cards and assignments, loaded whole (they are few).

use std::collections::HashMap;
use std::sync::Arc;

use entities::{card, card_set, card_set_assignment};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder};

use crate::domain::card::Comparison;
use crate::domain::org_tree::OrgTree;
use crate::domain::period::Grain;

#[derive(Debug, Clone, PartialEq)]
pub struct CardDef {
    pub id: i32,
    pub metric_id: i32,
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
    by_user: HashMap<i32, i32>,
    by_org: HashMap<i32, i32>,
    default: Option<i32>,
}

impl CardSets {
    pub fn get(&self, id: i32) -> Option<&Arc<CardSetDef>> {
        self.sets.get(&id)
    }

    /// The default home screens: each card set with the orgs it is assigned to, and the
    /// default set with the root orgs.
    pub fn home_screens(&self, tree: &OrgTree, roots: &[i32]) -> Vec<(Arc<CardSetDef>, i32)> {
        let mut out: Vec<(Arc<CardSetDef>, i32)> = Vec::new();
        let mut by_org: Vec<(&i32, &i32)> = self.by_org.iter().collect();
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
    pub fn resolve(&self, user_id: i32, home_org: Option<i32>, tree: &OrgTree) -> Option<&Arc<CardSetDef>> {
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

pub async fn load<C: ConnectionTrait>(db: &C) -> Result<CardSets, DbErr> {
    let mut cards_by_set: HashMap<i32, Vec<CardDef>> = HashMap::new();
    for c in card::Entity::find().order_by_asc(card::Column::Position).all(db).await? {
        cards_by_set.entry(c.card_set_id).or_default().push(CardDef {
            id: c.id,
            metric_id: c.metric_id,
            title: c.title,
            comparison: Comparison::parse(&c.comparison).unwrap_or(Comparison::Prev),
            target: c.target,
            spark_len: usize::try_from(c.spark_len).unwrap_or(12).clamp(2, 60),
            position: c.position,
        });
    }
    let mut sets = CardSets::default();
    for s in card_set::Entity::find().all(db).await? {
        if s.is_default {
            sets.default = Some(s.id);
        }
        let def = CardSetDef {
            id: s.id,
            name: s.name,
            version: s.version,
            default_grain: s.default_grain.parse().unwrap_or(Grain::Day),
            cards: cards_by_set.remove(&s.id).unwrap_or_default(),
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
