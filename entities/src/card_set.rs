use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::grain::Grain;
use crate::ids::UserId;

/// A curated set of cards. `version` is the latest published version (0: never published) and
/// moves on every publish; `revision` moves on every edit of the draft (the `cards` rows).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "card_sets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub description: String,
    pub default_grain: Grain,
    pub is_default: bool,
    pub version: i32,
    pub revision: i32,
    /// The draft revision the latest version was published from.
    pub published_revision: Option<i32>,
    pub updated_at: DateTimeWithTimeZone,
    /// Who created the set: an unassigned set is theirs alone (besides province administrators).
    pub created_by: Option<UserId>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
