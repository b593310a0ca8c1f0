//! The demo's DingTalk directory: one department per node of the demo province (dept id =
//! `org.dingtalk_dept_id`, the province is the root, 1), four to six members in each, a
//! leader on each, profiles filled to varying degrees, a few members deactivated, and two
//! well-known users: `demo-admin` (administrator, leads the province) and `demo-official`
//! (leads 明州市). Deterministic: the same scale and seed give the same directory.

use entities::ids::{OrgId, UserId};
use std::collections::HashMap;

use super::model::{hash_str, mix};
use super::province;
use canmou::config::DemoScale;
use canmou::dingtalk::contacts::ROOT_DEPT_ID;
use canmou::domain::directory::completeness;
use canmou::store::orgs::NewOrg;
use canmou_sandboxes::dingtalk::fixture::{Department, Directory, User};

pub const ADMIN_USERID: &str = "demo-admin";
pub const OFFICIAL_USERID: &str = "demo-official";
/// The org `demo-official` leads: 明州市.
pub const OFFICIAL_ORG_CODE: &str = "900100";

const SURNAMES: [&str; 24] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗",
    "高", "郑", "梁", "谢", "宋",
];
const GIVEN: [&str; 30] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞",
    "平", "刚", "桂英", "建华", "文", "华", "志强", "海燕", "晓东", "立新", "思远",
];
const LEADER_TITLES: [&str; 3] = ["主任", "局长", "负责人"];
const STAFF_TITLES: [&str; 5] = ["科员", "科长", "副科长", "主任科员", "办事员"];

/// A uniform draw in [0, 1) for (seed, key, tag).
fn draw(seed: u64, key: u64, tag: u64) -> f64 {
    (mix(seed ^ mix(key ^ mix(tag))) >> 11) as f64 / (1u64 << 53) as f64
}

fn pick<'a>(items: &[&'a str], u: f64) -> &'a str {
    items[((u * items.len() as f64) as usize).min(items.len() - 1)]
}

pub fn build(scale: DemoScale, seed: u64) -> Directory {
    build_for(&province::build(scale), seed)
}

/// The directory of the demo province `nodes` (as [`province::build`] makes them).
pub fn build_for(nodes: &[NewOrg], seed: u64) -> Directory {
    let dept_of: HashMap<OrgId, i64> = nodes.iter().filter_map(|n| Some((n.id, n.dingtalk_dept_id?))).collect();
    let mut directory = Directory::default();
    for node in nodes {
        let Some(dept_id) = node.dingtalk_dept_id else { continue };
        directory.departments.push(Department {
            dept_id,
            parent_id: node.parent_id.and_then(|p| dept_of.get(&p).copied()),
            name: node.name.clone(),
            order: i64::from(node.sort_order),
        });
        let parent_dept = node.parent_id.and_then(|p| dept_of.get(&p).copied());
        let leader = match (node.parent_id, node.code.as_str()) {
            (None, _) => Some(ADMIN_USERID),
            (_, OFFICIAL_ORG_CODE) => Some(OFFICIAL_USERID),
            _ => None,
        };
        add_members(&mut directory, seed, dept_id, parent_dept, leader);
    }
    directory
}

/// Per org node id, what a directory sync of this directory computes: `(filled profile
/// fields, PROFILE_FIELDS × active members)` over the node's subtree — so the demo's
/// generated 通讯录人数 and 信息完备度 are the figures the first sync finds.
pub fn figures(nodes: &[NewOrg], seed: u64) -> HashMap<OrgId, (f64, f64)> {
    let directory = build_for(nodes, seed);
    let org_of: HashMap<i64, OrgId> = nodes.iter().filter_map(|n| Some((n.dingtalk_dept_id?, n.id))).collect();
    let parents: HashMap<OrgId, Option<OrgId>> = nodes.iter().map(|n| (n.id, n.parent_id)).collect();
    let mut filled = HashMap::new();
    let mut memberships = Vec::new();
    for (i, u) in directory.users.iter().enumerate() {
        if !u.active {
            continue;
        }
        let id = UserId(i32::try_from(i).unwrap_or(i32::MAX));
        // As the sync reads a profile (`store::directory`): seven fields, the last being a
        // position in the org below its root.
        let placed = u.dept_ids.iter().any(|d| *d != ROOT_DEPT_ID) || !u.leader_of.is_empty();
        let fields = [
            !u.name.trim().is_empty(),
            !u.title.trim().is_empty(),
            !u.mobile.trim().is_empty(),
            !u.avatar.trim().is_empty(),
            !u.email.trim().is_empty(),
            !u.job_number.trim().is_empty(),
            placed,
        ];
        filled.insert(id, fields.iter().filter(|f| **f).count() as u32);
        memberships.extend(u.dept_ids.iter().filter_map(|d| org_of.get(d)).map(|org| (id, *org)));
    }
    completeness(&parents, &memberships, &filled)
}

fn add_members(directory: &mut Directory, seed: u64, dept_id: i64, parent_dept: Option<i64>, leader: Option<&str>) {
    let key = hash_str(&dept_id.to_string());
    let count = 4 + (draw(seed, key, 1) * 3.0) as usize;
    for k in 0..count {
        let userid = match (k, leader) {
            (0, Some(id)) => id.to_owned(),
            _ => format!("u{dept_id}-{k}"),
        };
        let mut user = member(seed, &userid, dept_id, k == 0);
        if userid == ADMIN_USERID {
            user.admin = true;
            user.sys_level = 1;
        }
        // Some staff also belong to the parent department.
        if k > 0 && draw(seed, hash_str(&userid), 9) < 0.05 {
            user.dept_ids.extend(parent_dept);
        }
        directory.users.push(user);
    }
}

fn member(seed: u64, userid: &str, dept_id: i64, leads: bool) -> User {
    let key = hash_str(userid);
    let u = |tag| draw(seed, key, tag);
    let well_known = userid.starts_with("demo-");
    let filled = |tag, p: f64| well_known || u(tag) >= p;
    let name = format!("{}{}", pick(&SURNAMES, u(2)), pick(&GIVEN, u(3)));
    let title = if leads { pick(&LEADER_TITLES, u(4)) } else { pick(&STAFF_TITLES, u(4)) };
    User {
        userid: userid.to_owned(),
        unionid: format!("union{:016x}", mix(seed ^ key)),
        name,
        title: if filled(5, 0.15) { title.to_owned() } else { String::new() },
        mobile: if filled(6, 0.05) { format!("1{:010}", mix(key) % 10_000_000_000) } else { String::new() },
        avatar: if filled(7, 0.35) {
            format!("https://static.dingtalk.invalid/avatar/{userid}.png")
        } else {
            String::new()
        },
        email: if filled(8, 0.5) { format!("{userid}@gov.invalid") } else { String::new() },
        job_number: if filled(10, 0.25) { format!("GH{:06}", mix(key ^ 7) % 1_000_000) } else { String::new() },
        dept_ids: vec![dept_id],
        leader_of: if leads { vec![dept_id] } else { Vec::new() },
        active: leads || well_known || u(11) >= 0.03,
        admin: false,
        sys_level: 0,
        outside_visible_range: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_org_is_a_department_with_a_leader_and_a_few_members() {
        let directory = build(DemoScale::Standard, 7);
        let nodes = province::build(DemoScale::Standard);
        assert_eq!(directory.departments.len(), nodes.len());
        assert_eq!(directory.department(ROOT_DEPT_ID).map(|d| d.parent_id), Some(None));
        for dept in &directory.departments {
            let members = directory.members(dept.dept_id).len();
            // Four to six of its own, and a few staff of the departments below.
            assert!((4..=15).contains(&members), "{} has {members}", dept.name);
            assert_eq!(directory.leaders(dept.dept_id).len(), 1, "{}", dept.name);
        }
        assert!((2_500..=4_500).contains(&directory.users.len()), "{}", directory.users.len());
    }

    #[test]
    fn the_well_known_users_lead_the_province_and_mingzhou() {
        let directory = build(DemoScale::Standard, 7);
        let admin = directory.user(ADMIN_USERID).map(|u| (u.leader_of.clone(), u.admin, u.active));
        assert_eq!(admin, Some((vec![ROOT_DEPT_ID], true, true)));
        let official = directory.user(OFFICIAL_USERID).map(|u| u.leader_of.clone()).unwrap_or_default();
        let city = official.first().and_then(|d| directory.department(*d)).map(|d| d.name.clone());
        assert_eq!(city.as_deref(), Some("明州市"));
    }

    #[test]
    fn profiles_vary_and_the_same_seed_gives_the_same_directory() {
        let a = build(DemoScale::Standard, 7);
        assert_eq!(a, build(DemoScale::Standard, 7));
        assert_ne!(a, build(DemoScale::Standard, 8));
        let share = |f: &dyn Fn(&User) -> bool| a.users.iter().filter(|u| f(u)).count() as f64 / a.users.len() as f64;
        assert!((0.4..0.6).contains(&share(&|u| u.email.is_empty())));
        assert!((0.01..0.06).contains(&share(&|u| !u.active)));
        assert!(share(&|u| u.title.is_empty()) > 0.05);
    }
}
