//! `canmou bench-brief`: how long rendering and sending the daily briefing takes for many
//! users, through an in-process DingTalk sandbox at DingTalk's own 20 calls/s, next to the
//! floor that rate sets (distinct contents ÷ 20 s).
//!
//! It uses the configured database, which must hold the demo province (`canmou generate`).
//! Bench users (`bench-brief-NNNNN`) are created once, spread over the whole org tree, and
//! their deliveries for the date are cleared before each run, so the command can be rerun.

use entities::ids::{OrgId, UserId};
use std::collections::HashMap;
use std::time::Instant;

use anyhow::Context;
use chrono::{Days, NaiveDate, Utc};
use entities::{briefing_delivery, org, scope, user};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Serialize;

use canmou::config::Settings;
use canmou::state::AppState;
use canmou::store::briefings;
use canmou::workers::briefing;
use canmou_sandboxes::dingtalk::{self as sandbox, Directory, SandboxOptions};

const PREFIX: &str = "bench-brief-";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BenchReport {
    pub users: usize,
    pub orgs: usize,
    pub date: NaiveDate,
    pub distinct_contents: usize,
    pub send_calls: usize,
    pub recipients_sent: usize,
    pub qps: u32,
    pub seconds: f64,
    /// Of which: finding due users, rendering and recording the deliveries.
    pub prepare_seconds: f64,
    /// Of which: sending.
    pub send_seconds: f64,
    /// distinct contents ÷ qps: no sender can beat it at that rate.
    pub floor_seconds: f64,
    pub throttled_answers: u64,
    /// A second run right after: nothing left to send.
    pub rerun_seconds: f64,
    pub rerun_send_calls: usize,
    pub inbox_messages: usize,
}

pub async fn run(
    db: DatabaseConnection,
    mut settings: Settings,
    users: usize,
    qps: u32,
) -> anyhow::Result<BenchReport> {
    let mut orgs: Vec<OrgId> = org::Entity::find().all(&db).await?.into_iter().map(|o| o.id).collect();
    orgs.sort_unstable();
    anyhow::ensure!(!orgs.is_empty(), "the database holds no org tree: run `canmou generate` first");
    let date =
        briefings::complete_day(&db).await?.context("no complete day in the database: run `canmou generate` first")?;
    let ids = ensure_users(&db, users, &orgs).await?;

    // Rerunnable: forget the bench users' deliveries for this date.
    for chunk in ids.chunks(500) {
        briefing_delivery::Entity::delete_many()
            .filter(briefing_delivery::Column::BusinessDate.eq(date))
            .filter(briefing_delivery::Column::UserId.is_in(chunk.iter().copied()))
            .exec(&db)
            .await?;
    }
    let mut directory = Directory::with_root("基准测试");
    for i in 0..users {
        directory.users.push(sandbox_user(&format!("{PREFIX}{i:05}")));
    }
    let options = SandboxOptions { qps, ..SandboxOptions::default() };
    let running = sandbox::spawn_with(directory, options).await?;
    settings.dingtalk = canmou::config::DingtalkSettings { qps, ..running.client_settings() };
    let state = AppState::new(settings, db.clone()).await?;

    let started = Instant::now();
    let report = briefing::run_for_date(&state, date, None, Utc::now()).await?;
    let seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let rerun = briefing::run_for_date(&state, date, None, Utc::now()).await?;
    let rerun_seconds = started.elapsed().as_secs_f64();
    let stats = running.state.stats();
    let inbox = running.state.inbox(None, None).len();
    running.stop().await;
    Ok(BenchReport {
        users,
        orgs: orgs.len(),
        date,
        distinct_contents: report.contents,
        send_calls: report.send_calls,
        recipients_sent: report.sent,
        qps,
        seconds,
        prepare_seconds: report.prepare_ms as f64 / 1000.0,
        send_seconds: report.send_ms as f64 / 1000.0,
        floor_seconds: report.contents as f64 / f64::from(qps.max(1)),
        throttled_answers: stats.throttled,
        rerun_seconds,
        rerun_send_calls: rerun.send_calls,
        inbox_messages: inbox,
    })
}

fn sandbox_user(userid: &str) -> sandbox::fixture::User {
    sandbox::fixture::User {
        userid: userid.into(),
        unionid: format!("union-{userid}"),
        name: userid.into(),
        title: String::new(),
        mobile: String::new(),
        avatar: String::new(),
        email: String::new(),
        job_number: String::new(),
        dept_ids: vec![canmou::dingtalk::contacts::ROOT_DEPT_ID],
        leader_of: Vec::new(),
        active: true,
        admin: false,
        sys_level: 0,
        outside_visible_range: false,
    }
}

/// The bench users' ids, creating the missing ones with a scope each, spread over `orgs`.
async fn ensure_users(db: &DatabaseConnection, count: usize, orgs: &[OrgId]) -> anyhow::Result<Vec<UserId>> {
    let existing: HashMap<String, UserId> = user::Entity::find()
        .filter(user::Column::DingtalkUserid.starts_with(PREFIX))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.dingtalk_userid, u.id))
        .collect();
    let now = Utc::now().fixed_offset();
    let missing: Vec<usize> = (0..count).filter(|i| !existing.contains_key(&format!("{PREFIX}{i:05}"))).collect();
    for chunk in missing.chunks(500) {
        let rows = chunk.iter().map(|i| {
            canmou::store::users::new_user(
                &format!("{PREFIX}{i:05}"),
                &format!("基准用户{i}"),
                entities::user::Role::Viewer,
            )
        });
        user::Entity::insert_many(rows).exec_without_returning(db).await?;
    }
    let all: HashMap<String, UserId> = user::Entity::find()
        .filter(user::Column::DingtalkUserid.starts_with(PREFIX))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.dingtalk_userid, u.id))
        .collect();
    let created: Vec<(UserId, OrgId)> = missing
        .iter()
        .filter_map(|i| Some((*all.get(&format!("{PREFIX}{i:05}"))?, orgs[(i * 7919) % orgs.len()])))
        .collect();
    for chunk in created.chunks(500) {
        let rows = chunk.iter().map(|(user_id, org_id)| scope::ActiveModel {
            user_id: Set(*user_id),
            org_id: Set(*org_id),
            source: Set(entities::scope::ScopeSource::Admin),
            granted_by: Set(None),
            granted_at: Set(now),
        });
        scope::Entity::insert_many(rows).exec_without_returning(db).await?;
    }
    Ok((0..count).filter_map(|i| all.get(&format!("{PREFIX}{i:05}")).copied()).collect())
}

/// Yesterday in business time, for `canmou brief` without `--date`.
pub fn yesterday(settings: &Settings) -> NaiveDate {
    let today = canmou::domain::period::business_date(&settings.timezone(), Utc::now());
    today - Days::new(1)
}
