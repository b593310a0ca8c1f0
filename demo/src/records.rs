//! The demo province's records (`detail-feed.md`): a catalogue and items for every leaf
//! department, and about a year of cases with a believable shape — most within the promise, a
//! tail of overdue ones concentrated in a few items and departments. Everything is drawn from
//! the seed and the org's code, so the history written at start-up and the days the sandbox
//! serves later agree.

use entities::ids::OrgId;
use entities::org::OrgKind;
use std::time::Instant;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Weekday};
use sea_orm::{DatabaseConnection, Value};
use serde_json::json;

use canmou::domain::period::day_number;
use canmou::domain::records::{RecordKind, is_overdue};
use canmou::store::orgs::NewOrg;
use canmou::workers::records::Upsert;
use canmou_sandboxes::feed::rfc3339;

/// What the departments' items are about, by department type (the generic list for the rest).
const SUBJECTS: [&[&str]; 6] = [
    &["公共数据开放", "数据共享申请", "电子证照", "政务云资源", "一件事联办"],
    &["企业投资项目", "建设工程规划", "施工许可", "社会团体", "民办非企业单位", "中介服务"],
    &["个体工商户", "食品经营", "药品零售", "特种设备", "计量器具", "广告发布", "企业名称"],
    &["社会保障卡", "失业保险金", "职业技能等级", "养老保险关系", "工伤认定", "创业补贴"],
    &["医疗机构执业", "护士执业", "母婴保健技术", "公共场所卫生", "出生医学证明"],
    &["居民身份证", "户口迁移", "出入境证件", "机动车登记", "驾驶证"],
];
const GENERIC: &[&str] = &["行政许可", "资质认定", "信息公开", "专项资金", "政策兑现", "投诉举报"];
const ACTIONS: [&str; 6] = ["办理", "变更", "注销", "延续", "补办", "查询"];
const CATEGORIES: [&str; 4] = ["行政许可", "行政给付", "行政确认", "公共服务"];
/// Calendar days a case may stay open, at most (a bound for what completes on a day).
const MAX_OPEN_DAYS: u64 = 45;

fn mix(mut x: u64) -> u64 {
    // splitmix64: a well-spread hash of the seed and the parts of a key.
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn hash(parts: &[u64]) -> u64 {
    parts.iter().fold(0x5eed, |h, p| mix(h ^ p))
}

/// A uniform draw in `[0, 1)`.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

fn text_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// A leaf department and its items.
#[derive(Debug, Clone)]
struct Dept {
    org_id: i32,
    code: String,
    key: u64,
    /// Item names.
    items: Vec<String>,
    /// Cases per item per working day.
    rate: f64,
    /// Overdue propensity of the department (a few are slow).
    slow: f64,
    level: &'static str,
}

/// One generated case, in its final state.
#[derive(Debug, Clone)]
pub struct Case {
    dept: usize,
    item: usize,
    seq: u32,
    accepted: NaiveDate,
    accepted_at: i64,
    legal: i32,
    promised: i32,
    /// Working days to completion.
    days: i32,
    completed: NaiveDate,
    completed_at: i64,
    result: &'static str,
    rating: Option<i32>,
    channel: &'static str,
    applicant: &'static str,
}

/// The demo province's records.
#[derive(Debug, Clone)]
pub struct RecordModel {
    seed: u64,
    depts: Vec<Dept>,
    tz: chrono_tz::Tz,
}

fn add_working_days(mut d: NaiveDate, n: i32) -> NaiveDate {
    let mut left = n;
    while left > 0 {
        d = d + Days::new(1);
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    d
}

fn working_days_between(from: NaiveDate, to: NaiveDate) -> i32 {
    from.iter_days()
        .skip(1)
        .take_while(|d| *d <= to)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .count() as i32
}

impl RecordModel {
    pub fn new(nodes: &[NewOrg], seed: u64, tz: chrono_tz::Tz) -> RecordModel {
        let parents: std::collections::HashSet<OrgId> = nodes.iter().filter_map(|n| n.parent_id).collect();
        let depts = nodes
            .iter()
            .filter(|n| n.kind == OrgKind::Department && !parents.contains(&n.id))
            .map(|n| {
                let key = hash(&[seed, text_hash(&n.code)]);
                let kind = n.code.rsplit("-d").next().and_then(|k| k.parse::<usize>().ok()).unwrap_or(1) - 1;
                let subjects = SUBJECTS.get(kind).copied().unwrap_or(GENERIC);
                let count = 12 + (hash(&[key, 1]) % 30) as usize;
                let items = (0..count)
                    .map(|i| {
                        format!("{}{}", subjects[i % subjects.len()], ACTIONS[(i / subjects.len()) % ACTIONS.len()])
                    })
                    .collect();
                let level = match n.level {
                    0 => "province",
                    1 | 2 => "city",
                    _ => "county",
                };
                // City departments hold fewer cases than the districts' front desks.
                let rate = 0.15 + 0.35 * unit(hash(&[key, 2]));
                let slow = if hash(&[key, 3]).is_multiple_of(8) { 4.0 } else { 1.0 };
                Dept { org_id: n.id.get(), code: n.code.clone(), key, items, rate, slow, level }
            })
            .collect();
        RecordModel { seed, depts, tz }
    }

    fn at(&self, day: NaiveDate, minutes: u32) -> i64 {
        let t = NaiveTime::from_hms_opt(8 + (minutes / 60).min(11), minutes % 60, 0).unwrap_or_default();
        self.tz.from_local_datetime(&day.and_time(t)).earliest().map_or(0, |t| t.timestamp())
    }

    fn catalog_code(d: &Dept, i: usize) -> String {
        format!("{}-C{:03}", d.code, i + 1)
    }

    fn item_code(d: &Dept, i: usize) -> String {
        format!("{}-S{:03}", d.code, i + 1)
    }

    /// Whether item `i` of the department is one of the slow ones.
    fn troubled(&self, d: &Dept, i: usize) -> bool {
        hash(&[d.key, 100 + i as u64]).is_multiple_of(12)
    }

    /// The catalogue, as the feed sends it, stamped `updated_at`.
    pub fn catalog(&self, updated_at: i64, first_day: NaiveDate) -> Vec<serde_json::Value> {
        let stamp = DateTime::from_timestamp(updated_at, 0).map(rfc3339).unwrap_or_default();
        let mut out = Vec::new();
        for d in &self.depts {
            for (i, name) in d.items.iter().enumerate() {
                let h = hash(&[d.key, 200 + i as u64]);
                let status = match h % 20 {
                    0 => "draft",
                    1 => "suspended",
                    2 => "cancelled",
                    _ => "published",
                };
                out.push(json!({
                    "id": format!("cat-{}", Self::catalog_code(d, i)),
                    "org": d.code,
                    "updatedAt": stamp,
                    "code": Self::catalog_code(d, i),
                    "name": name,
                    "level": d.level,
                    "category": CATEGORIES[(h >> 8) as usize % CATEGORIES.len()],
                    "status": status,
                    "statusAt": (first_day + Days::new((h >> 16) % 200)).to_string(),
                }));
            }
        }
        out
    }

    /// The items, as the feed sends them, stamped `updated_at`.
    pub fn items(&self, updated_at: i64, first_day: NaiveDate) -> Vec<serde_json::Value> {
        let stamp = DateTime::from_timestamp(updated_at, 0).map(rfc3339).unwrap_or_default();
        let mut out = Vec::new();
        for d in &self.depts {
            for (i, name) in d.items.iter().enumerate() {
                let h = hash(&[d.key, 300 + i as u64]);
                let implementation = match h % 10 {
                    0 => "not_started",
                    1 | 2 => "decomposed",
                    _ => "implemented",
                };
                let total_fields = 10 + (h >> 8) % 40;
                let total_materials = 2 + (h >> 16) % 10;
                let online = ((h >> 24) % 5) as i64;
                out.push(json!({
                    "id": format!("item-{}", Self::item_code(d, i)),
                    "org": d.code,
                    "updatedAt": stamp,
                    "code": Self::item_code(d, i),
                    "name": name,
                    "catalogCode": Self::catalog_code(d, i),
                    "implementation": implementation,
                    "onlineLevel": online,
                    "mobile": online >= 3,
                    "zeroVisit": online >= 4,
                    "sharedFields": total_fields * ((h >> 32) % 90) / 100,
                    "totalFields": total_fields,
                    "sharedMaterials": total_materials * ((h >> 40) % 80) / 100,
                    "totalMaterials": total_materials,
                    "implementedAt": (implementation == "implemented").then(|| (first_day + Days::new((h >> 48) % 200)).to_string()),
                }));
            }
        }
        out
    }

    /// The cases accepted on `day`, in their final state.
    pub fn cases_accepted(&self, day: NaiveDate) -> Vec<Case> {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let dn = day_number(day) as u64;
        let mut out = Vec::new();
        for (di, d) in self.depts.iter().enumerate() {
            let expected = d.items.len() as f64 * d.rate * if weekend { 0.08 } else { 1.0 };
            let h0 = hash(&[self.seed, d.key, dn]);
            let n = (expected * (0.7 + 0.6 * unit(h0))).round() as u32;
            for seq in 0..n {
                let h = hash(&[h0, u64::from(seq)]);
                // A few items take most of the cases.
                let r = unit(h);
                let item = ((r * r) * d.items.len() as f64) as usize % d.items.len().max(1);
                let legal = [5, 10, 15, 20][(h >> 8) as usize % 4];
                let promised = (legal / 2).max(1);
                let overdue_p = if self.troubled(d, item) { 0.3 } else { 0.015 } * d.slow;
                let u = unit(hash(&[h, 1]));
                let days = if u < overdue_p.min(0.9) {
                    promised + 1 + (hash(&[h, 2]) % (legal as u64)) as i32
                } else {
                    (hash(&[h, 3]) % promised as u64) as i32 + 1
                };
                let days = if (h >> 20).is_multiple_of(5) { 0 } else { days };
                let completed = add_working_days(day, days);
                let result = match (h >> 24) % 50 {
                    0 | 1 => "rejected",
                    2 | 3 => "returned",
                    _ => "completed",
                };
                let rating = (hash(&[h, 4]) % 10 < 7).then(|| match hash(&[h, 5]) % 20 {
                    0 => 1,
                    1 => 2,
                    2 | 3 => 3,
                    4..=8 => 4,
                    _ => 5,
                });
                let channel = ["online", "online", "mobile", "window"][(h >> 32) as usize % 4];
                let applicant = if (h >> 36).is_multiple_of(3) { "legal_person" } else { "person" };
                let minutes = ((h >> 40) % 540) as u32;
                let accepted_at = self.at(day, minutes);
                let completed_at = self.at(completed, 480).max(accepted_at + 600);
                out.push(Case {
                    dept: di,
                    item,
                    seq,
                    accepted: day,
                    accepted_at,
                    legal,
                    promised,
                    days,
                    completed,
                    completed_at,
                    result,
                    rating,
                    channel,
                    applicant,
                });
            }
        }
        out
    }

    /// A case as stored when the business date `as_of` has closed: open while its completion
    /// lies later.
    pub fn case_values(&self, c: &Case, as_of: NaiveDate, updated_at: i64) -> Vec<Value> {
        let d = &self.depts[c.dept];
        let done = c.completed <= as_of;
        let working = if done { c.days } else { working_days_between(c.accepted, as_of) };
        vec![
            format!("case-{}-{}-{}", d.code, day_number(c.accepted), c.seq).into(),
            d.org_id.into(),
            self.case_no(c).into(),
            Self::item_code(d, c.item).into(),
            d.items[c.item].clone().into(),
            c.channel.into(),
            c.applicant.into(),
            c.accepted_at.into(),
            day_number(c.accepted).into(),
            done.then_some(c.completed_at).into(),
            done.then(|| day_number(c.completed)).into(),
            c.legal.into(),
            Some(c.promised).into(),
            working.into(),
            if done { c.result } else { "open" }.into(),
            if done { c.rating.map(|r| r as i16) } else { None }.into(),
            is_overdue(working, Some(c.promised), c.legal).into(),
            updated_at.into(),
        ]
    }

    /// A case's record id.
    pub fn case_id(&self, c: &Case) -> String {
        format!("case-{}-{}-{}", self.depts[c.dept].code, day_number(c.accepted), c.seq)
    }

    /// A case's number (the benchmark looks cases up by it).
    pub fn case_no_of(&self, c: &Case) -> String {
        self.case_no(c)
    }

    fn case_no(&self, c: &Case) -> String {
        let d = &self.depts[c.dept];
        format!("{}{:05}{:04}", c.accepted.format("%Y%m%d"), d.org_id, c.seq)
    }

    /// A case as the feed sends it on `as_of`.
    pub fn case_json(&self, c: &Case, as_of: NaiveDate, updated_at: i64) -> serde_json::Value {
        let d = &self.depts[c.dept];
        let done = c.completed <= as_of;
        let working = if done { c.days } else { working_days_between(c.accepted, as_of) };
        let ts = |t: i64| DateTime::from_timestamp(t, 0).map(rfc3339);
        json!({
            "id": format!("case-{}-{}-{}", d.code, day_number(c.accepted), c.seq),
            "org": d.code,
            "updatedAt": ts(updated_at),
            "caseNo": self.case_no(c),
            "itemCode": Self::item_code(d, c.item),
            "channel": c.channel,
            "applicantKind": c.applicant,
            "acceptedAt": ts(c.accepted_at),
            "completedAt": if done { ts(c.completed_at) } else { None },
            "legalDays": c.legal,
            "promisedDays": c.promised,
            "workingDays": working,
            "result": if done { c.result } else { "open" },
            "rating": if done { c.rating } else { None },
        })
    }

    /// What business day `day` brings: the cases accepted that day, and the earlier ones
    /// completed that day.
    pub fn cases_of_day(&self, day: NaiveDate, updated_at: i64) -> Vec<serde_json::Value> {
        let mut out: Vec<serde_json::Value> =
            self.cases_accepted(day).iter().map(|c| self.case_json(c, day, updated_at)).collect();
        for back in 1..=MAX_OPEN_DAYS {
            let earlier = day - Days::new(back);
            for c in self.cases_accepted(earlier) {
                if c.completed == day && c.accepted < day {
                    out.push(self.case_json(&c, day, updated_at));
                }
            }
        }
        out
    }
}

/// What the history generation wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordStats {
    pub catalog: usize,
    pub items: usize,
    pub cases: usize,
    pub seconds: f64,
}

/// Writes the history: the catalogue and items as of `first_day`, and the cases accepted from
/// `first_day` to `last_day` in their state when `last_day` closed. Bulk inserts, one
/// transaction per batch of days.
pub async fn history(
    db: &DatabaseConnection,
    model: &RecordModel,
    first_day: NaiveDate,
    last_day: NaiveDate,
    stamp: i64,
) -> anyhow::Result<RecordStats> {
    let started = Instant::now();
    let mut stats = RecordStats::default();
    let tz = model.tz;
    let orgs: std::collections::HashMap<String, i32> = model.depts.iter().map(|d| (d.code.clone(), d.org_id)).collect();
    let lookups = canmou::workers::records::Lookups { orgs: &orgs, items: Default::default(), tz };
    for (kind, rows) in
        [(RecordKind::Catalog, model.catalog(stamp, first_day)), (RecordKind::Items, model.items(stamp, first_day))]
    {
        let checked = canmou::workers::records::check_page(kind, &rows, &lookups);
        anyhow::ensure!(checked.rejected.is_empty(), "the demo's {kind} has bad rows: {:?}", checked.rejected.first());
        let txn = canmou::store::begin_writer(db).await?;
        canmou::store::records::apply(&txn, kind, &checked.upserts, &[]).await?;
        txn.commit().await?;
        match kind {
            RecordKind::Catalog => stats.catalog = checked.upserts.len(),
            _ => stats.items = checked.upserts.len(),
        }
    }
    let mut day = first_day;
    let mut batch: Vec<Upsert> = Vec::new();
    while day <= last_day {
        for c in model.cases_accepted(day) {
            let values = model.case_values(&c, last_day, stamp);
            batch.push(Upsert { id: String::new(), updated_at: stamp, values, completed_day: None });
        }
        day = day + Days::new(1);
        if batch.len() >= 50_000 || day > last_day {
            let txn = canmou::store::begin_writer(db).await?;
            canmou::store::records::insert_new(&txn, RecordKind::Cases, &batch).await?;
            txn.commit().await?;
            stats.cases += batch.len();
            batch.clear();
        }
    }
    stats.seconds = started.elapsed().as_secs_f64();
    Ok(stats)
}
