//! The records behind the numbers (`detail-feed.md`): the three kinds, their columns, filters
//! and sort keys as the query API exposes them, the opaque keyset cursor, the overdue rule and
//! the drill-through link from a records-backed metric to the list of what it counts.
//!
//! Everything here is pure: the store turns a [`Query`] into SQL, the routes parse requests
//! into one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::period::Period;
use entities::ids::OrgId;

/// The three kinds of records (stored through sea-orm as `user_columns.kind`).
pub use entities::user_column::RecordKind;

/// What the query API exposes of a kind of records: columns, filters, sort keys.
pub trait KindSchema {
    fn default_columns(self) -> &'static [&'static str];
    fn default_sort(self) -> Sort;
    fn columns(self) -> &'static [Column];
    fn column(self, key: &str) -> Option<&'static Column>;
    fn filters(self) -> &'static [FilterDef];
    fn search_columns(self) -> &'static [&'static str];
}

impl KindSchema for RecordKind {
    /// The column set shown when the caller neither asks nor has saved one.
    fn default_columns(self) -> &'static [&'static str] {
        match self {
            RecordKind::Catalog => &["code", "name", "org", "category", "status", "statusAt"],
            RecordKind::Items => &["code", "name", "org", "implementation", "onlineLevel", "mobile"],
            RecordKind::Cases => &["caseNo", "itemName", "org", "acceptedAt", "result", "workingDays", "overdue"],
        }
    }

    /// Where a list is sorted when the caller does not say.
    fn default_sort(self) -> Sort {
        match self {
            RecordKind::Catalog | RecordKind::Items => Sort { key: "code", descending: false },
            RecordKind::Cases => Sort { key: "acceptedAt", descending: true },
        }
    }

    /// The columns of the kind, in their natural order.
    fn columns(self) -> &'static [Column] {
        match self {
            RecordKind::Catalog => CATALOG_COLUMNS,
            RecordKind::Items => ITEM_COLUMNS,
            RecordKind::Cases => CASE_COLUMNS,
        }
    }

    fn column(self, key: &str) -> Option<&'static Column> {
        self.columns().iter().find(|c| c.key == key)
    }

    /// The filters the kind takes, besides `org` and `q`.
    fn filters(self) -> &'static [FilterDef] {
        match self {
            RecordKind::Catalog => CATALOG_FILTERS,
            RecordKind::Items => ITEM_FILTERS,
            RecordKind::Cases => CASE_FILTERS,
        }
    }

    /// Columns `q` searches by substring.
    fn search_columns(self) -> &'static [&'static str] {
        match self {
            RecordKind::Catalog => &["name", "code"],
            RecordKind::Items => &["name", "code"],
            RecordKind::Cases => &["case_no", "item_name", "item_code"],
        }
    }
}

/// How a column's stored value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    Int,
    Bool,
    /// A day number, shown as `YYYY-MM-DD`.
    Day,
    /// Unix seconds, shown in business time.
    Instant,
    /// An org id, shown as the org's name.
    Org,
}

/// A column of a record table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The API's name (`caseNo`).
    pub key: &'static str,
    /// The header (`办件编号`).
    pub label: &'static str,
    /// The stored column.
    pub sql: &'static str,
    pub ty: ColumnType,
    /// Whether the list may be sorted by it (non-null columns only: the keyset needs a total
    /// order).
    pub sortable: bool,
}

const fn col(key: &'static str, label: &'static str, sql: &'static str, ty: ColumnType, sortable: bool) -> Column {
    Column { key, label, sql, ty, sortable }
}

use ColumnType::{Bool, Day, Instant, Int, Org, Text};

const CATALOG_COLUMNS: &[Column] = &[
    col("id", "记录ID", "id", Text, false),
    col("code", "目录编码", "code", Text, true),
    col("name", "目录名称", "name", Text, true),
    col("org", "所属机构", "org_id", Org, false),
    col("level", "层级", "level", Text, false),
    col("category", "类别", "category", Text, false),
    col("status", "状态", "status", Text, false),
    col("statusAt", "状态变更日期", "status_day", Day, false),
    col("updatedAt", "更新时间", "updated_at", Instant, true),
];

const ITEM_COLUMNS: &[Column] = &[
    col("id", "记录ID", "id", Text, false),
    col("code", "事项编码", "code", Text, true),
    col("name", "事项名称", "name", Text, true),
    col("org", "实施机构", "org_id", Org, false),
    col("catalogCode", "目录编码", "catalog_code", Text, false),
    col("implementation", "实施状态", "implementation", Text, false),
    col("onlineLevel", "网办深度", "online_level", Int, true),
    col("mobile", "掌上可办", "mobile", Bool, false),
    col("zeroVisit", "跑零次", "zero_visit", Bool, false),
    col("sharedFields", "共享字段数", "shared_fields", Int, false),
    col("totalFields", "字段总数", "total_fields", Int, false),
    col("sharedMaterials", "共享材料数", "shared_materials", Int, false),
    col("totalMaterials", "材料总数", "total_materials", Int, false),
    col("implementedAt", "实施日期", "implemented_day", Day, false),
    col("updatedAt", "更新时间", "updated_at", Instant, true),
];

const CASE_COLUMNS: &[Column] = &[
    col("id", "记录ID", "id", Text, false),
    col("caseNo", "办件编号", "case_no", Text, true),
    col("itemCode", "事项编码", "item_code", Text, false),
    col("itemName", "事项名称", "item_name", Text, false),
    col("org", "办理机构", "org_id", Org, false),
    col("channel", "申办渠道", "channel", Text, false),
    col("applicantKind", "申请人类型", "applicant_kind", Text, false),
    col("acceptedAt", "受理时间", "accepted_at", Instant, true),
    col("completedAt", "办结时间", "completed_at", Instant, false),
    col("legalDays", "法定时限(工作日)", "legal_days", Int, false),
    col("promisedDays", "承诺时限(工作日)", "promised_days", Int, false),
    col("workingDays", "已用工作日", "working_days", Int, true),
    col("result", "办理结果", "result", Text, false),
    col("rating", "评价", "rating", Int, false),
    col("overdue", "是否超期", "overdue", Bool, false),
    col("updatedAt", "更新时间", "updated_at", Instant, true),
];

/// What a filter compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterType {
    /// One of the listed values (several may be given, comma-separated).
    OneOf(&'static [&'static str]),
    /// Any text, compared for equality (several comma-separated).
    Text,
    Bool,
    /// A date; the column is a day number; `>=` for a `From`, `<=` for a `To` filter.
    DayFrom,
    DayTo,
}

/// A query parameter that filters a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterDef {
    pub param: &'static str,
    pub sql: &'static str,
    pub ty: FilterType,
}

const fn filter(param: &'static str, sql: &'static str, ty: FilterType) -> FilterDef {
    FilterDef { param, sql, ty }
}

pub const LEVELS: &[&str] = &["province", "city", "county"];
pub const CATALOG_STATUSES: &[&str] = &["draft", "published", "suspended", "cancelled"];
pub const IMPLEMENTATIONS: &[&str] = &["not_started", "decomposed", "implemented"];
pub const CHANNELS: &[&str] = &["window", "online", "mobile"];
pub const APPLICANT_KINDS: &[&str] = &["person", "legal_person"];
pub const RESULTS: &[&str] = &["completed", "rejected", "returned", "open"];

const CATALOG_FILTERS: &[FilterDef] = &[
    filter("status", "status", FilterType::OneOf(CATALOG_STATUSES)),
    filter("level", "level", FilterType::OneOf(LEVELS)),
    filter("category", "category", FilterType::Text),
    filter("code", "code", FilterType::Text),
];

const ITEM_FILTERS: &[FilterDef] = &[
    filter("implementation", "implementation", FilterType::OneOf(IMPLEMENTATIONS)),
    filter("catalogCode", "catalog_code", FilterType::Text),
    filter("code", "code", FilterType::Text),
    filter("mobile", "mobile", FilterType::Bool),
    filter("zeroVisit", "zero_visit", FilterType::Bool),
];

const CASE_FILTERS: &[FilterDef] = &[
    filter("channel", "channel", FilterType::OneOf(CHANNELS)),
    filter("result", "result", FilterType::OneOf(RESULTS)),
    filter("applicantKind", "applicant_kind", FilterType::OneOf(APPLICANT_KINDS)),
    filter("overdue", "overdue", FilterType::Bool),
    filter("item", "item_code", FilterType::Text),
    filter("caseNo", "case_no", FilterType::Text),
    filter("acceptedFrom", "accepted_day", FilterType::DayFrom),
    filter("acceptedTo", "accepted_day", FilterType::DayTo),
    filter("completedFrom", "completed_day", FilterType::DayFrom),
    filter("completedTo", "completed_day", FilterType::DayTo),
];

/// The Chinese names of a column's enumerated values (`completed` → `办结`), in the order the
/// contract lists them; empty for a column that is not enumerated. Files and both front ends
/// show these names, never the wire values.
pub fn value_labels(column: &str) -> &'static [(&'static str, &'static str)] {
    match column {
        "status" => &[("draft", "草稿"), ("published", "已发布"), ("suspended", "已暂停"), ("cancelled", "已取消")],
        "level" => &[("province", "省级"), ("city", "市级"), ("county", "县级")],
        "implementation" => &[("not_started", "未实施"), ("decomposed", "已拆解"), ("implemented", "已实施")],
        "channel" => &[("window", "窗口"), ("online", "网上"), ("mobile", "掌上")],
        "applicantKind" => &[("person", "个人"), ("legal_person", "法人")],
        "result" => &[("completed", "办结"), ("rejected", "不予受理"), ("returned", "退回"), ("open", "在办")],
        _ => &[],
    }
}

/// The Chinese name of one enumerated value.
pub fn value_label(column: &str, value: &str) -> Option<&'static str> {
    value_labels(column).iter().find(|(v, _)| *v == value).map(|(_, label)| *label)
}

/// A checked filter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterValue {
    /// Equal to one of these.
    Texts(Vec<String>),
    Bool(bool),
    /// A day number.
    Day(i32),
}

/// A parameter at fault: the API answers `400 invalid_parameter` naming it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid parameter `{param}`: {reason}")]
pub struct Invalid {
    pub param: String,
    pub reason: String,
}

pub fn invalid(param: &str, reason: impl Into<String>) -> Invalid {
    Invalid { param: param.to_owned(), reason: reason.into() }
}

impl FilterDef {
    /// Parses the raw parameter.
    pub fn parse(&self, raw: &str) -> Result<FilterValue, Invalid> {
        let raw = raw.trim();
        match self.ty {
            FilterType::OneOf(allowed) => {
                let values = split(raw);
                if values.is_empty() {
                    return Err(invalid(self.param, "empty"));
                }
                if let Some(bad) = values.iter().find(|v| !allowed.contains(&v.as_str())) {
                    return Err(invalid(self.param, format!("`{bad}` is not one of {}", allowed.join(", "))));
                }
                Ok(FilterValue::Texts(values))
            }
            FilterType::Text => {
                let values = split(raw);
                if values.is_empty() || values.len() > 100 || values.iter().any(|v| v.chars().count() > 100) {
                    return Err(invalid(self.param, "expected 1 to 100 values of at most 100 characters"));
                }
                Ok(FilterValue::Texts(values))
            }
            FilterType::Bool => match raw {
                "true" | "1" => Ok(FilterValue::Bool(true)),
                "false" | "0" => Ok(FilterValue::Bool(false)),
                _ => Err(invalid(self.param, format!("`{raw}` is not true or false"))),
            },
            FilterType::DayFrom | FilterType::DayTo => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(|d| FilterValue::Day(crate::domain::period::day_number(d)))
                .map_err(|_| invalid(self.param, format!("`{raw}` is not a date (expected YYYY-MM-DD)"))),
        }
    }
}

fn split(raw: &str) -> Vec<String> {
    raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// The order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: &'static str,
    pub descending: bool,
}

impl Sort {
    /// `acceptedAt` (ascending) or `-acceptedAt` (descending), among the kind's sortable
    /// columns.
    pub fn parse(kind: RecordKind, raw: &str) -> Result<Sort, Invalid> {
        let raw = raw.trim();
        let (descending, key) = match raw.strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, raw.strip_prefix('+').unwrap_or(raw)),
        };
        match kind.column(key) {
            Some(c) if c.sortable => Ok(Sort { key: c.key, descending }),
            _ => {
                let allowed: Vec<&str> = kind.columns().iter().filter(|c| c.sortable).map(|c| c.key).collect();
                Err(invalid(
                    "sort",
                    format!("`{raw}` is not one of {} (prefix `-` for descending)", allowed.join(", ")),
                ))
            }
        }
    }

    pub fn column(&self, kind: RecordKind) -> Option<&'static Column> {
        kind.column(self.key)
    }

    fn canonical(&self) -> String {
        format!("{}{}", if self.descending { "-" } else { "" }, self.key)
    }
}

/// The chosen columns: `columns=code,name`, checked against the kind.
pub fn parse_columns(kind: RecordKind, raw: &str) -> Result<Vec<&'static Column>, Invalid> {
    let keys = split(raw);
    if keys.is_empty() {
        return Err(invalid("columns", "name at least one column"));
    }
    let mut out: Vec<&'static Column> = Vec::with_capacity(keys.len());
    for key in &keys {
        let c = kind.column(key).ok_or_else(|| {
            let all: Vec<&str> = kind.columns().iter().map(|c| c.key).collect();
            invalid("columns", format!("`{key}` is not a column of {kind}: {}", all.join(", ")))
        })?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// A checked record query: everything that decides which rows, and in what order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub kind: RecordKind,
    /// The org subtree asked for (`None`: the caller's whole scope).
    pub org: Option<OrgId>,
    /// A search by substring, already trimmed; `None` when absent or blank.
    pub q: Option<String>,
    /// Filters in the kind's declaration order.
    pub filters: Vec<(FilterDef, FilterValue)>,
    pub sort: Sort,
}

impl Query {
    /// A stable digest of what decides the rows: a cursor carries it, so a cursor from another
    /// query (or another kind) is refused.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.kind.as_str());
        h.update([0]);
        h.update(self.org.map(|o| o.to_string()).unwrap_or_default());
        h.update([0]);
        h.update(self.q.as_deref().unwrap_or(""));
        h.update([0]);
        for (f, v) in &self.filters {
            h.update(f.param);
            h.update(format!("={v:?}"));
            h.update([0]);
        }
        h.update(self.sort.canonical());
        let digest = h.finalize();
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

/// The sort key of the last row of a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortValue {
    Int(i64),
    Text(String),
}

/// Where the next page starts: after (`value`, `id`) in the query's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "h")]
    pub hash: String,
    #[serde(rename = "v")]
    pub value: SortValue,
    #[serde(rename = "i")]
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Decodes a cursor and checks that it belongs to `query`.
    pub fn decode(raw: &str, query: &Query) -> Result<Cursor, Invalid> {
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| invalid("cursor", "malformed"))?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| invalid("cursor", "malformed"))?;
        if cursor.hash != query.hash() {
            return Err(invalid("cursor", "it belongs to another query; start again without a cursor"));
        }
        let is_int = matches!(query.sort.column(query.kind).map(|c| c.ty), Some(ColumnType::Int | ColumnType::Instant));
        if is_int != matches!(cursor.value, SortValue::Int(_)) {
            return Err(invalid("cursor", "malformed"));
        }
        Ok(cursor)
    }
}

/// The largest page.
pub const MAX_LIMIT: usize = 200;
/// The default page.
pub const DEFAULT_LIMIT: usize = 50;
/// Totals are counted exactly up to this; beyond it the answer says "more than".
pub const COUNT_CAP: u64 = 10_000;
/// The most rows an export holds.
pub const EXPORT_CAP: usize = 100_000;

pub fn parse_limit(raw: Option<&str>) -> Result<usize, Invalid> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(raw) => match raw.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(invalid("limit", format!("`{raw}` is not a number from 1 to {MAX_LIMIT}"))),
        },
    }
}

/// A case is overdue when its working days exceed the promise, or the legal limit where no
/// promise is set.
pub fn is_overdue(working_days: i32, promised_days: Option<i32>, legal_days: i32) -> bool {
    working_days > promised_days.filter(|p| *p > 0).unwrap_or(legal_days)
}

/// The records-backed metrics and what their figures count: the query string (after `org`)
/// of the list a card or breakdown row opens.
fn drill_filters(code: &str, period: Period) -> Option<(RecordKind, String)> {
    let completed = || {
        format!(
            "completedFrom={}&completedTo={}",
            period.start().format("%Y-%m-%d"),
            period.last_day().format("%Y-%m-%d")
        )
    };
    Some(match code {
        "records.catalog_total" => (RecordKind::Catalog, "status=draft,published,suspended".into()),
        "records.catalog_published" => (RecordKind::Catalog, "status=published".into()),
        "records.items_total"
        | "records.implementation_rate"
        | "records.decomposition_rate"
        | "records.mobile_rate"
        | "records.zero_visit_rate"
        | "records.field_sharing_rate"
        | "records.material_sharing_rate" => (RecordKind::Items, String::new()),
        "records.items_implemented" => (RecordKind::Items, "implementation=implemented".into()),
        "records.cases_completed" | "records.avg_working_days" | "records.good_rate" | "records.overdue_rate" => {
            (RecordKind::Cases, completed())
        }
        "records.cases_overdue" => (RecordKind::Cases, format!("{}&overdue=true", completed())),
        _ => return None,
    })
}

/// The API path of the record list behind a records-backed metric's figure for `org` and
/// `period` (what the mini-program turns into its list page); `None` for other metrics.
pub fn drill_link(code: &str, org: OrgId, period: Period) -> Option<String> {
    let (kind, filters) = drill_filters(code, period)?;
    let mut link = format!("/api/v1/records/{kind}?org={org}");
    if !filters.is_empty() {
        link.push('&');
        link.push_str(&filters);
    }
    Some(link)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::period::Grain;

    fn query(sort: &str) -> Query {
        Query {
            kind: RecordKind::Cases,
            org: Some(OrgId(2)),
            q: None,
            filters: Vec::new(),
            sort: Sort::parse(RecordKind::Cases, sort).unwrap(),
        }
    }

    #[test]
    fn sort_keys_come_from_a_whitelist() {
        assert_eq!(
            Sort::parse(RecordKind::Cases, "-acceptedAt").unwrap(),
            Sort { key: "acceptedAt", descending: true }
        );
        assert_eq!(Sort::parse(RecordKind::Items, "name").unwrap(), Sort { key: "name", descending: false });
        assert_eq!(Sort::parse(RecordKind::Cases, "completedAt").unwrap_err().param, "sort");
        assert!(Sort::parse(RecordKind::Cases, "case_no; DROP TABLE x").is_err());
    }

    #[test]
    fn a_cursor_belongs_to_its_query() {
        let q = query("-acceptedAt");
        let c = Cursor { hash: q.hash(), value: SortValue::Int(42), id: "a".into() };
        assert_eq!(Cursor::decode(&c.encode(), &q).unwrap(), c);
        let other = Query { org: Some(OrgId(3)), ..q.clone() };
        assert_eq!(Cursor::decode(&c.encode(), &other).unwrap_err().param, "cursor");
        assert!(Cursor::decode("not-a-cursor!", &q).is_err());
        let by_no = query("caseNo");
        let text = Cursor { hash: by_no.hash(), value: SortValue::Int(1), id: "a".into() };
        assert!(Cursor::decode(&text.encode(), &by_no).is_err(), "a number where the key is text");
    }

    #[test]
    fn filters_check_their_values() {
        let status = CATALOG_FILTERS[0];
        assert_eq!(
            status.parse("published,draft").unwrap(),
            FilterValue::Texts(vec!["published".into(), "draft".into()])
        );
        assert_eq!(status.parse("gone").unwrap_err().param, "status");
        let overdue = CASE_FILTERS[3];
        assert_eq!(overdue.parse("true").unwrap(), FilterValue::Bool(true));
        assert!(overdue.parse("yes").is_err());
        assert!(CASE_FILTERS[6].parse("2026-13-01").is_err());
    }

    #[test]
    fn columns_are_checked_and_deduplicated() {
        let cols = parse_columns(RecordKind::Cases, "caseNo,itemName,caseNo").unwrap();
        assert_eq!(cols.iter().map(|c| c.key).collect::<Vec<_>>(), ["caseNo", "itemName"]);
        assert_eq!(parse_columns(RecordKind::Cases, "caseNo,applicantName").unwrap_err().param, "columns");
    }

    #[test]
    fn overdue_follows_the_promise_else_the_legal_limit() {
        assert!(is_overdue(6, Some(5), 10));
        assert!(!is_overdue(5, Some(5), 10));
        assert!(!is_overdue(8, None, 10));
        assert!(is_overdue(11, None, 10));
    }

    #[test]
    fn the_overdue_card_opens_the_overdue_cases_of_its_org_and_period() {
        let p = Period::containing(Grain::Month, NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        assert_eq!(
            drill_link("records.cases_overdue", OrgId(2), p).unwrap(),
            "/api/v1/records/cases?org=2&completedFrom=2026-11-01&completedTo=2026-11-30&overdue=true"
        );
        assert!(drill_link("collab.msg_total", OrgId(2), p).is_none());
    }
}
