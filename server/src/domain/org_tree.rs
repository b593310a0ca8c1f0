//! The org tree in memory: a few thousand nodes at most, so scope checks, breadcrumbs,
//! children and search never need the database.

use std::collections::HashMap;

pub use entities::ids::OrgId;
pub use entities::org::OrgKind;

/// A node as the tree needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgNode {
    pub id: OrgId,
    pub parent_id: Option<OrgId>,
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
    pub level: i16,
    /// Materialised path, `/1/7/42/`.
    pub path: String,
    pub sort_order: i32,
    pub active: bool,
}

#[derive(Debug, Clone, Default)]
pub struct OrgTree {
    nodes: Vec<OrgNode>,
    index: HashMap<OrgId, usize>,
    children: HashMap<OrgId, Vec<usize>>,
}

impl OrgTree {
    /// Builds the tree from every node; inactive nodes are kept but never listed.
    pub fn new(mut nodes: Vec<OrgNode>) -> OrgTree {
        nodes.sort_by_key(|n| (n.level, n.sort_order, n.id));
        let index = nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
        let mut children: HashMap<OrgId, Vec<usize>> = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            if let Some(p) = n.parent_id {
                children.entry(p).or_default().push(i);
            }
        }
        OrgTree { nodes, index, children }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The ids of the active nodes.
    pub fn ids(&self) -> impl Iterator<Item = OrgId> + '_ {
        self.nodes.iter().filter(|n| n.active).map(|n| n.id)
    }

    pub fn get(&self, id: OrgId) -> Option<&OrgNode> {
        self.index.get(&id).map(|i| &self.nodes[*i]).filter(|n| n.active)
    }

    /// Active children in display order.
    pub fn children(&self, id: OrgId) -> impl Iterator<Item = &OrgNode> {
        self.children.get(&id).into_iter().flatten().map(|i| &self.nodes[*i]).filter(|n| n.active)
    }

    pub fn child_count(&self, id: OrgId) -> usize {
        self.children(id).count()
    }

    /// The node and its siblings of the same kind (ranking compares like with like).
    pub fn peers(&self, id: OrgId) -> Vec<&OrgNode> {
        let Some(node) = self.get(id) else { return Vec::new() };
        match node.parent_id {
            Some(p) => self.children(p).filter(|n| n.kind == node.kind).collect(),
            None => vec![node],
        }
    }

    /// From the root down to the node itself.
    pub fn breadcrumb(&self, id: OrgId) -> Vec<&OrgNode> {
        let mut trail = Vec::new();
        let mut next = self.get(id);
        // The depth bound guards against a cycle in corrupt data.
        while let Some(n) = next.filter(|_| trail.len() < 64) {
            trail.push(n);
            next = n.parent_id.and_then(|p| self.get(p));
        }
        trail.reverse();
        trail
    }

    /// Whether `id` lies in the subtree of `root` (itself included).
    pub fn is_within(&self, id: OrgId, root: OrgId) -> bool {
        match (self.get(id), self.get(root)) {
            (Some(n), Some(r)) => n.path.starts_with(&r.path),
            _ => false,
        }
    }

    /// The ids of the subtree of `root` (itself included), inactive nodes too: records of an
    /// org deactivated since still belong to the subtree they were filed under.
    pub fn subtree(&self, root: OrgId) -> Vec<OrgId> {
        let Some(r) = self.index.get(&root).map(|i| &self.nodes[*i]) else { return Vec::new() };
        self.nodes.iter().filter(|n| n.path.starts_with(&r.path)).map(|n| n.id).collect()
    }

    /// The active top-level nodes.
    pub fn roots(&self) -> impl Iterator<Item = &OrgNode> {
        self.nodes.iter().filter(|n| n.active && n.parent_id.is_none())
    }

    /// Whether the `scopes` subtrees cover the whole tree.
    pub fn covers_all(&self, scopes: &[OrgId]) -> bool {
        self.roots().all(|r| self.in_scope(r.id, scopes))
    }

    /// Whether `id` lies in any of the `scopes` subtrees.
    pub fn in_scope(&self, id: OrgId, scopes: &[OrgId]) -> bool {
        scopes.iter().any(|root| self.is_within(id, *root))
    }

    /// Active nodes whose name contains `q`, inside the scopes, shallowest first.
    pub fn search(&self, q: &str, scopes: &[OrgId], limit: usize) -> Vec<&OrgNode> {
        let q = q.trim().to_lowercase();
        self.nodes
            .iter()
            .filter(|n| n.active && n.name.to_lowercase().contains(&q) && self.in_scope(n.id, scopes))
            .take(limit)
            .collect()
    }

    /// `东海省 / 明州市 / 东城区` for a node.
    pub fn path_names(&self, id: OrgId) -> String {
        self.breadcrumb(id).iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(" / ")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn node(id: i32, parent: Option<i32>, name: &str, kind: &str, path: &str) -> OrgNode {
        OrgNode {
            id: OrgId(id),
            parent_id: parent.map(OrgId),
            code: format!("c{id}"),
            name: name.into(),
            kind: kind.parse().unwrap(),
            level: path.matches('/').count() as i16 - 2,
            path: path.into(),
            sort_order: id,
            active: true,
        }
    }

    fn tree() -> OrgTree {
        OrgTree::new(vec![
            node(1, None, "东海省", "region", "/1/"),
            node(2, Some(1), "明州市", "region", "/1/2/"),
            node(3, Some(1), "临江市", "region", "/1/3/"),
            node(4, Some(2), "东城区", "region", "/1/2/4/"),
            node(5, Some(2), "明州市大数据局", "department", "/1/2/5/"),
            node(6, Some(2), "西湖区", "region", "/1/2/6/"),
            node(7, Some(3), "东城区", "region", "/1/3/7/"),
        ])
    }

    #[test]
    fn scope_covers_a_subtree_and_nothing_else() {
        let t = tree();
        assert!(t.in_scope(OrgId(4), &[OrgId(2)]));
        assert!(t.in_scope(OrgId(2), &[OrgId(2)]));
        assert!(!t.in_scope(OrgId(1), &[OrgId(2)]));
        assert!(!t.in_scope(OrgId(7), &[OrgId(2)]));
        assert!(!t.in_scope(OrgId(99), &[OrgId(2)]));
        assert!(t.covers_all(&[OrgId(1)]));
        assert!(!t.covers_all(&[OrgId(2), OrgId(3)]));
    }

    #[test]
    fn peers_are_siblings_of_the_same_kind() {
        let t = tree();
        let peers: Vec<i32> = t.peers(OrgId(4)).iter().map(|n| n.id.0).collect();
        assert_eq!(peers, vec![4, 6]);
        assert_eq!(t.peers(OrgId(1)).len(), 1);
    }

    #[test]
    fn search_stays_inside_the_scope() {
        let t = tree();
        let found: Vec<i32> = t.search("东城", &[OrgId(2)], 10).iter().map(|n| n.id.0).collect();
        assert_eq!(found, vec![4]);
        assert_eq!(t.search("东城", &[OrgId(1)], 10).len(), 2);
        assert_eq!(t.path_names(OrgId(4)), "东海省 / 明州市 / 东城区");
    }

    #[test]
    fn inactive_nodes_are_neither_found_nor_listed() {
        let mut nodes = vec![node(1, None, "东海省", "region", "/1/"), node(2, Some(1), "明州市", "region", "/1/2/")];
        nodes[1].active = false;
        let t = OrgTree::new(nodes);
        assert!(t.get(OrgId(2)).is_none());
        assert_eq!(t.child_count(OrgId(1)), 0);
        assert!(!t.in_scope(OrgId(2), &[OrgId(1)]));
    }
}
