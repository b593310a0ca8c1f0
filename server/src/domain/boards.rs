//! Boards: the indicator system as the product organises it — 协同, 政务服务, 移动政务, 数据治理 —
//! each a screen of sections. Every active indicator of the catalogue is on its category's
//! board: one the layout does not place (an administrator added it) goes to 其他指标. What an
//! audience sees can be narrowed by administrators: a hidden board or indicator (rules on an
//! org subtree, or on everyone).

use std::collections::BTreeSet;

use super::catalogue::{Catalogue, MetricDef};
use super::org_tree::{OrgId, OrgTree};

/// A section of a board: a heading and its indicators, in order.
#[derive(Debug, Clone, Copy)]
pub struct SectionLayout {
    pub name: &'static str,
    pub metrics: &'static [&'static str],
}

/// A board: its code (the catalogue's `category`), name and sections.
#[derive(Debug, Clone, Copy)]
pub struct BoardLayout {
    pub code: &'static str,
    pub name: &'static str,
    pub sections: &'static [SectionLayout],
}

const fn section(name: &'static str, metrics: &'static [&'static str]) -> SectionLayout {
    SectionLayout { name, metrics }
}

/// The seed's boards, in the order the phone shows them.
pub const BOARDS: [BoardLayout; 4] = [
    BoardLayout {
        code: "collab",
        name: "协同",
        sections: &[
            section(
                "活跃",
                &[
                    "collab.org_users",
                    "collab.activated_users",
                    "collab.activation_rate",
                    "collab.dau",
                    "collab.active_rate",
                ],
            ),
            section(
                "消息",
                &[
                    "collab.msg_total",
                    "collab.msg_single",
                    "collab.msg_group",
                    "collab.msg_senders",
                    "collab.groups_active",
                ],
            ),
            section("会议", &["collab.meetings", "collab.meeting_minutes", "collab.meeting_users"]),
            section("工作台", &["collab.workbench_visits", "collab.workbench_users"]),
            section("待办", &["collab.todo_created", "collab.todo_done", "collab.todo_done_rate"]),
        ],
    },
    BoardLayout {
        code: "service",
        name: "政务服务",
        sections: &[
            section(
                "实施",
                &[
                    "service.items_total",
                    "service.items_implemented",
                    "service.implementation_rate",
                    "service.decomposition_rate",
                ],
            ),
            section(
                "办理",
                &[
                    "service.cases_applied",
                    "service.cases_accepted",
                    "service.cases_completed",
                    "service.on_time_rate",
                    "service.overdue_cases",
                    "service.avg_handling_days",
                ],
            ),
            section(
                "好差评",
                &[
                    "service.reviews_total",
                    "service.reviews_bad",
                    "service.good_rate",
                    "service.satisfaction",
                    "service.rectified_rate",
                ],
            ),
            section("效能", &["service.field_sharing_rate", "service.material_sharing_rate"]),
            // Computed from the records (目录、事项、办件): each opens the records it counts.
            section(
                "目录与事项明细",
                &[
                    "records.catalog_total",
                    "records.catalog_published",
                    "records.items_total",
                    "records.items_implemented",
                    "records.implementation_rate",
                    "records.decomposition_rate",
                    "records.mobile_rate",
                    "records.zero_visit_rate",
                    "records.field_sharing_rate",
                    "records.material_sharing_rate",
                ],
            ),
            section(
                "办件明细",
                &[
                    "records.cases_completed",
                    "records.cases_overdue",
                    "records.overdue_rate",
                    "records.avg_working_days",
                    "records.good_rate",
                ],
            ),
        ],
    },
    BoardLayout {
        code: "mobile",
        name: "移动政务",
        sections: &[
            section("流量", &["mobile.pv", "mobile.uv"]),
            section("用户", &["mobile.new_users", "mobile.registered_users"]),
            section("推广", &["mobile.push_reach", "mobile.push_clicks", "mobile.push_ctr"]),
            section("应用", &["mobile.app_visits"]),
        ],
    },
    BoardLayout {
        code: "governance",
        name: "数据治理",
        sections: &[section("通讯录完备度", &["governance.directory_completeness"])],
    },
];

/// Where indicators the layout does not place go.
pub const OTHER_SECTION: &str = "其他指标";

pub fn layout(code: &str) -> Option<&'static BoardLayout> {
    BOARDS.iter().find(|b| b.code == code)
}

/// An administrator's rule: hide a board or an indicator from an audience — the users whose
/// first scope lies in an org subtree, or everyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: i32,
    /// `None`: everyone.
    pub audience: Option<OrgId>,
    pub target: Target,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    Board(String),
    Metric(String),
    /// The ranked list of an org's peers (晾晒) on a metric's page: shown unless hidden.
    Peers,
}

/// What an audience does not see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hidden {
    pub boards: BTreeSet<String>,
    pub metrics: BTreeSet<String>,
    /// No list of peers' names and values.
    pub peers: bool,
}

impl Hidden {
    /// The rules that reach a user whose first scope is `audience`: those on everyone and on
    /// the org subtrees holding it.
    pub fn for_audience(rules: &[Rule], tree: &OrgTree, audience: Option<OrgId>) -> Hidden {
        let mut hidden = Hidden::default();
        let ancestors: Vec<OrgId> =
            audience.map(|a| tree.breadcrumb(a).iter().map(|n| n.id).collect()).unwrap_or_default();
        for rule in rules {
            let applies = rule.audience.is_none_or(|org| ancestors.contains(&org));
            if !applies {
                continue;
            }
            match &rule.target {
                Target::Board(code) => {
                    hidden.boards.insert(code.clone());
                }
                Target::Metric(code) => {
                    hidden.metrics.insert(code.clone());
                }
                Target::Peers => hidden.peers = true,
            }
        }
        hidden
    }

    /// A canonical form for cache keys: answers differ by what they hide.
    pub fn key(&self) -> String {
        let boards: Vec<&str> = self.boards.iter().map(String::as_str).collect();
        let metrics: Vec<&str> = self.metrics.iter().map(String::as_str).collect();
        format!("{}|{}|{}", boards.join(","), metrics.join(","), self.peers)
    }
}

/// A board as an audience sees it: its sections with the active, visible indicators.
#[derive(Debug, Clone)]
pub struct Board<'a> {
    pub layout: &'static BoardLayout,
    pub sections: Vec<(&'static str, Vec<&'a std::sync::Arc<MetricDef>>)>,
}

impl Board<'_> {
    pub fn metric_count(&self) -> usize {
        self.sections.iter().map(|(_, m)| m.len()).sum()
    }
}

/// The boards `hidden` leaves, with their indicators; a board left without any indicator is
/// not shown.
pub fn visible<'a>(catalogue: &'a Catalogue, hidden: &Hidden) -> Vec<Board<'a>> {
    BOARDS
        .iter()
        .filter(|b| !hidden.boards.contains(b.code))
        .filter_map(|b| {
            let board = resolve(catalogue, b, hidden);
            (board.metric_count() > 0).then_some(board)
        })
        .collect()
}

fn resolve<'a>(catalogue: &'a Catalogue, layout: &'static BoardLayout, hidden: &Hidden) -> Board<'a> {
    let shown = |m: &&std::sync::Arc<MetricDef>| m.active && !hidden.metrics.contains(&m.code);
    let mut sections: Vec<(&'static str, Vec<&std::sync::Arc<MetricDef>>)> = layout
        .sections
        .iter()
        .map(|s| (s.name, s.metrics.iter().filter_map(|code| catalogue.by_code(code)).filter(shown).collect()))
        .collect();
    let placed: BTreeSet<&str> =
        BOARDS.iter().flat_map(|b| b.sections.iter().flat_map(|s| s.metrics.iter().copied())).collect();
    let mut others: Vec<&std::sync::Arc<MetricDef>> = catalogue
        .all()
        .filter(|m| m.category == layout.code && !placed.contains(m.code.as_str()))
        .filter(shown)
        .collect();
    others.sort_by(|a, b| a.code.cmp(&b.code));
    sections.push((OTHER_SECTION, others));
    sections.retain(|(_, metrics)| !metrics.is_empty());
    Board { layout, sections }
}

/// The board `code` as `hidden` leaves it; `None` when there is no such board or it is hidden.
pub fn board<'a>(catalogue: &'a Catalogue, hidden: &Hidden, code: &str) -> Option<Board<'a>> {
    let layout = layout(code)?;
    (!hidden.boards.contains(code)).then(|| resolve(catalogue, layout, hidden))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use sea_orm::ActiveEnum;

    use super::*;
    use crate::domain::catalogue::MetricId;
    use crate::domain::metric::{Direction, Kind, MetricKind};

    fn catalogue() -> Catalogue {
        let defs = migrations::seed::METRICS
            .iter()
            .enumerate()
            .map(|(i, s)| MetricDef {
                id: MetricId(i as i32 + 1),
                code: s.code.into(),
                name: s.name.into(),
                unit: s.unit.into(),
                kind: Kind::from_columns(
                    MetricKind::try_from_value(&s.kind.to_owned()).unwrap(),
                    s.part_kind.map(|p| p.parse().unwrap()),
                )
                .unwrap(),
                direction: Direction::try_from_value(&s.direction.to_owned()).unwrap(),
                precision: 0,
                description: String::new(),
                active: true,
                working_days: false,
                category: s.category.into(),
            })
            .collect();
        Catalogue::new(defs)
    }

    #[test]
    fn every_seeded_indicator_is_on_exactly_one_board() {
        let cat = catalogue();
        let boards = visible(&cat, &Hidden::default());
        let codes: Vec<&str> = boards
            .iter()
            .flat_map(|b| b.sections.iter().flat_map(|(_, ms)| ms.iter().map(|m| m.code.as_str())))
            .collect();
        assert_eq!(codes.len(), migrations::seed::METRICS.len());
        let unique: BTreeSet<&str> = codes.iter().copied().collect();
        assert_eq!(unique.len(), codes.len());
        assert!(boards.iter().all(|b| b.sections.iter().all(|(name, _)| *name != OTHER_SECTION)));
    }

    #[test]
    fn hidden_boards_and_indicators_are_left_out_for_their_audience_only() {
        let cat = catalogue();
        let node = |id: i32, parent: Option<i32>, path: &str| crate::domain::org_tree::OrgNode {
            id: OrgId(id),
            parent_id: parent.map(OrgId),
            code: format!("c{id}"),
            name: format!("org {id}"),
            kind: crate::domain::org_tree::OrgKind::Region,
            level: path.matches('/').count() as i16 - 2,
            path: path.into(),
            sort_order: id,
            active: true,
        };
        let tree = OrgTree::new(vec![node(1, None, "/1/"), node(2, Some(1), "/1/2/"), node(3, Some(1), "/1/3/")]);
        let rules = vec![
            Rule { id: 1, audience: Some(OrgId(2)), target: Target::Board("mobile".into()) },
            Rule { id: 2, audience: None, target: Target::Metric("collab.msg_group".into()) },
        ];
        let for_2 = Hidden::for_audience(&rules, &tree, Some(OrgId(2)));
        let for_3 = Hidden::for_audience(&rules, &tree, Some(OrgId(3)));
        assert!(visible(&cat, &for_2).iter().all(|b| b.layout.code != "mobile"));
        assert!(visible(&cat, &for_3).iter().any(|b| b.layout.code == "mobile"));
        assert!(board(&cat, &for_2, "mobile").is_none());
        let collab = board(&cat, &for_3, "collab").unwrap();
        let messages = collab.sections.iter().find(|(n, _)| *n == "消息").unwrap();
        assert!(messages.1.iter().all(|m| m.code != "collab.msg_group"));
        assert_ne!(for_2.key(), for_3.key());
    }
}
