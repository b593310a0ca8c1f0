//! The indicator catalogue of `metrics.md` and the default card set, as seeded into every
//! database by the migrations. Administrators may change names, units and descriptions later;
//! codes and kinds are the contract with the upstream feed.

/// One row of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct MetricSeed {
    pub code: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
    /// `sum`, `last`, `distinct` or `ratio`.
    pub kind: &'static str,
    /// For a ratio: how its numerator and denominator roll up (`sum`, `last`, `distinct`).
    pub part_kind: Option<&'static str>,
    /// For a ratio whose parts are catalogue metrics: their codes.
    pub numerator: Option<&'static str>,
    pub denominator: Option<&'static str>,
    /// `up` when a rise is good, `down` when a fall is.
    pub direction: &'static str,
    pub precision: i16,
    pub category: &'static str,
    pub description: &'static str,
}

const fn m(
    code: &'static str,
    name: &'static str,
    unit: &'static str,
    kind: &'static str,
    direction: &'static str,
    description: &'static str,
) -> MetricSeed {
    let category = match code.as_bytes()[0] {
        b'c' => "collab",
        b's' => "service",
        b'm' => "mobile",
        _ => "governance",
    };
    MetricSeed {
        code,
        name,
        unit,
        kind,
        part_kind: None,
        numerator: None,
        denominator: None,
        direction,
        precision: 0,
        category,
        description,
    }
}

const fn ratio(
    code: &'static str,
    name: &'static str,
    unit: &'static str,
    part_kind: &'static str,
    parts: Option<(&'static str, &'static str)>,
    direction: &'static str,
    description: &'static str,
) -> MetricSeed {
    let mut seed = m(code, name, unit, "ratio", direction, description);
    seed.part_kind = Some(part_kind);
    if let Some((num, den)) = parts {
        seed.numerator = Some(num);
        seed.denominator = Some(den);
    }
    seed.precision = if unit.as_bytes()[0] == b'%' { 1 } else { 2 };
    seed
}

pub const METRICS: &[MetricSeed] = &[
    m("collab.org_users", "通讯录人数", "人", "last", "up", "期末通讯录在册人数"),
    m("collab.activated_users", "激活人数", "人", "last", "up", "期末已激活政务钉钉的人数"),
    ratio(
        "collab.activation_rate",
        "激活率",
        "%",
        "last",
        Some(("collab.activated_users", "collab.org_users")),
        "up",
        "激活人数 ÷ 通讯录人数",
    ),
    m("collab.dau", "活跃人数", "人", "distinct", "up", "期内使用过政务钉钉的去重人数"),
    ratio(
        "collab.active_rate",
        "活跃率",
        "%",
        "distinct",
        Some(("collab.dau", "collab.org_users")),
        "up",
        "活跃人数 ÷ 通讯录人数（去重口径，不汇总）",
    ),
    m("collab.msg_total", "消息总数", "条", "sum", "up", "单聊与群聊消息之和"),
    m("collab.msg_single", "单聊消息数", "条", "sum", "up", "单聊消息条数"),
    m("collab.msg_group", "群聊消息数", "条", "sum", "up", "群聊消息条数"),
    m("collab.msg_senders", "发消息人数", "人", "distinct", "up", "期内发过消息的去重人数"),
    m("collab.groups_active", "活跃群数", "个", "distinct", "up", "期内有消息的去重群数"),
    m("collab.meetings", "会议场次", "场", "sum", "up", "视频会议场次"),
    m("collab.meeting_minutes", "会议时长", "分钟", "sum", "up", "视频会议累计时长"),
    m("collab.meeting_users", "参会人数", "人", "distinct", "up", "期内参会的去重人数"),
    m("collab.workbench_visits", "工作台应用访问次数", "次", "sum", "up", "工作台应用打开次数"),
    m("collab.workbench_users", "工作台应用访问人数", "人", "distinct", "up", "期内访问工作台应用的去重人数"),
    m("collab.todo_created", "待办创建数", "件", "sum", "up", "新建待办数"),
    m("collab.todo_done", "待办完成数", "件", "sum", "up", "完成待办数"),
    ratio(
        "collab.todo_done_rate",
        "待办完成率",
        "%",
        "sum",
        Some(("collab.todo_done", "collab.todo_created")),
        "up",
        "待办完成数 ÷ 待办创建数",
    ),
    ratio(
        "governance.directory_completeness",
        "通讯录信息完备度",
        "%",
        "last",
        None,
        "up",
        "成员已填写的资料项 ÷ 应填资料项（姓名、职务、手机、头像、邮箱、工号、组织位置），由通讯录同步计算",
    ),
    m("service.items_total", "事项目录数", "项", "last", "up", "期末政务服务事项目录数"),
    m("service.items_implemented", "已实施事项数", "项", "last", "up", "期末已实施事项数"),
    ratio(
        "service.implementation_rate",
        "实施进度",
        "%",
        "last",
        Some(("service.items_implemented", "service.items_total")),
        "up",
        "已实施事项数 ÷ 事项目录数",
    ),
    ratio("service.decomposition_rate", "拆解进度", "%", "last", None, "up", "已拆解事项数 ÷ 应拆解事项数"),
    m("service.cases_applied", "办件申请量", "件", "sum", "up", "期内提交的办件申请"),
    m("service.cases_accepted", "受理量", "件", "sum", "up", "期内受理的办件"),
    m("service.cases_completed", "办结量", "件", "sum", "up", "期内办结的办件"),
    ratio("service.on_time_rate", "按时办结率", "%", "sum", None, "up", "按时办结数 ÷ 办结量"),
    m("service.overdue_cases", "超期办件数", "件", "sum", "down", "期内超过承诺时限的办件"),
    ratio("service.avg_handling_days", "平均办理时长", "天", "sum", None, "down", "办结办件累计办理天数 ÷ 办结量"),
    m("service.reviews_total", "评价数", "条", "sum", "up", "好差评评价条数"),
    m("service.reviews_bad", "差评数", "条", "sum", "down", "差评条数"),
    ratio("service.good_rate", "好评率", "%", "sum", None, "up", "好评数 ÷ 评价数"),
    ratio("service.satisfaction", "平均满意度", "分", "sum", None, "up", "评分之和 ÷ 评价数（五分制）"),
    ratio("service.rectified_rate", "差评整改率", "%", "sum", None, "up", "已整改差评 ÷ 差评数"),
    ratio("service.field_sharing_rate", "字段共享率", "%", "last", None, "up", "通过共享获取的字段 ÷ 应填字段"),
    ratio("service.material_sharing_rate", "材料共享率", "%", "last", None, "up", "通过共享获取的材料 ÷ 应交材料"),
    m("mobile.pv", "访问量", "次", "sum", "up", "掌上办与服务门户页面访问次数"),
    m("mobile.uv", "访客数", "人", "distinct", "up", "期内去重访客数"),
    m("mobile.new_users", "新增用户", "人", "sum", "up", "期内新注册用户"),
    m("mobile.registered_users", "注册用户", "人", "last", "up", "期末累计注册用户"),
    m("mobile.push_reach", "推广触达", "人次", "sum", "up", "推广消息触达人次"),
    m("mobile.push_clicks", "推广点击", "次", "sum", "up", "推广消息点击次数"),
    ratio(
        "mobile.push_ctr",
        "推广点击率",
        "%",
        "sum",
        Some(("mobile.push_clicks", "mobile.push_reach")),
        "up",
        "推广点击 ÷ 推广触达",
    ),
    m("mobile.app_visits", "应用访问次数", "次", "sum", "up", "掌上办应用访问次数"),
];

/// A card of the default card set: metric code, comparison, target.
#[derive(Debug, Clone, Copy)]
pub struct CardSeed {
    pub metric: &'static str,
    pub comparison: &'static str,
    pub target: Option<f64>,
}

pub const DEFAULT_CARD_SET_NAME: &str = "默认卡片集";

pub const DEFAULT_CARDS: [CardSeed; 8] = [
    CardSeed { metric: "collab.activation_rate", comparison: "prev", target: None },
    CardSeed { metric: "collab.active_rate", comparison: "prev", target: None },
    CardSeed { metric: "collab.msg_total", comparison: "prev", target: None },
    CardSeed { metric: "service.cases_completed", comparison: "yoy", target: None },
    CardSeed { metric: "service.on_time_rate", comparison: "target", target: Some(0.98) },
    CardSeed { metric: "service.good_rate", comparison: "target", target: Some(0.99) },
    CardSeed { metric: "mobile.pv", comparison: "yoy", target: None },
    CardSeed { metric: "governance.directory_completeness", comparison: "prev", target: None },
];

/// Indicators driven by the working week: their day-grain 环比 compares a working day with the
/// previous working day and a rest day with the previous rest day (a Saturday is never read
/// against a Friday).
pub const WORKING_DAY_METRICS: &[&str] = &[
    "collab.dau",
    "collab.active_rate",
    "collab.msg_total",
    "collab.msg_single",
    "collab.msg_group",
    "collab.msg_senders",
    "collab.groups_active",
    "collab.meetings",
    "collab.meeting_minutes",
    "collab.meeting_users",
    "collab.workbench_visits",
    "collab.workbench_users",
    "collab.todo_created",
    "collab.todo_done",
    "collab.todo_done_rate",
    "service.cases_applied",
    "service.cases_accepted",
    "service.cases_completed",
    "service.overdue_cases",
    "service.reviews_total",
    "service.reviews_bad",
];
