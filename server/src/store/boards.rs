//! Administrators' rules hiding boards and indicators from audiences.

use chrono::Utc;
use entities::board_rule::{self, RuleKind};
use entities::ids::{OrgId, UserId};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::boards::{Rule, Target};
use crate::store::StoreError;

fn parts(target: &Target) -> (RuleKind, &str) {
    match target {
        Target::Board(code) => (RuleKind::Board, code),
        Target::Metric(code) => (RuleKind::Metric, code),
        Target::Peers => (RuleKind::Peers, ""),
    }
}

pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<Rule>, StoreError> {
    let rows = board_rule::Entity::find().order_by_asc(board_rule::Column::Id).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let target = match r.kind {
                RuleKind::Board => Target::Board(r.code),
                RuleKind::Metric => Target::Metric(r.code),
                RuleKind::Peers => Target::Peers,
            };
            Rule { id: r.id, audience: r.audience_org_id, target }
        })
        .collect())
}

/// Hides `target` from `audience`; hiding what is hidden already changes nothing. Returns the
/// rule.
pub async fn hide<C: ConnectionTrait>(
    db: &C,
    audience: Option<OrgId>,
    target: &Target,
    by: UserId,
) -> Result<Rule, StoreError> {
    if let Some(existing) = find(db, audience, target).await? {
        return Ok(existing);
    }
    let (kind, code) = parts(target);
    let row = board_rule::ActiveModel {
        id: NotSet,
        audience_org_id: Set(audience),
        kind: Set(kind),
        code: Set(code.to_owned()),
        created_by: Set(Some(by)),
        created_at: Set(Utc::now().fixed_offset()),
    }
    .insert(db)
    .await?;
    Ok(Rule { id: row.id, audience, target: target.clone() })
}

/// Shows `target` to `audience` again; returns the rule removed, if there was one.
pub async fn show<C: ConnectionTrait>(
    db: &C,
    audience: Option<OrgId>,
    target: &Target,
) -> Result<Option<Rule>, StoreError> {
    let Some(existing) = find(db, audience, target).await? else { return Ok(None) };
    board_rule::Entity::delete_by_id(existing.id).exec(db).await?;
    Ok(Some(existing))
}

async fn find<C: ConnectionTrait>(
    db: &C,
    audience: Option<OrgId>,
    target: &Target,
) -> Result<Option<Rule>, StoreError> {
    let (kind, code) = parts(target);
    let mut q =
        board_rule::Entity::find().filter(board_rule::Column::Kind.eq(kind)).filter(board_rule::Column::Code.eq(code));
    q = match audience {
        Some(org) => q.filter(board_rule::Column::AudienceOrgId.eq(org)),
        None => q.filter(board_rule::Column::AudienceOrgId.is_null()),
    };
    Ok(q.one(db).await?.map(|r| Rule { id: r.id, audience: r.audience_org_id, target: target.clone() }))
}
