//! The directory the sandbox serves: departments and users, as a test or demo mode describes
//! them. Unlike Canmou's own tables it holds everything DingTalk would, phone numbers included
//! (fake ones), so that the client's reduction to flags is exercised.

use std::collections::HashSet;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use canmou::dingtalk::contacts::ROOT_DEPT_ID;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    pub departments: Vec<Department>,
    pub users: Vec<User>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub dept_id: i64,
    /// `None` for the root (id 1).
    #[serde(default)]
    pub parent_id: Option<i64>,
    pub name: String,
    #[serde(default)]
    pub order: i64,
}

/// A member. Empty strings are fields the member has not filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub userid: String,
    pub unionid: String,
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub mobile: String,
    #[serde(default)]
    pub avatar: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub job_number: String,
    pub dept_ids: Vec<i64>,
    #[serde(default)]
    pub leader_of: Vec<i64>,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub admin: bool,
    /// 1 main admin, 2 sub-admin, 100 boss, 0 other.
    #[serde(default)]
    pub sys_level: i64,
    /// Outside the app's visible range: logging in answers 50002.
    #[serde(default)]
    pub outside_visible_range: bool,
}

fn yes() -> bool {
    true
}

impl Directory {
    /// Reads a JSON fixture.
    pub fn load(path: &Path) -> anyhow::Result<Directory> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a directory fixture", path.display()))
    }

    /// A directory with only the root department.
    pub fn with_root(name: &str) -> Directory {
        Directory {
            departments: vec![Department { dept_id: ROOT_DEPT_ID, parent_id: None, name: name.into(), order: 0 }],
            users: Vec::new(),
        }
    }

    pub fn department(&self, dept_id: i64) -> Option<&Department> {
        self.departments.iter().find(|d| d.dept_id == dept_id)
    }

    pub fn user(&self, userid: &str) -> Option<&User> {
        self.users.iter().find(|u| u.userid == userid)
    }

    /// Direct children, in display order.
    pub fn children(&self, dept_id: i64) -> Vec<&Department> {
        let mut children: Vec<&Department> =
            self.departments.iter().filter(|d| d.parent_id == Some(dept_id) && d.dept_id != dept_id).collect();
        children.sort_by_key(|d| (d.order, d.dept_id));
        children
    }

    /// Direct members of a department, in a stable order.
    pub fn members(&self, dept_id: i64) -> Vec<&User> {
        self.users.iter().filter(|u| u.dept_ids.contains(&dept_id)).collect()
    }

    pub fn leaders(&self, dept_id: i64) -> Vec<&str> {
        self.users.iter().filter(|u| u.leader_of.contains(&dept_id)).map(|u| u.userid.as_str()).collect()
    }

    /// Adds a department, or renames / moves an existing one.
    pub fn upsert_department(&mut self, dept: Department) {
        match self.departments.iter_mut().find(|d| d.dept_id == dept.dept_id) {
            Some(existing) => *existing = dept,
            None => self.departments.push(dept),
        }
    }

    /// Deletes a department and its subtree; their members leave them (a member left in no
    /// department vanishes from every listing, as in DingTalk). Returns how many went.
    pub fn delete_department(&mut self, dept_id: i64) -> usize {
        let mut gone: HashSet<i64> = HashSet::from([dept_id]);
        // Each pass adds a level of the subtree; the depth is bounded by the count.
        for _ in 0..self.departments.len() {
            let before = gone.len();
            for d in &self.departments {
                if d.parent_id.is_some_and(|p| gone.contains(&p)) {
                    gone.insert(d.dept_id);
                }
            }
            if gone.len() == before {
                break;
            }
        }
        let count = self.departments.len();
        self.departments.retain(|d| !gone.contains(&d.dept_id));
        for u in &mut self.users {
            u.dept_ids.retain(|d| !gone.contains(d));
            u.leader_of.retain(|d| !gone.contains(d));
        }
        count - self.departments.len()
    }

    pub fn upsert_user(&mut self, user: User) {
        match self.users.iter_mut().find(|u| u.userid == user.userid) {
            Some(existing) => *existing = user,
            None => self.users.push(user),
        }
    }

    /// Marks a user inactive; returns whether they exist.
    pub fn deactivate_user(&mut self, userid: &str) -> bool {
        self.users.iter_mut().find(|u| u.userid == userid).map(|u| u.active = false).is_some()
    }

    pub fn delete_user(&mut self, userid: &str) -> bool {
        let before = self.users.len();
        self.users.retain(|u| u.userid != userid);
        self.users.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, depts: &[i64]) -> User {
        User {
            userid: id.into(),
            unionid: format!("union-{id}"),
            name: id.into(),
            title: String::new(),
            mobile: String::new(),
            avatar: String::new(),
            email: String::new(),
            job_number: String::new(),
            dept_ids: depts.to_vec(),
            leader_of: Vec::new(),
            active: true,
            admin: false,
            sys_level: 0,
            outside_visible_range: false,
        }
    }

    #[test]
    fn deleting_a_department_takes_its_subtree_and_memberships() {
        let mut d = Directory::with_root("root");
        d.upsert_department(Department { dept_id: 2, parent_id: Some(1), name: "a".into(), order: 0 });
        d.upsert_department(Department { dept_id: 3, parent_id: Some(2), name: "b".into(), order: 0 });
        d.upsert_department(Department { dept_id: 4, parent_id: Some(1), name: "c".into(), order: 0 });
        d.upsert_user(user("x", &[3, 4]));
        assert_eq!(d.delete_department(2), 2);
        assert_eq!(d.children(1).len(), 1);
        assert_eq!(d.user("x").map(|u| u.dept_ids.clone()), Some(vec![4]));
    }
}
