//! The demo province's org tree: one province, its cities and districts (regions), and a set
//! of departments (委办局) under each city and district. Deterministic: the same scale gives
//! the same tree.

use canmou::config::DemoScale;
use canmou::store::orgs::NewOrg;
use entities::ids::OrgId;
use entities::org::OrgKind;

const CITIES: [&str; 11] = ["明州", "临江", "青川", "云溪", "安澜", "白沙", "松阳", "清河", "望海", "南屏", "北辰"];
/// Districts per city: 90 in all.
const DISTRICTS_PER_CITY: [usize; 11] = [9, 8, 8, 8, 8, 8, 8, 8, 8, 8, 9];
const DISTRICT_NAMES: [&str; 12] = [
    "东城区",
    "西湖区",
    "南湖区",
    "北岸区",
    "新港区",
    "高新区",
    "滨江县",
    "临溪县",
    "青山县",
    "白石县",
    "长乐市",
    "永安县",
];
const DEPARTMENTS: [&str; 20] = [
    "大数据发展管理局",
    "行政审批局",
    "市场监管局",
    "人力社保局",
    "卫生健康委",
    "公安局",
    "教育局",
    "民政局",
    "财政局",
    "自然资源局",
    "住房城乡建设局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "商务局",
    "文化广电旅游局",
    "应急管理局",
    "医疗保障局",
    "生态环境局",
    "司法局",
];

pub const PROVINCE_NAME: &str = "东海省";
pub const PROVINCE_CODE: &str = "900000";

/// The tree, parents before children, ids 1.. in depth-first order.
pub fn build(scale: DemoScale) -> Vec<NewOrg> {
    let departments = match scale {
        DemoScale::Standard => 5,
        DemoScale::Large => 20,
    };
    let mut nodes = Vec::new();
    let root = push(&mut nodes, None, PROVINCE_CODE.into(), PROVINCE_NAME.into(), OrgKind::Region, 0);
    for (c, city) in CITIES.iter().enumerate() {
        let city_code = format!("90{:02}00", c + 1);
        let city_id = push(&mut nodes, Some(root), city_code.clone(), format!("{city}市"), OrgKind::Region, c);
        add_departments(&mut nodes, city_id, &city_code, &format!("{city}市"), departments);
        for d in 0..DISTRICTS_PER_CITY[c] {
            let code = format!("90{:02}{:02}", c + 1, d + 1);
            let name = format!("{city}市{}", DISTRICT_NAMES[d % DISTRICT_NAMES.len()]);
            let district_id =
                push(&mut nodes, Some(city_id), code.clone(), name.clone(), OrgKind::Region, departments + d);
            add_departments(&mut nodes, district_id, &code, &name, departments);
        }
    }
    nodes
}

fn add_departments(nodes: &mut Vec<NewOrg>, parent: usize, region_code: &str, region_name: &str, n: usize) {
    for (k, dept) in DEPARTMENTS.iter().take(n).enumerate() {
        let short = region_name.rsplit('市').next().filter(|s| !s.is_empty()).unwrap_or(region_name);
        push(
            nodes,
            Some(parent),
            format!("{region_code}-d{:03}", k + 1),
            format!("{short}{dept}"),
            OrgKind::Department,
            k,
        );
    }
}

fn push(
    nodes: &mut Vec<NewOrg>,
    parent: Option<usize>,
    code: String,
    name: String,
    kind: OrgKind,
    sort: usize,
) -> usize {
    let index = nodes.len();
    let id = (index + 1) as i32;
    let (parent_id, level, path) = match parent.and_then(|p| nodes.get(p)) {
        Some(p) => (Some(p.id), p.level + 1, format!("{}{id}/", p.path)),
        None => (None, 0, format!("/{id}/")),
    };
    nodes.push(NewOrg {
        id: OrgId(id),
        code,
        // The province is DingTalk's root department (id 1); the rest follow the org ids.
        dingtalk_dept_id: Some(if parent.is_none() { 1 } else { 100_000 + i64::from(id) }),
        parent_id,
        name,
        kind,
        level,
        path,
        sort_order: sort as i32,
    });
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_province_has_about_600_nodes() {
        let nodes = build(DemoScale::Standard);
        assert_eq!(nodes.iter().filter(|n| n.level == 1).count(), 11);
        assert_eq!(nodes.iter().filter(|n| n.level == 2 && n.kind == OrgKind::Region).count(), 90);
        assert_eq!(nodes.iter().filter(|n| n.kind == OrgKind::Department).count(), 101 * 5);
        assert_eq!(nodes.len(), 607);
    }

    #[test]
    fn the_large_province_has_about_2000_nodes() {
        assert_eq!(build(DemoScale::Large).len(), 1 + 11 + 90 + 101 * 20);
    }

    #[test]
    fn paths_and_codes_are_consistent_and_unique() {
        let nodes = build(DemoScale::Standard);
        let mut codes: Vec<&str> = nodes.iter().map(|n| n.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), nodes.len());
        for n in &nodes {
            if let Some(parent) = n.parent_id {
                let p = &nodes[(parent.get() - 1) as usize];
                assert_eq!(n.path, format!("{}{}/", p.path, n.id));
                assert!(n.id > p.id, "parents come first");
            }
        }
        assert_eq!(nodes[0].name, "东海省");
        assert!(nodes.iter().any(|n| n.name == "明州市大数据发展管理局" && n.level == 2));
        assert!(nodes.iter().any(|n| n.name == "东城区大数据发展管理局" && n.level == 3));
    }
}
