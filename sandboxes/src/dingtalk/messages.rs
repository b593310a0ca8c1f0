//! Work notifications (§5): `asyncsend_v2` accepts valid input and answers a task id; what
//! happened to each recipient (invalid user, daily cap, same content today, read or not) shows
//! only in `getsendresult`, as on DingTalk.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::reply::{Input, check_app_token, err, ok};
use super::state::{InboxEntry, SandboxState};
use canmou::dingtalk::messages::{MAX_MSG_BYTES, MAX_RECIPIENTS};

fn open(req: &HttpRequest, body: &[u8], state: &SandboxState, path: &str) -> Result<Input, HttpResponse> {
    let input = Input::parse(req, body);
    check_app_token(state, path, input.token.as_deref())?;
    if input.i64("agent_id") != Some(state.options.agent_id) {
        return Err(err(path, 40056, "不合法的agentid"));
    }
    Ok(input)
}

/// The message as sent: a JSON object, or a JSON string of one (form bodies).
fn message(input: &Input) -> Option<Value> {
    match input.params.get("msg")? {
        Value::String(s) => serde_json::from_str(s).ok(),
        v @ Value::Object(_) => Some(v.clone()),
        _ => None,
    }
}

pub(crate) async fn asyncsend(req: HttpRequest, body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    const PATH: &str = "/topapi/message/corpconversation/asyncsend_v2";
    let input = match open(&req, &body, &state, PATH) {
        Ok(input) => input,
        Err(refused) => return refused,
    };
    let Some(msg) = message(&input).filter(|m| m.get("msgtype").and_then(Value::as_str).is_some()) else {
        return err(PATH, 40035, "缺少参数 msg");
    };
    if msg.to_string().len() > MAX_MSG_BYTES {
        return err(PATH, 400002, "无效的参数: msg too large");
    }
    let userids: Vec<String> = input
        .str("userid_list")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if userids.is_empty() && !input.bool("to_all_user") {
        return err(PATH, 40035, "缺少参数 userid_list");
    }
    if userids.len() > MAX_RECIPIENTS {
        return err(PATH, 400002, "无效的参数: userid_list over 100");
    }
    let task_id = deliver(&state, &userids, msg);
    ok(json!({ "task_id": task_id }))
}

/// Records one entry per recipient, with the outcome DingTalk would report later.
fn deliver(state: &SandboxState, userids: &[String], msg: Value) -> i64 {
    let (now, today) = (state.now(), state.today());
    let cap = state.options.daily_cap_per_user;
    let mut world = state.world();
    world.next_task_id += 1;
    let task_id = world.next_task_id;
    let same_day = |e: &InboxEntry| e.at.with_timezone(&chrono_tz::Asia::Shanghai).date_naive() == today;
    for userid in userids {
        let known = world.directory.user(userid).is_some_and(|u| u.active);
        let delivered_today: Vec<&InboxEntry> =
            world.inbox.iter().filter(|e| &e.userid == userid && e.outcome == "delivered" && same_day(e)).collect();
        let outcome = if !known {
            "invalid_user"
        } else if delivered_today.iter().any(|e| e.msg == msg) {
            "143106"
        } else if delivered_today.len() >= cap {
            "143105"
        } else {
            "delivered"
        };
        world.inbox.push(InboxEntry {
            task_id,
            userid: userid.clone(),
            msg: msg.clone(),
            at: now,
            outcome: outcome.into(),
            read: false,
            recalled: false,
        });
    }
    task_id
}

fn task_id(input: &Input, key: &str, state: &SandboxState, path: &str) -> Result<i64, HttpResponse> {
    let id = input.i64(key).ok_or_else(|| err(path, 400002, "无效的参数: task_id"))?;
    if state.world().inbox.iter().any(|e| e.task_id == id) { Ok(id) } else { Err(err(path, 400002, "任务不存在")) }
}

pub(crate) async fn progress(req: HttpRequest, body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    const PATH: &str = "/topapi/message/corpconversation/getsendprogress";
    let checked = open(&req, &body, &state, PATH).and_then(|input| task_id(&input, "task_id", &state, PATH));
    match checked {
        Ok(_) => ok(json!({ "progress": { "progress_in_percent": 100, "status": 2 } })),
        Err(refused) => refused,
    }
}

pub(crate) async fn result(req: HttpRequest, body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    const PATH: &str = "/topapi/message/corpconversation/getsendresult";
    let id = match open(&req, &body, &state, PATH).and_then(|input| task_id(&input, "task_id", &state, PATH)) {
        Ok(id) => id,
        Err(refused) => return refused,
    };
    let world = state.world();
    let entries: Vec<&InboxEntry> = world.inbox.iter().filter(|e| e.task_id == id).collect();
    let ids = |keep: &dyn Fn(&InboxEntry) -> bool| -> Vec<&str> {
        entries.iter().filter(|e| keep(e)).map(|e| e.userid.as_str()).collect()
    };
    let delivered = |e: &InboxEntry| e.outcome == "delivered" && !e.recalled;
    let forbidden: Vec<Value> = entries
        .iter()
        .filter(|e| e.outcome.starts_with("143"))
        .map(|e| {
            let count = if e.outcome == "143105" { state.options.daily_cap_per_user } else { 1 };
            json!({ "code": e.outcome, "count": count, "userid": e.userid })
        })
        .collect();
    ok(json!({ "send_result": {
        "invalid_user_id_list": ids(&|e| e.outcome == "invalid_user"),
        "forbidden_user_id_list": [],
        "failed_user_id_list": [],
        "read_user_id_list": ids(&|e| delivered(e) && e.read),
        "unread_user_id_list": ids(&|e| delivered(e) && !e.read),
        "invalid_dept_id_list": [],
        "forbidden_list": forbidden,
    }}))
}

pub(crate) async fn recall(req: HttpRequest, body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    const PATH: &str = "/topapi/message/corpconversation/recall";
    let id = match open(&req, &body, &state, PATH).and_then(|input| task_id(&input, "msg_task_id", &state, PATH)) {
        Ok(id) => id,
        Err(refused) => return refused,
    };
    for entry in state.world().inbox.iter_mut().filter(|e| e.task_id == id) {
        entry.recalled = true;
    }
    ok(json!({}))
}
