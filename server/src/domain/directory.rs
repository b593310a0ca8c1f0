//! The directory's rules, without I/O: where a node sits in the tree (materialised path and
//! level), what a user may see by default, and how complete the profiles under a node are.

use std::collections::{HashMap, HashSet};

use entities::ids::{OrgId, UserId};

/// Profile fields counted by directory completeness: name, title, mobile, avatar, e-mail, job
/// number, position (placed in a department below the root, or leading one).
pub const PROFILE_FIELDS: u32 = 7;

/// The deepest tree accepted; deeper means a cycle in the parent links.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("org {0} has no root within {MAX_DEPTH} levels (a cycle in the parent links?)")]
pub struct CycleError(pub OrgId);

/// The path (`/1/7/42/`) and level (root 0) of every node, from parent links. A node whose
/// parent is unknown is treated as a root.
pub fn materialise(parents: &HashMap<OrgId, Option<OrgId>>) -> Result<HashMap<OrgId, (String, i16)>, CycleError> {
    let mut out = HashMap::with_capacity(parents.len());
    for &id in parents.keys() {
        let mut chain = vec![id];
        let mut cursor = parents.get(&id).copied().flatten();
        while let Some(parent) = cursor.filter(|p| parents.contains_key(p)) {
            if chain.len() > MAX_DEPTH {
                return Err(CycleError(id));
            }
            chain.push(parent);
            cursor = parents.get(&parent).copied().flatten();
        }
        let path: String = chain.iter().rev().map(|n| format!("/{n}")).collect::<String>() + "/";
        out.insert(id, (path, (chain.len() - 1) as i16));
    }
    Ok(out)
}

/// The orgs a user sees by default: those they lead, else those they belong to.
pub fn default_scope(leads: &[OrgId], member_of: &[OrgId]) -> Vec<OrgId> {
    let mut scope = if leads.is_empty() { member_of.to_vec() } else { leads.to_vec() };
    scope.sort_unstable();
    scope.dedup();
    scope
}

/// `(filled fields, PROFILE_FIELDS × members)` of every node with members in its subtree; a
/// member of several nodes of one subtree counts once there.
pub fn completeness(
    parents: &HashMap<OrgId, Option<OrgId>>,
    memberships: &[(UserId, OrgId)],
    filled: &HashMap<UserId, u32>,
) -> HashMap<OrgId, (f64, f64)> {
    let mut members: HashMap<OrgId, HashSet<UserId>> = HashMap::new();
    for &(user, org) in memberships {
        if !filled.contains_key(&user) {
            continue;
        }
        let mut cursor = Some(org);
        for _ in 0..=MAX_DEPTH {
            let Some(node) = cursor.filter(|n| parents.contains_key(n)) else { break };
            members.entry(node).or_default().insert(user);
            cursor = parents.get(&node).copied().flatten();
        }
    }
    members
        .into_iter()
        .map(|(org, users)| {
            let num: u32 = users.iter().filter_map(|u| filled.get(u)).sum();
            (org, (f64::from(num), f64::from(PROFILE_FIELDS) * users.len() as f64))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn o(id: i32) -> OrgId {
        OrgId(id)
    }

    fn tree() -> HashMap<OrgId, Option<OrgId>> {
        HashMap::from([(o(1), None), (o(7), Some(o(1))), (o(42), Some(o(7))), (o(8), Some(o(1)))])
    }

    #[test]
    fn paths_follow_the_parent_links() {
        let paths = materialise(&tree()).unwrap();
        assert_eq!(paths[&o(42)], ("/1/7/42/".to_owned(), 2));
        assert_eq!(paths[&o(1)], ("/1/".to_owned(), 0));
        let cycle = HashMap::from([(o(1), Some(o(2))), (o(2), Some(o(1)))]);
        assert!(materialise(&cycle).is_err());
    }

    #[test]
    fn leaders_see_what_they_lead_others_where_they_belong() {
        assert_eq!(default_scope(&[o(7)], &[o(7), o(8)]), vec![o(7)]);
        assert_eq!(default_scope(&[], &[o(8), o(42), o(8)]), vec![o(8), o(42)]);
    }

    #[test]
    fn completeness_counts_each_member_once_per_subtree() {
        // User 100 (7 fields) is in 42 and 8; user 101 (0 fields) in 42; user 102 is inactive.
        let u = UserId;
        let filled = HashMap::from([(u(100), 7), (u(101), 0)]);
        let members = [(u(100), o(42)), (u(100), o(8)), (u(101), o(42)), (u(102), o(42))];
        let c = completeness(&tree(), &members, &filled);
        assert_eq!(c[&o(42)], (7.0, 14.0));
        assert_eq!(c[&o(8)], (7.0, 7.0));
        assert_eq!(c[&o(1)], (7.0, 14.0));
        assert!(!c.contains_key(&o(99)));
    }
}
