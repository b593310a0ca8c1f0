//! The one authorization policy for administrative actions.
//!
//! Every admin handler and every job an administrator triggers asks [`can`] whether this
//! administrator may do this action to that target; no handler writes its own check. The rule:
//!
//! - A **province-level** administrator (whose scopes cover the whole org tree) may do anything.
//! - A **scoped** administrator acts only on targets wholly inside their subtree: a user all of
//!   whose memberships and scopes lie inside it, a card set assigned only inside it, orgs
//!   inside it. A target that straddles the boundary is outside.
//! - Province-wide things — the calendar, feed syncs and their runs, the metric catalogue, the
//!   default card set — need a province-level administrator to change them.
//! - Nobody grants a scope or a role wider than their own: a grant names orgs inside the
//!   granter's subtree, and a role is given only to users wholly inside it.

use std::fmt;

use entities::ids::{OrgId, UserId};

use crate::auth::AdminUser;
use crate::error::ApiError;
use crate::state::Snapshot;

/// What an administrator wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read something (a user, a card set, deliveries, audit entries, a preview).
    View,
    /// Change something: a user's role, status or sessions; a card set's content or
    /// assignments; send or resend briefings.
    Manage,
    /// Grant or revoke data scopes on these orgs (the target is the orgs granted).
    Grant,
    /// Change a province-wide setting: the calendar, the metric catalogue, a feed sync.
    Configure,
}

/// What the action is done to, reduced to the orgs it reaches.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Reference data every administrator reads and only a province-level one changes: the
    /// metric catalogue, the working-day calendar.
    Shared,
    /// Something that reaches every org: the calendar, the catalogue, the feed, sync runs,
    /// briefings for everyone, audit entries that name no org.
    Province,
    /// Some orgs (a scope grant, a filter, an object attached to these orgs).
    Orgs(&'a [OrgId]),
    /// A user, by the orgs they belong to and may see (memberships and scope roots).
    User { id: UserId, orgs: &'a [OrgId] },
    /// A card set: the default one, or one reaching these orgs (its assigned orgs and the
    /// orgs of its assigned users); an unassigned one belongs to whoever created it.
    CardSet { default: bool, owner: Option<UserId>, orgs: &'a [OrgId] },
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(String);

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Denied {
    /// As a `403 out_of_scope` naming the request field that held the target.
    pub fn at(self, param: &str) -> ApiError {
        ApiError::out_of_scope(param, self.0)
    }
}

impl From<Denied> for ApiError {
    fn from(d: Denied) -> ApiError {
        ApiError::Forbidden(d.0)
    }
}

/// Whether the administrator's scopes cover the whole org tree.
pub fn is_province_level(snap: &Snapshot, actor: &AdminUser) -> bool {
    !actor.scopes.is_empty() && snap.orgs.covers_all(&actor.scopes)
}

/// Whether every one of `orgs` (at least one) lies inside the administrator's subtree.
fn wholly_inside(snap: &Snapshot, actor: &AdminUser, orgs: &[OrgId]) -> bool {
    !orgs.is_empty() && orgs.iter().all(|o| snap.orgs.in_scope(*o, &actor.scopes))
}

/// The policy: `Ok` when `actor` may do `action` to `target`.
pub fn can(snap: &Snapshot, actor: &AdminUser, action: Action, target: Target<'_>) -> Result<(), Denied> {
    if is_province_level(snap, actor) {
        return Ok(());
    }
    if action == Action::Configure {
        return Err(Denied(
            "this setting affects every org: only an administrator of the whole tree may change it".into(),
        ));
    }
    match target {
        Target::Shared if action == Action::View => Ok(()),
        Target::Shared => {
            Err(Denied("this setting affects every org: only an administrator of the whole tree may change it".into()))
        }
        Target::Province => {
            Err(Denied("this reaches every org: only an administrator of the whole tree may do it".into()))
        }
        Target::Orgs(orgs) => {
            if let Some(o) = orgs.iter().find(|o| !snap.orgs.in_scope(**o, &actor.scopes)) {
                return Err(Denied(format!("org {o} is outside your scope")));
            }
            Ok(())
        }
        Target::User { id, orgs } => {
            // Anyone may see themselves; changing oneself goes through the same subtree rule.
            if id == actor.id && action == Action::View {
                return Ok(());
            }
            if wholly_inside(snap, actor, orgs) {
                Ok(())
            } else {
                Err(Denied(format!("user {id} belongs to or sees orgs outside your scope")))
            }
        }
        Target::CardSet { default: true, .. } => match action {
            // Everyone falls back to the default set: every administrator may read it.
            Action::View => Ok(()),
            _ => Err(Denied(
                "the default card set affects every org: only an administrator of the whole tree may change it".into(),
            )),
        },
        Target::CardSet { default: false, owner, orgs } => {
            if orgs.is_empty() {
                return if owner == Some(actor.id) {
                    Ok(())
                } else {
                    Err(Denied("this unassigned card set belongs to another administrator".into()))
                };
            }
            if wholly_inside(snap, actor, orgs) {
                Ok(())
            } else {
                Err(Denied("this card set is assigned outside your scope".into()))
            }
        }
    }
}

/// [`can`] as a yes or no, for filtering lists.
pub fn allows(snap: &Snapshot, actor: &AdminUser, action: Action, target: Target<'_>) -> bool {
    can(snap, actor, action, target).is_ok()
}

/// The orgs an administrator may filter by: `None` for the whole tree (no filter needed),
/// else every org inside their subtree.
pub fn visible_orgs(snap: &Snapshot, actor: &AdminUser) -> Option<Vec<OrgId>> {
    if is_province_level(snap, actor) {
        return None;
    }
    Some(snap.orgs.ids().filter(|o| snap.orgs.in_scope(*o, &actor.scopes)).collect())
}

/// The narrowest org whose subtree holds all of `orgs` (`None` when they share no root or
/// when there are none): where an audit entry about them is filed.
pub fn anchor(snap: &Snapshot, orgs: &[OrgId]) -> Option<OrgId> {
    let (first, rest) = orgs.split_first()?;
    let mut chain: Vec<OrgId> = snap.orgs.breadcrumb(*first).iter().map(|n| n.id).collect();
    for o in rest {
        let other: Vec<OrgId> = snap.orgs.breadcrumb(*o).iter().map(|n| n.id).collect();
        let common = chain.iter().zip(&other).take_while(|(a, b)| a == b).count();
        chain.truncate(common);
    }
    chain.last().copied()
}
