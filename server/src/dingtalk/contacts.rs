//! The directory (通讯录): departments and their users (§3, §4).
//!
//! A user's profile is reduced to "is it filled" flags while it is read: phone numbers and
//! e-mail addresses never leave the deserializer.

use serde::Deserialize;
use serde_json::json;

use super::DingTalkClient;
use super::client::Call;
use super::error::DingTalkError;

/// The root department of every DingTalk organisation.
pub const ROOT_DEPT_ID: i64 = 1;
/// Largest page of `user/list`.
pub const MAX_PAGE_SIZE: u32 = 100;

/// A department, as `listsub` and `department/get` describe it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Department {
    pub dept_id: i64,
    pub name: String,
    /// Absent for the root.
    #[serde(default)]
    pub parent_id: Option<i64>,
    #[serde(default)]
    pub order: Option<i64>,
    /// Only from `department/get`.
    #[serde(default)]
    pub dept_manager_userid_list: Vec<String>,
}

/// A user, reduced to what Canmou keeps.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "RawUser")]
pub struct User {
    pub userid: String,
    pub unionid: Option<String>,
    pub name: String,
    pub title: Option<String>,
    pub has_mobile: bool,
    pub has_avatar: bool,
    pub has_email: bool,
    pub has_job_number: bool,
    pub dept_ids: Vec<i64>,
    /// The departments this user leads.
    pub leader_of: Vec<i64>,
    pub active: bool,
    pub admin: bool,
}

#[derive(Deserialize)]
struct RawUser {
    userid: String,
    #[serde(default)]
    unionid: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    avatar: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    job_number: String,
    #[serde(default)]
    dept_id_list: Vec<i64>,
    #[serde(default)]
    leader_in_dept: Vec<LeaderIn>,
    #[serde(default = "yes")]
    active: bool,
    #[serde(default)]
    admin: bool,
}

#[derive(Deserialize)]
struct LeaderIn {
    dept_id: i64,
    #[serde(default)]
    leader: bool,
}

fn yes() -> bool {
    true
}

fn filled(s: &str) -> bool {
    !s.trim().is_empty()
}

fn non_empty(s: String) -> Option<String> {
    if filled(&s) { Some(s) } else { None }
}

impl From<RawUser> for User {
    fn from(raw: RawUser) -> User {
        User {
            has_mobile: filled(&raw.mobile),
            has_avatar: filled(&raw.avatar),
            has_email: filled(&raw.email),
            has_job_number: filled(&raw.job_number),
            userid: raw.userid,
            unionid: non_empty(raw.unionid),
            name: raw.name,
            title: non_empty(raw.title),
            dept_ids: raw.dept_id_list,
            leader_of: raw.leader_in_dept.into_iter().filter(|l| l.leader).map(|l| l.dept_id).collect(),
            active: raw.active,
            admin: raw.admin,
        }
    }
}

/// One page of `user/list`.
#[derive(Debug, Clone, Deserialize)]
pub struct UserPage {
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub next_cursor: Option<i64>,
    #[serde(default)]
    pub list: Vec<User>,
}

impl DingTalkClient {
    /// The direct children of a department.
    pub async fn list_sub_departments(&self, dept_id: i64) -> Result<Vec<Department>, DingTalkError> {
        let body = json!({ "dept_id": dept_id, "language": "zh_CN" });
        self.call(Call::old_post("/topapi/v2/department/listsub", &body), "result").await
    }

    pub async fn department_get(&self, dept_id: i64) -> Result<Department, DingTalkError> {
        let body = json!({ "dept_id": dept_id, "language": "zh_CN" });
        self.call(Call::old_post("/topapi/v2/department/get", &body), "result").await
    }

    /// One page of a department's direct members; `size` is capped at [`MAX_PAGE_SIZE`].
    pub async fn list_users(&self, dept_id: i64, cursor: i64, size: u32) -> Result<UserPage, DingTalkError> {
        let size = size.clamp(1, MAX_PAGE_SIZE);
        let body = json!({ "dept_id": dept_id, "cursor": cursor, "size": size, "language": "zh_CN" });
        self.call(Call::old_post("/topapi/v2/user/list", &body), "result").await
    }

    pub async fn user_get(&self, userid: &str) -> Result<User, DingTalkError> {
        let body = json!({ "userid": userid, "language": "zh_CN" });
        self.call(Call::old_post("/topapi/v2/user/get", &body), "result").await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_user_keeps_flags_not_contact_details() {
        let user: User = serde_json::from_value(json!({
            "userid": "18293148161178525", "unionid": "vQR2", "name": "金华", "avatar": "",
            "state_code": "86", "mobile": "19942422224", "title": "处长", "email": "",
            "dept_id_list": [1, 42], "dept_order_list": [{"dept_id": 1, "order": 176220178909140512_i64}],
            "leader_in_dept": [{"dept_id": 1, "leader": false}, {"dept_id": 42, "leader": true}],
            "active": true, "admin": true
        }))
        .unwrap();
        assert!(user.has_mobile && !user.has_email && !user.has_avatar && !user.has_job_number);
        assert_eq!(user.title.as_deref(), Some("处长"));
        assert_eq!(user.leader_of, vec![42]);
        assert!(!format!("{user:?}").contains("19942422224"));
    }

    #[test]
    fn omitted_fields_take_defaults() {
        let user: User = serde_json::from_value(json!({"userid": "u1"})).unwrap();
        assert!(user.active && user.title.is_none() && user.dept_ids.is_empty());
    }
}
