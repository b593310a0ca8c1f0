//! `/api/v1/admin/boards/rules`: hiding a board or an indicator from an audience (the users
//! whose first scope lies in an org subtree, or everyone) — and showing it again.

use actix_web::{HttpRequest, HttpResponse, web};
use entities::ids::OrgId;
use serde::{Deserialize, Serialize};

use super::{org_allowed, publish_change, record};
use crate::auth::AdminUser;
use crate::domain::boards::{self, Rule, Target};
use crate::error::ApiError;
use crate::policy::{self, Action};
use crate::routes::extract::Json;
use crate::state::{AppState, Snapshot};
use crate::store::boards as store;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleDto {
    id: i32,
    /// `None`: everyone.
    #[schema(value_type = Option<i32>)]
    audience_org_id: Option<OrgId>,
    audience_name: String,
    /// `board` or `metric`.
    kind: &'static str,
    code: String,
    /// The board's or the indicator's name.
    name: String,
}

fn rule_dto(snap: &Snapshot, r: &Rule) -> RuleDto {
    let (kind, code, name) = match &r.target {
        Target::Board(code) => {
            ("board", code.clone(), boards::layout(code).map_or(code.clone(), |b| b.name.to_owned()))
        }
        Target::Metric(code) => {
            ("metric", code.clone(), snap.catalogue.by_code(code).map_or(code.clone(), |m| m.name.clone()))
        }
        Target::Peers => ("peers", String::new(), "同级排名（晾晒）".to_owned()),
    };
    RuleDto {
        id: r.id,
        audience_org_id: r.audience,
        audience_name: r.audience.map_or_else(
            || "全部用户".to_owned(),
            |id| snap.orgs.get(id).map_or_else(|| format!("机构 {id}"), |o| o.name.clone()),
        ),
        kind,
        code,
        name,
    }
}

/// Who may change what an audience sees: an org subtree inside the administrator's scope, or
/// everyone for an administrator of the whole tree. The one place this module decides.
fn authorize(snap: &Snapshot, admin: &AdminUser, audience: Option<OrgId>) -> Result<(), ApiError> {
    match audience {
        Some(org) => org_allowed(snap, admin, Action::Manage, "audienceOrgId", org),
        None => Ok(policy::can(snap, admin, Action::Configure, policy::Target::Province)?),
    }
}

/// `GET /admin/boards/rules` — the rules inside the administrator's scope, and the boards
/// with every indicator (what a rule can name).
#[utoipa::path(
    get,
    path = "/api/v1/admin/boards/rules",
    responses((status = 200, description = "`{rules: [RuleDto], boards}`: the visibility rules the administrator may see, and every board", body = serde_json::Value), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn list(state: web::Data<AppState>, admin: AdminUser) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let rules: Vec<RuleDto> = snap
        .board_rules
        .iter()
        .filter(|r| authorize(&snap, &admin, r.audience).is_ok())
        .map(|r| rule_dto(&snap, r))
        .collect();
    let all = crate::views::boards::BoardList::new(&boards::visible(&snap.catalogue, &boards::Hidden::default()));
    Ok(HttpResponse::Ok().json(serde_json::json!({ "rules": rules, "boards": all.boards })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RuleChange {
    /// The audience: an org subtree; absent or null for everyone.
    #[serde(default)]
    pub audience_org_id: Option<i32>,
    /// A board code (`collab`, `service`, `mobile`, `governance`) — or:
    #[serde(default)]
    pub board: Option<String>,
    /// An indicator's code — or:
    #[serde(default)]
    pub metric: Option<String>,
    /// `true`: the ranked list of the audience's peers (晾晒) on metric pages.
    #[serde(default)]
    pub peers: bool,
    /// `true` hides, `false` shows again.
    pub hidden: bool,
}

/// `POST /admin/boards/rules` — hides or shows a board or an indicator for an audience.
#[utoipa::path(
    post,
    path = "/api/v1/admin/boards/rules",
    request_body = RuleChange,
    responses((status = 200, description = "`{hidden, rule: RuleDto?}`", body = serde_json::Value), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    body: Json<RuleChange>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let body = body.into_inner();
    let target = match (body.board, body.metric) {
        (None, None) if body.peers => Target::Peers,
        (Some(board), None) if !body.peers => {
            if boards::layout(&board).is_none() {
                return Err(ApiError::invalid(
                    "board",
                    format!("`{board}`: expected collab, service, mobile or governance"),
                ));
            }
            Target::Board(board)
        }
        (None, Some(metric)) if !body.peers => {
            if snap.catalogue.by_code(&metric).is_none() {
                return Err(ApiError::invalid("metric", format!("`{metric}` is not in the catalogue")));
            }
            Target::Metric(metric)
        }
        _ => return Err(ApiError::invalid("board", "name exactly one of board, metric and peers")),
    };
    let audience_org = body.audience_org_id.map(OrgId);
    authorize(&snap, &admin, audience_org)?;
    let (action, before, after) = if body.hidden {
        let rule = store::hide(&state.db, audience_org, &target, admin.id).await?;
        ("board_rule.hide", None, Some(rule))
    } else {
        let removed = store::show(&state.db, audience_org, &target).await?;
        ("board_rule.show", removed, None)
    };
    let dto = |r: &Option<Rule>| r.as_ref().and_then(|r| serde_json::to_value(rule_dto(&snap, r)).ok());
    let what = match &target {
        Target::Board(c) => format!("board:{c}"),
        Target::Metric(c) => format!("metric:{c}"),
        Target::Peers => "peers".to_owned(),
    };
    let audience = body.audience_org_id.map_or_else(|| "all".to_owned(), |o| format!("org:{o}"));
    let about: Vec<OrgId> = audience_org.into_iter().collect();
    record(&state, &req, &admin, action, format!("{what}@{audience}"), &about, dto(&before), dto(&after)).await?;
    publish_change(&state).await?;
    let snap = state.snapshot();
    let rule = after.as_ref().or(before.as_ref()).map(|r| rule_dto(&snap, r));
    Ok(HttpResponse::Ok().json(serde_json::json!({ "hidden": body.hidden, "rule": rule })))
}
