//! The daily briefing against the DingTalk sandbox: exactly one per person per business date,
//! through crashes, restarts, racing workers, late data, refusals and throttling. The worker
//! is driven directly with explicit times, never by sleeping.

use entities::ids::{OrgId, UserId};
use entities::org::OrgKind;
use std::collections::{HashMap, HashSet};

use canmou::config::Settings;
use canmou::domain::period::{Grain, Period};
use canmou::store::facts;
use canmou::store::orgs::{NewOrg, insert_all};
use canmou::workers::briefing::{self, Crash, RunOptions};
use canmou_sandboxes::dingtalk::{Directory, SandboxOptions};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entities::{briefing_delivery, scope, user};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::fixture;
use crate::helpers::{TestApp, assert_error, eventually, spawn_app_with};
use crate::sandbox::{Sandbox, user as sandbox_user};

const SEND: &str = "/topapi/message/corpconversation/asyncsend_v2";
/// A Tuesday: its briefing reports Monday 2026-11-23.
const TODAY: &str = "2026-11-24";
const D: &str = "2026-11-23";

/// `date` at `hh:mm` in Shanghai.
fn at(date: &str, hhmm: &str) -> DateTime<Utc> {
    let naive = chrono::NaiveDateTime::parse_from_str(&format!("{date} {hhmm}"), "%Y-%m-%d %H:%M").unwrap();
    chrono_tz::Asia::Shanghai.from_local_datetime(&naive).unwrap().with_timezone(&Utc)
}

fn day(s: &str) -> NaiveDate {
    fixture::day(s)
}

struct World {
    app: TestApp,
    sb: Sandbox,
    /// (user id, DingTalk userid), in creation order.
    users: Vec<(i32, String)>,
}

/// `orgs` cities under a province, `per_org` users in each (scoped to their city), a
/// sandbox directory with the same userids, and the day `complete` marked complete.
async fn world(orgs: usize, per_org: usize, complete: Option<&str>, options: SandboxOptions) -> World {
    world_with(orgs, per_org, complete, options, |_| {}).await
}

async fn world_with(
    orgs: usize,
    per_org: usize,
    complete: Option<&str>,
    options: SandboxOptions,
    change: impl FnOnce(&mut Settings),
) -> World {
    let qps = options.qps;
    let mut directory = Directory::with_root("东海省");
    for i in 0..orgs * per_org {
        directory.users.push(sandbox_user(&format!("u{i}"), &[1]));
    }
    let sb = Sandbox::start_with(directory, options).await;
    let dingtalk = canmou::config::DingtalkSettings { qps: qps.max(1), ..sb.settings() };
    let app = spawn_app_with(|s| {
        s.dingtalk = dingtalk;
        change(s);
    })
    .await;
    let mut nodes = vec![NewOrg {
        id: OrgId(1),
        code: "p".into(),
        dingtalk_dept_id: None,
        parent_id: None,
        name: "东海省".into(),
        kind: OrgKind::Region,
        level: 0,
        path: "/1/".into(),
        sort_order: 1,
    }];
    for i in 0..orgs as i32 {
        let id = i + 2;
        nodes.push(NewOrg {
            id: OrgId(id),
            code: format!("c{id}"),
            dingtalk_dept_id: None,
            parent_id: Some(OrgId(1)),
            name: format!("第{id}市"),
            kind: OrgKind::Region,
            level: 1,
            path: format!("/1/{id}/"),
            sort_order: id,
        });
    }
    insert_all(&app.db, &nodes).await.unwrap();
    let now = Utc::now().fixed_offset();
    let count = orgs * per_org;
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let rows = chunk.iter().map(|i| {
            canmou::store::users::new_user(&format!("u{i}"), &format!("用户{i}"), entities::user::Role::Viewer)
        });
        user::Entity::insert_many(rows).exec_without_returning(&app.db).await.unwrap();
    }
    let by_userid: HashMap<String, i32> =
        user::Entity::find().all(&app.db).await.unwrap().into_iter().map(|u| (u.dingtalk_userid, u.id.get())).collect();
    let users: Vec<(i32, String)> = (0..count).map(|i| (by_userid[&format!("u{i}")], format!("u{i}"))).collect();
    for chunk in users.iter().enumerate().collect::<Vec<_>>().chunks(500) {
        let rows = chunk.iter().map(|(i, (id, _))| scope::ActiveModel {
            user_id: Set(UserId(*id)),
            org_id: Set(OrgId((i / per_org) as i32 + 2)),
            source: Set(entities::scope::ScopeSource::Admin),
            granted_by: Set(None),
            granted_at: Set(now),
        });
        scope::Entity::insert_many(rows).exec_without_returning(&app.db).await.unwrap();
    }
    if let Some(d) = complete {
        facts::mark_complete(&app.db, Period::containing(Grain::Day, day(d))).await.unwrap();
    }
    app.state.reload().await.unwrap();
    World { app, sb, users }
}

/// Fast and still paced: the sandbox limits at 100 calls/s, the client keeps to 100.
fn fast() -> SandboxOptions {
    SandboxOptions { qps: 100, ..SandboxOptions::default() }
}

impl World {
    /// Messages in the sandbox inbox, per userid.
    fn inbox(&self) -> HashMap<String, Vec<canmou_sandboxes::dingtalk::InboxEntry>> {
        let mut by_user: HashMap<String, Vec<_>> = HashMap::new();
        for e in self.sb.running.state.inbox(None, None) {
            by_user.entry(e.userid.clone()).or_default().push(e);
        }
        by_user
    }

    async fn ledger(&self) -> Vec<briefing_delivery::Model> {
        briefing_delivery::Entity::find().all(&self.app.db).await.unwrap()
    }

    fn sends(&self) -> u64 {
        self.sb.running.state.stats().calls_to(SEND)
    }

    async fn admin_token(&self) -> String {
        // The province's administrator, who has turned their own briefing off.
        let id = fixture::add_user(&self.app.db, "boss", "admin", &[fixture::PROVINCE], true).await;
        let off = canmou::domain::briefing::Subscription { enabled: false, ..Default::default() };
        canmou::store::briefings::save_subscription(&self.app.db, UserId(id), &off, Utc::now()).await.unwrap();
        self.app.state.reload().await.unwrap();
        fixture::token(&self.app.db, &self.app.settings, id).await
    }
}

fn title(entry: &canmou_sandboxes::dingtalk::InboxEntry) -> String {
    entry.msg["action_card"]["title"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn three_thousand_subscribers_in_two_hundred_orgs_get_exactly_one_briefing_each() {
    let w = world(200, 15, Some(D), fast()).await;

    let early = briefing::run_once(&w.app.state, at(TODAY, "08:29")).await.unwrap();
    assert_eq!((early.due, w.sends()), (0, 0), "nothing before 08:30");

    let report = briefing::run_once(&w.app.state, at(TODAY, "08:30")).await.unwrap();
    assert_eq!(report.sent, 3_000, "{report:?}");
    let again = briefing::run_once(&w.app.state, at(TODAY, "08:31")).await.unwrap();
    assert_eq!((again.recorded, again.send_calls), (0, 0));

    let inbox = w.inbox();
    for (_, userid) in &w.users {
        let got = inbox.get(userid).map_or(0, Vec::len);
        assert_eq!(got, 1, "{userid} got {got} briefings");
        assert_eq!(title(&inbox[userid][0]), "每日简报 11月23日");
    }
    let contents: HashSet<String> = w.ledger().await.into_iter().map(|d| d.content_hash).collect();
    assert_eq!(contents.len(), 200, "one content per city");
    assert!(w.sends() <= contents.len() as u64, "{} calls for {} contents", w.sends(), contents.len());
    assert_eq!(w.sb.running.state.stats().throttled, 0, "the client kept to the rate");

    let reconciled = briefing::reconcile(&w.app.state, at(TODAY, "08:40")).await.unwrap();
    assert_eq!(reconciled.unread, 3_000, "{reconciled:?}");
}

#[tokio::test]
async fn the_briefing_carries_the_home_screens_cards() {
    let sb = Sandbox::start_with(
        {
            let mut d = Directory::with_root("东海省");
            d.users.push(sandbox_user("mz-leader", &[1]));
            d.users.push(sandbox_user("dc-leader", &[1]));
            d
        },
        fast(),
    )
    .await;
    let dingtalk = canmou::config::DingtalkSettings { qps: 100, ..sb.settings() };
    let app = spawn_app_with(|s| s.dingtalk = dingtalk).await;
    fixture::seed(&app.db).await;
    let leader = fixture::add_user(&app.db, "mz-leader", "viewer", &[fixture::MINGZHOU], true).await;
    fixture::add_user(&app.db, "dc-leader", "viewer", &[fixture::DONGCHENG], true).await;
    app.state.reload().await.unwrap();

    let report = briefing::run_for_date(&app.state, day(fixture::D), None, Utc::now()).await.unwrap();
    assert_eq!((report.sent, report.contents), (2, 2), "{report:?}");

    let mz = &sb.inbox("mz-leader").await[0];
    let card = &mz["msg"]["action_card"];
    assert_eq!(card["title"], "每日简报 11月20日");
    assert_eq!(card["single_url"], "eapp://pages/home/index?date=2026-11-20");
    let md = card["markdown"].as_str().unwrap();
    assert!(md.contains("**明州市**"), "{md}");
    // The same figures as GET /home for 明州市 on that day.
    let token = fixture::token(&app.db, &app.settings, leader).await;
    let home = app.json_as(&token, "/api/v1/home?date=2026-11-20").await;
    let msg = home["cards"].as_array().unwrap().iter().find(|c| c["metric"] == "collab.msg_total").unwrap();
    assert!(
        md.contains(&format!(
            "- {} **{}** 环比↑14.0%",
            msg["title"].as_str().unwrap(),
            msg["display"].as_str().unwrap()
        )),
        "{md}"
    );
    assert!(serde_json::to_vec(&mz["msg"]).unwrap().len() <= 2048);

    let dc = &sb.inbox("dc-leader").await[0];
    let md = dc["msg"]["action_card"]["markdown"].as_str().unwrap();
    // 东城 fell from 12,500 to 12,000: an unfavourable move, marked.
    assert!(md.contains("**1.2万条** 环比↓4.0% ⚠"), "{md}");
}

#[tokio::test]
async fn a_worker_stopped_after_recording_sends_once_when_it_restarts() {
    let w = world(2, 5, Some(D), fast()).await;
    let crash = RunOptions { crash: Some(Crash::AfterRecord), ..RunOptions::default() };
    assert!(briefing::run(&w.app.state, at(TODAY, "08:30"), crash).await.is_err());
    assert!(w.inbox().is_empty(), "nothing sent before the crash");
    assert!(w.ledger().await.iter().all(|d| d.status.as_str() == "pending"));

    let report = briefing::run_once(&w.app.state, at(TODAY, "08:31")).await.unwrap();
    assert_eq!((report.recorded, report.sent), (0, 10), "{report:?}");
    briefing::run_once(&w.app.state, at(TODAY, "08:40")).await.unwrap();
    let inbox = w.inbox();
    assert!(w.users.iter().all(|(_, u)| inbox[u].len() == 1), "{inbox:?}");
}

#[tokio::test]
async fn a_worker_stopped_after_sending_never_sends_again_and_marks_the_delivery_unknown() {
    let w = world(1, 5, Some(D), fast()).await;
    let crash = RunOptions { crash: Some(Crash::AfterSend), ..RunOptions::default() };
    assert!(briefing::run(&w.app.state, at(TODAY, "08:30"), crash).await.is_err());
    assert_eq!(w.inbox().values().map(Vec::len).sum::<usize>(), 5, "the send went out");

    // Restarted a minute later: the rows are still within their lease, so left alone.
    let soon = briefing::run_once(&w.app.state, at(TODAY, "08:31")).await.unwrap();
    assert_eq!(soon.send_calls, 0);
    // Later: the lease has run out; the deliveries become unknown, not resent.
    let later = briefing::run_once(&w.app.state, at(TODAY, "08:40")).await.unwrap();
    assert_eq!((later.expired, later.send_calls), (5, 0), "{later:?}");
    briefing::reconcile(&w.app.state, at(TODAY, "09:00")).await.unwrap();
    assert!(w.ledger().await.iter().all(|d| d.status.as_str() == "unknown" && d.task_id.is_none()));
    assert!(w.users.iter().all(|(_, u)| w.inbox()[u].len() == 1));
    assert_eq!(w.sends(), 1);
}

#[tokio::test]
async fn two_workers_racing_still_send_one_briefing_per_user() {
    let w = world(20, 10, Some(D), fast()).await;
    // A second instance: its own state and DingTalk client, the same database.
    let other = canmou::state::AppState::new(w.app.settings.clone(), w.app.db.clone()).await.unwrap();
    let now = at(TODAY, "08:30");
    let (a, b) = tokio::join!(briefing::run_once(&w.app.state, now), briefing::run_once(&other, now));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent + b.sent, 200, "{a:?} {b:?}");
    assert_eq!(a.recorded + b.recorded, 200);
    let inbox = w.inbox();
    assert!(w.users.iter().all(|(_, u)| inbox.get(u).map_or(0, Vec::len) == 1));
    assert_eq!(inbox.values().map(Vec::len).sum::<usize>(), 200);
}

#[tokio::test]
async fn late_data_gets_a_delayed_notice_at_the_deadline_and_no_briefing_after_it() {
    let w = world(2, 3, Some("2026-11-22"), fast()).await;
    for time in ["08:30", "09:00", "09:59"] {
        let r = briefing::run_once(&w.app.state, at(TODAY, time)).await.unwrap();
        assert_eq!((r.ready, r.recorded), (false, 0), "{time}");
    }
    let notice = briefing::run_once(&w.app.state, at(TODAY, "10:00")).await.unwrap();
    assert!(notice.delayed && notice.sent == 6, "{notice:?}");

    facts::mark_complete(&w.app.db, Period::containing(Grain::Day, day(D))).await.unwrap();
    let after = briefing::run_once(&w.app.state, at(TODAY, "10:15")).await.unwrap();
    assert_eq!((after.ready, after.recorded, after.send_calls), (true, 0, 0), "{after:?}");
    let inbox = w.inbox();
    for (_, u) in &w.users {
        assert_eq!(inbox[u].len(), 1);
        assert_eq!(title(&inbox[u][0]), "数据延迟 11月23日");
    }
    let token = w.admin_token().await;
    let view = w.app.json_as(&token, &format!("/api/v1/admin/briefings?date={D}")).await;
    assert_eq!(view["delayedNotices"], 6, "{view}");
}

#[tokio::test]
async fn refusals_by_dingtalk_are_recorded_as_forbidden_and_not_retried() {
    let w = world(1, 3, Some(D), SandboxOptions { daily_cap_per_user: 1, ..fast() }).await;
    // u0 already had their one message of the day.
    let client = w.sb.client();
    let other = canmou::dingtalk::messages::Message::markdown("通知", "别的消息");
    client.send_work_notification(client_agent(&w), &["u0".to_owned()], &other).await.unwrap();

    briefing::run_once(&w.app.state, at(TODAY, "08:30")).await.unwrap();
    let reconciled = briefing::reconcile(&w.app.state, at(TODAY, "08:35")).await.unwrap();
    assert_eq!((reconciled.forbidden, reconciled.unread), (1, 2), "{reconciled:?}");
    let sends = w.sends();
    briefing::run_once(&w.app.state, at(TODAY, "08:45")).await.unwrap();
    briefing::reconcile(&w.app.state, at(TODAY, "09:45")).await.unwrap();
    assert_eq!(w.sends(), sends, "a refusal is not retried");

    // An administrator resends: u1's delivered briefing only with force, and then DingTalk
    // refuses the same content twice in a day (143106).
    let token = w.admin_token().await;
    let (u1, u2) = (w.users[1].0, w.users[2].0);
    let resend = |users: Vec<i32>, force: bool| {
        w.app.post_as(&token, "/api/v1/admin/briefings/resend", json!({ "date": D, "users": users, "force": force }))
    };
    let refused: Value = resend(vec![u2], false).await.json().await.unwrap();
    assert_eq!(refused["resent"], json!([]));
    assert_eq!(refused["refused"][0]["status"], "unread");
    let forced: Value = resend(vec![u1], true).await.json().await.unwrap();
    assert_eq!(forced["resent"], json!([u1]), "{forced}");
    briefing::reconcile(&w.app.state, at(TODAY, "10:00")).await.unwrap();

    let view = w.app.json_as(&token, &format!("/api/v1/admin/briefings?date={D}")).await;
    assert_eq!(view["counts"]["forbidden"], 2, "{view}");
    let codes: HashMap<&str, &str> = view["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["userid"].as_str().unwrap(), f["errorCode"].as_str().unwrap()))
        .collect();
    assert_eq!(codes, HashMap::from([("u0", "143105"), ("u1", "143106")]));
    let audited = entities::audit_log::Entity::find()
        .filter(entities::audit_log::Column::Action.eq("briefing.resend.force"))
        .all(&w.app.db)
        .await
        .unwrap();
    assert_eq!(audited.len(), 1);
}

fn client_agent(w: &World) -> i64 {
    w.sb.running.state.options().agent_id
}

#[tokio::test]
async fn throttling_is_paced_then_sent() {
    let w = world(2, 3, Some(D), fast()).await;
    w.sb.fault(json!({ "path": SEND, "errcode": 90018, "times": 2 })).await;
    let report = briefing::run_once(&w.app.state, at(TODAY, "08:30")).await.unwrap();
    assert_eq!((report.sent, report.deferred), (6, 0), "{report:?}");
    assert_eq!(w.sb.running.state.stats().throttled, 2);
    assert!(w.users.iter().all(|(_, u)| w.inbox()[u].len() == 1));
}

/// Runs `date`'s briefing by hand (a job) and waits for it: the finished run's report.
async fn run_by_hand(w: &World, token: &str, date: &str) -> Value {
    let res = w.app.post_as(token, "/api/v1/admin/briefings/run", json!({ "date": date })).await;
    let run = crate::helpers::follow_run(&w.app.client, &w.app.url(""), token, res).await;
    assert_eq!(run["source"], "briefing", "{run}");
    assert_eq!(run["status"], "ok", "{run}");
    run["detail"].clone()
}

#[tokio::test]
async fn subscribers_choose_their_time_or_turn_the_briefing_off() {
    let w = world(1, 3, Some(D), fast()).await;
    let t0 = fixture::token(&w.app.db, &w.app.settings, w.users[0].0).await;
    let t1 = fixture::token(&w.app.db, &w.app.settings, w.users[1].0).await;
    assert_eq!(
        w.app.json_as(&t0, "/api/v1/me/briefing").await,
        json!({"enabled": true, "time": "08:30", "includeWeekends": false})
    );
    let bad = assert_error(
        w.app.post_as(&t0, "/api/v1/me/briefing", json!({"time": "08:20"})).await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_eq!(bad["param"], "time");
    let bad = assert_error(
        w.app.post_as(&t0, "/api/v1/me/briefing", json!({"time": "9:00"})).await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_eq!(bad["param"], "time");
    assert_error(
        w.app.post_as(&t0, "/api/v1/me/briefing", json!({"enabled": true, "tiem": "09:00"})).await,
        400,
        "invalid_body",
    )
    .await;

    let changed = w.app.post_as(&t0, "/api/v1/me/briefing", json!({"time": "09:00", "includeWeekends": true})).await;
    assert_eq!(changed.status().as_u16(), 200);
    assert_eq!(
        w.app.json_as(&t0, "/api/v1/me").await["briefing"],
        json!({"enabled": true, "time": "09:00", "includeWeekends": true})
    );
    let off = w.app.post_as(&t1, "/api/v1/me/briefing", json!({"enabled": false})).await;
    assert_eq!(off.status().as_u16(), 200);

    briefing::run_once(&w.app.state, at(TODAY, "08:30")).await.unwrap();
    assert_eq!(w.inbox().keys().cloned().collect::<HashSet<_>>(), HashSet::from(["u2".to_owned()]));
    briefing::run_once(&w.app.state, at(TODAY, "09:00")).await.unwrap();
    briefing::run_once(&w.app.state, at(TODAY, "23:45")).await.unwrap();
    let inbox = w.inbox();
    assert_eq!((inbox["u0"].len(), inbox["u2"].len()), (1, 1));
    assert!(!inbox.contains_key("u1"), "turned off");
}

#[tokio::test]
async fn holidays_and_make_up_days_follow_the_admin_calendar() {
    // Saturday 2026-11-28 reports Friday 11-27.
    let w = world(1, 2, Some("2026-11-27"), fast()).await;
    let admin = w.admin_token().await;
    let viewer = fixture::token(&w.app.db, &w.app.settings, w.users[0].0).await;
    assert_error(
        w.app
            .post_as(&viewer, "/api/v1/admin/calendar", json!({"days": [{"date": "2026-11-28", "kind": "workday"}]}))
            .await,
        403,
        "forbidden",
    )
    .await;
    let bad = w
        .app
        .post_as(&admin, "/api/v1/admin/calendar", json!({"days": [{"date": "2026-11-28", "kind": "rest"}]}))
        .await;
    assert_eq!(assert_error(bad, 400, "invalid_parameter").await["param"], "kind");

    let nobody = briefing::run_once(&w.app.state, at("2026-11-28", "08:30")).await.unwrap();
    assert_eq!(nobody.due, 0, "a Saturday");
    let res = w.app.post_as(
        &admin,
        "/api/v1/admin/calendar",
        json!({"days": [{"date": "2026-11-28", "kind": "workday", "name": "调休"}, {"date": "2026-11-30", "kind": "holiday", "name": "假日"}]}),
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    let listed = w.app.json_as(&admin, "/api/v1/admin/calendar?year=2026").await;
    assert_eq!(listed["days"][0], json!({"date": "2026-11-28", "kind": "workday", "name": "调休"}));

    let sent = briefing::run_once(&w.app.state, at("2026-11-28", "08:30")).await.unwrap();
    assert_eq!(sent.sent, 2, "a make-up working day");
    facts::mark_complete(&w.app.db, Period::containing(Grain::Day, day("2026-11-29"))).await.unwrap();
    let holiday = briefing::run_once(&w.app.state, at("2026-11-30", "08:30")).await.unwrap();
    assert_eq!(holiday.due, 0, "a Monday holiday");

    let removed = w
        .app
        .post_as(&admin, "/api/v1/admin/calendar", json!({"days": [{"date": "2026-11-30", "kind": "normal"}]}))
        .await;
    assert_eq!(removed.status().as_u16(), 200);
    let monday = briefing::run_once(&w.app.state, at("2026-11-30", "08:45")).await.unwrap();
    assert_eq!(monday.sent, 2);
    let audited = entities::audit_log::Entity::find()
        .filter(entities::audit_log::Column::Action.eq("calendar.change"))
        .all(&w.app.db)
        .await
        .unwrap();
    assert_eq!(audited.len(), 2);
}

#[tokio::test]
async fn an_administrator_runs_a_date_by_hand_once_its_data_is_complete() {
    let w = world(2, 2, Some("2026-11-22"), fast()).await;
    let admin = w.admin_token().await;
    let early = w.app.post_as(&admin, "/api/v1/admin/briefings/run", json!({"date": D})).await;
    assert_error(early, 409, "conflict").await;

    facts::mark_complete(&w.app.db, Period::containing(Grain::Day, day(D))).await.unwrap();
    let run = run_by_hand(&w, &admin, D).await;
    assert_eq!(run["sent"], 4, "{run}");
    let again = run_by_hand(&w, &admin, D).await;
    assert_eq!((again["recorded"].as_u64(), again["sendCalls"].as_u64()), (Some(0), Some(0)), "{again}");
    let scheduled = briefing::run_once(&w.app.state, at(TODAY, "08:30")).await.unwrap();
    assert_eq!(scheduled.send_calls, 0, "already sent by hand");
    let view = w.app.json_as(&admin, &format!("/api/v1/admin/briefings?date={D}")).await;
    assert_eq!(view["counts"]["sent"], 4, "{view}");
    assert_eq!(view["total"], 4);
}

#[tokio::test]
async fn a_send_whose_answer_is_lost_is_marked_unknown_and_never_repeated() {
    let w = world_with(1, 3, Some(D), fast(), |s| s.dingtalk.timeout_ms = 300).await;
    // DingTalk takes the message but answers too late.
    w.sb.fault(json!({ "path": SEND, "delayMs": 1_000, "times": 1 })).await;
    let report = briefing::run_once(&w.app.state, at(TODAY, "08:30")).await.unwrap();
    assert_eq!((report.unknown, report.sent, report.send_calls), (3, 0, 1), "{report:?}");
    // The late answer lands: DingTalk has delivered the messages.
    eventually("the late answer", std::time::Duration::from_secs(10), || async {
        w.users.iter().all(|(_, u)| w.inbox().get(u).is_some_and(|m| m.len() == 1)).then_some(())
    })
    .await;
    briefing::run_once(&w.app.state, at(TODAY, "08:45")).await.unwrap();
    assert_eq!(w.sends(), 1, "not repeated");
    assert!(w.ledger().await.iter().all(|d| d.status.as_str() == "unknown"));
    assert!(w.users.iter().all(|(_, u)| w.inbox()[u].len() == 1));
}

/// A city's administrator runs or resends briefings for their own city only: before the one
/// policy, a district admin's run reached the whole province.
#[tokio::test]
async fn a_scoped_administrators_run_reaches_only_their_subtree() {
    let w = world(3, 2, Some(D), fast()).await;
    // Users 0–1 sit in org 2, 2–3 in org 3, 4–5 in org 4.
    let id = fixture::add_user(&w.app.db, "city-admin", "admin", &[2], true).await;
    let off = canmou::domain::briefing::Subscription { enabled: false, ..Default::default() };
    canmou::store::briefings::save_subscription(&w.app.db, UserId(id), &off, Utc::now()).await.unwrap();
    w.app.state.reload().await.unwrap();
    let city = fixture::token(&w.app.db, &w.app.settings, id).await;

    let run = run_by_hand(&w, &city, D).await;
    assert_eq!(run["sent"], 2, "{run}");
    let reached: HashSet<i32> =
        briefing_delivery::Entity::find().all(&w.app.db).await.unwrap().into_iter().map(|d| d.user_id.get()).collect();
    assert_eq!(reached, HashSet::from([w.users[0].0, w.users[1].0]));

    // Its delivery list counts its own users; a resend for another city's user is refused.
    let listed = w.app.json_as(&city, &format!("/api/v1/admin/briefings?date={D}")).await;
    assert_eq!(listed["total"], 2, "{listed}");
    let other = w.users[2].0;
    let refused = w
        .app
        .post_as(&city, "/api/v1/admin/briefings/resend", json!({"date": D, "users": [other], "force": true}))
        .await;
    assert_error(refused, 403, "out_of_scope").await;
    // Older days than a month are refused for everyone: no briefing about a day long gone.
    let old = w.app.post_as(&city, "/api/v1/admin/briefings/run", json!({"date": "2020-01-01"})).await;
    assert_error(old, 400, "invalid_parameter").await;
}

/// A shutdown in the middle of sending (issue #13): the run stops between send batches, and
/// the next process's run sends the rest — everyone once, nobody twice.
#[tokio::test]
async fn a_shutdown_mid_send_stops_between_batches_and_the_next_run_sends_the_rest() {
    // Twelve orgs of one user: twelve contents, more batches than the four send lanes.
    let w = world(12, 1, Some(D), fast()).await;
    w.sb.fault(json!({ "path": SEND, "delayMs": 300, "times": 1_000 })).await;
    let state = w.app.state.clone();
    let run = tokio::spawn(async move { briefing::run_once(&state, at(TODAY, "08:30")).await });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while w.sends() == 0 {
        assert!(std::time::Instant::now() < deadline, "no send began");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // What SIGTERM does: the supervisor is cancelled.
    w.app.state.jobs.cancel();
    let report = tokio::time::timeout(std::time::Duration::from_secs(10), run).await.unwrap().unwrap().unwrap();
    assert!(report.stopped.is_some(), "{report:?}");
    assert!(report.sent < 12, "stopped part-way: {report:?}");
    let delivered_first: usize = w.inbox().values().map(Vec::len).sum();

    // The next process: a fresh state on the same database and DingTalk.
    w.sb.running.state.clear_faults();
    let next = canmou::state::AppState::new((*w.app.state.settings).clone(), w.app.db.clone()).await.unwrap();
    let rest = briefing::run_once(&next, at(TODAY, "08:35")).await.unwrap();
    assert_eq!(rest.sent + delivered_first, 12, "{rest:?}");
    assert!(w.users.iter().all(|(_, u)| w.inbox()[u].len() == 1), "everyone once: {:?}", w.inbox().keys());
}
