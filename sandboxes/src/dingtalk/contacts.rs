//! The contacts endpoints (§3, §4), served from the fixture with paging.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::fixture::User;
use super::reply::{Input, check_app_token, err, ok};
use super::state::SandboxState;

/// Reads the call and checks its token; `Err` holds the refusal.
fn open(req: &HttpRequest, body: &[u8], state: &SandboxState, path: &str) -> Result<Input, HttpResponse> {
    let input = Input::parse(req, body);
    check_app_token(state, path, input.token.as_deref())?;
    Ok(input)
}

/// Reads a call about one department: the token checked, `dept_id` present.
fn department_call(
    req: &HttpRequest,
    body: &[u8],
    state: &SandboxState,
    path: &str,
) -> Result<(Input, i64), HttpResponse> {
    let input = open(req, body, state, path)?;
    let id = input.i64("dept_id").ok_or_else(|| err(path, 400002, "无效的参数: dept_id"))?;
    Ok((input, id))
}

pub(crate) async fn listsub(req: HttpRequest, body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    const PATH: &str = "/topapi/v2/department/listsub";
    let (_, id) = match department_call(&req, &body, &state, PATH) {
        Ok(call) => call,
        Err(refused) => return refused,
    };
    let world = state.world();
    if world.directory.department(id).is_none() {
        return err(PATH, 60003, "未找到对应部门");
    }
    let children: Vec<Value> = world
        .directory
        .children(id)
        .into_iter()
        .map(|d| {
            json!({ "dept_id": d.dept_id, "name": d.name, "parent_id": id,
                    "auto_add_user": true, "create_dept_group": false })
        })
        .collect();
    ok(json!({ "result": children }))
}

pub(crate) async fn listsubid(req: HttpRequest, body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    const PATH: &str = "/topapi/v2/department/listsubid";
    let (_, id) = match department_call(&req, &body, &state, PATH) {
        Ok(call) => call,
        Err(refused) => return refused,
    };
    let world = state.world();
    if world.directory.department(id).is_none() {
        return err(PATH, 60003, "未找到对应部门");
    }
    let ids: Vec<i64> = world.directory.children(id).iter().map(|d| d.dept_id).collect();
    ok(json!({ "result": { "dept_id_list": ids } }))
}

pub(crate) async fn department_get(req: HttpRequest, body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    const PATH: &str = "/topapi/v2/department/get";
    let (_, id) = match department_call(&req, &body, &state, PATH) {
        Ok(call) => call,
        Err(refused) => return refused,
    };
    let world = state.world();
    let Some(dept) = world.directory.department(id) else {
        return err(PATH, 60003, "未找到对应部门");
    };
    let mut result = json!({
        "dept_id": dept.dept_id, "name": dept.name, "order": dept.order,
        "dept_manager_userid_list": world.directory.leaders(id),
        "member_count": world.directory.members(id).len(),
    });
    if let (Some(parent), Some(fields)) = (dept.parent_id, result.as_object_mut()) {
        fields.insert("parent_id".into(), json!(parent));
    }
    ok(json!({ "result": result }))
}

/// `user/list`: a department's direct members, `size` (at most 100) at a time from `cursor`.
pub(crate) async fn user_list(req: HttpRequest, body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    const PATH: &str = "/topapi/v2/user/list";
    let (input, id) = match department_call(&req, &body, &state, PATH) {
        Ok(call) => call,
        Err(refused) => return refused,
    };
    let cursor = input.i64("cursor").unwrap_or(0);
    let size = input.i64("size").unwrap_or(0);
    if cursor < 0 || !(1..=100).contains(&size) {
        return err(PATH, 400002, "无效的参数: cursor or size");
    }
    let world = state.world();
    if world.directory.department(id).is_none() {
        return err(PATH, 60003, "未找到对应部门");
    }
    let members = world.directory.members(id);
    let start = (cursor as usize).min(members.len());
    let end = (start + size as usize).min(members.len());
    let list: Vec<Value> = members[start..end].iter().map(|u| user_json(u)).collect();
    let mut result = json!({ "has_more": end < members.len(), "list": list });
    if let (true, Some(fields)) = (end < members.len(), result.as_object_mut()) {
        fields.insert("next_cursor".into(), json!(end));
    }
    ok(json!({ "result": result }))
}

pub(crate) async fn user_get(req: HttpRequest, body: web::Bytes, state: web::Data<SandboxState>) -> HttpResponse {
    const PATH: &str = "/topapi/v2/user/get";
    let input = match open(&req, &body, &state, PATH) {
        Ok(input) => input,
        Err(refused) => return refused,
    };
    let world = state.world();
    match input.str("userid").and_then(|id| world.directory.user(id)) {
        Some(user) => ok(json!({ "result": user_json(user) })),
        None => err(PATH, 60121, "找不到该用户"),
    }
}

/// A user as DingTalk writes one: empty optional fields are omitted, orders exceed 2^53.
pub(crate) fn user_json(u: &User) -> Value {
    let mut v = json!({
        "userid": u.userid, "unionid": u.unionid, "name": u.name, "state_code": "86",
        "hide_mobile": false, "dept_id_list": u.dept_ids,
        "dept_order_list": u.dept_ids.iter().map(|d| json!({ "dept_id": d, "order": 176_220_178_909_140_512_i64 + d })).collect::<Vec<_>>(),
        "leader_in_dept": u.dept_ids.iter().map(|d| json!({ "dept_id": d, "leader": u.leader_of.contains(d) })).collect::<Vec<_>>(),
        "active": u.active, "admin": u.admin, "boss": false, "real_authed": true, "senior": false,
        "exclusive_account": false,
    });
    if let Some(fields) = v.as_object_mut() {
        for (key, value) in [
            ("title", &u.title),
            ("mobile", &u.mobile),
            ("avatar", &u.avatar),
            ("email", &u.email),
            ("job_number", &u.job_number),
        ] {
            if !value.is_empty() {
                fields.insert(key.into(), json!(value));
            }
        }
    }
    v
}
