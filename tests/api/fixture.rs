//! A small province with hand-checkable facts, and users with tokens.
//!
//! ```text
//! 1 东海省 (region)
//! ├── 2 明州市 (region)
//! │   ├── 4 东城区 (region)
//! │   │   └── 7 东城区大数据局 (department)
//! │   ├── 5 西湖区 (region)
//! │   └── 6 明州市大数据局 (department)
//! └── 3 临江市 (region)
//! ```
//! Facts on the complete day D = 2026-11-20 (and the days before it), day grain:
//! `collab.msg_total`: 明州 18,234 (D-1: 16,000), 临江 9,000; 东城 12,000, 西湖 5,000, 大数据局 1,234;
//! `collab.activation_rate`: 明州 900/1000; `service.cases_completed` a year before D: 明州 100, on D 120.

use canmou::domain::period::{Grain, Period, day_number};
use canmou::store::facts::{self, FactRow, origin};
use canmou::store::orgs::{NewOrg, insert_all};
use chrono::{NaiveDate, Utc};
use entities::ids::{OrgId, UserId};
use entities::scope::ScopeSource;
use entities::user::Role;
use entities::{metric, scope, user};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

pub const D: &str = "2026-11-20";
pub const PROVINCE: i32 = 1;
pub const MINGZHOU: i32 = 2;
pub const LINJIANG: i32 = 3;
pub const DONGCHENG: i32 = 4;
pub const XIHU: i32 = 5;
pub const MZ_BUREAU: i32 = 6;
pub const DC_BUREAU: i32 = 7;

pub fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn org(id: i32, parent: Option<i32>, name: &str, kind: &'static str, path: &str) -> NewOrg {
    NewOrg {
        id: OrgId(id),
        code: format!("fx{id}"),
        dingtalk_dept_id: Some(1000 + i64::from(id)),
        parent_id: parent.map(OrgId),
        name: name.into(),
        kind: kind.parse().unwrap(),
        level: (path.matches('/').count() - 2) as i16,
        path: path.into(),
        sort_order: id,
    }
}

pub async fn metric_id(db: &DatabaseConnection, code: &str) -> i32 {
    metric::Entity::find().filter(metric::Column::Code.eq(code)).one(db).await.unwrap().unwrap().id.get()
}

pub fn fact(metric_id: i32, org_id: i32, date: &str, value: f64) -> FactRow {
    FactRow {
        metric_id,
        org_id,
        grain: Grain::Day.code(),
        period_start: day_number(day(date)),
        value: Some(value),
        num: None,
        den: None,
        updated_at: 1,
        origin: origin::UPSTREAM,
    }
}

pub async fn seed(db: &DatabaseConnection) {
    insert_all(
        db,
        &[
            org(1, None, "东海省", "region", "/1/"),
            org(2, Some(1), "明州市", "region", "/1/2/"),
            org(3, Some(1), "临江市", "region", "/1/3/"),
            org(4, Some(2), "东城区", "region", "/1/2/4/"),
            org(5, Some(2), "西湖区", "region", "/1/2/5/"),
            org(6, Some(2), "明州市大数据局", "department", "/1/2/6/"),
            org(7, Some(4), "东城区大数据局", "department", "/1/2/4/7/"),
        ],
    )
    .await
    .unwrap();
    let msg = metric_id(db, "collab.msg_total").await;
    let rate = metric_id(db, "collab.activation_rate").await;
    let cases = metric_id(db, "service.cases_completed").await;
    let mut rows = vec![
        fact(msg, MINGZHOU, D, 18_234.0),
        fact(msg, MINGZHOU, "2026-11-19", 16_000.0),
        fact(msg, MINGZHOU, "2026-11-10", 15_000.0),
        fact(msg, LINJIANG, D, 9_000.0),
        fact(msg, DONGCHENG, D, 12_000.0),
        fact(msg, DONGCHENG, "2026-11-19", 12_500.0),
        fact(msg, XIHU, D, 5_000.0),
        fact(msg, MZ_BUREAU, D, 1_234.0),
        fact(cases, MINGZHOU, D, 120.0),
        fact(cases, MINGZHOU, "2025-11-20", 100.0),
    ];
    let mut ratio = fact(rate, MINGZHOU, D, 0.9);
    ratio.num = Some(900.0);
    ratio.den = Some(1000.0);
    rows.push(ratio);
    facts::upsert(db, &rows).await.unwrap();
    for grain in Grain::ALL {
        let p = Period::containing(grain, day(D));
        let complete = if p.last_day() > day(D) { p.prev() } else { p };
        facts::mark_complete(db, complete).await.unwrap();
    }
}

/// `admin` or (anything else) `viewer`.
pub fn role_of(role: &str) -> Role {
    if role == "admin" { Role::Admin } else { Role::Viewer }
}

/// A user with the given role and scopes; returns its id.
pub async fn add_user(db: &DatabaseConnection, userid: &str, role: &str, scopes: &[i32], active: bool) -> i32 {
    let now = Utc::now().fixed_offset();
    let u = user::ActiveModel {
        title: Set(Some("处长".into())),
        active: Set(active),
        has_title: Set(true),
        has_mobile: Set(true),
        has_position: Set(true),
        ..canmou::store::users::new_user(userid, &format!("用户{userid}"), role_of(role))
    }
    .insert(db)
    .await
    .unwrap();
    for org in scopes {
        scope::ActiveModel {
            user_id: Set(u.id),
            org_id: Set(OrgId(*org)),
            source: Set(ScopeSource::Admin),
            granted_by: Set(None),
            granted_at: Set(now),
        }
        .insert(db)
        .await
        .unwrap();
    }
    u.id.get()
}

/// A signed-in session of `user_id` and its access token, as a login would make them.
pub async fn token(db: &sea_orm::DatabaseConnection, settings: &canmou::config::Settings, user_id: i32) -> String {
    use canmou::store::sessions::{self, Client};
    let now = Utc::now();
    let user_id = UserId(user_id);
    let session = sessions::open(db, user_id, Client::Miniapp, now, now + chrono::Duration::days(1)).await.unwrap();
    canmou::auth::JwtKeys::from_settings(&settings.auth).issue(user_id.get(), &session.id, now).unwrap().0
}
