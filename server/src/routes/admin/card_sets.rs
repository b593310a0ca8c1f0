//! `/api/v1/admin/card-sets`: list, create, edit the draft, reorder, publish, restore an
//! earlier version, and assign to org subtrees and users.
//!
//! An administrator may change a set only when everything it is assigned to lies inside their
//! scope; the default set (everyone's fallback) needs a scope covering the whole tree.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use entities::ids::{OrgId, UserId};
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::{check, org_allowed, publish_change, record, to_json, user_allowed, user_orgs};
use crate::auth::AdminUser;
use crate::domain::card::Comparison;
use crate::domain::period::Grain;
use crate::error::ApiError;
use crate::policy::{self, Action, Target};
use crate::routes::extract::Json;
use crate::state::{AppState, Snapshot};
use crate::store::card_set_drafts::{self as drafts, CardSet, Draft, NewCard, Version};
use crate::store::users;

const MAX_CARDS: u64 = 30;

/// A card as an administrator writes it.
#[derive(Debug, Deserialize, Serialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CardBody {
    /// Metric code, e.g. `collab.msg_total`.
    #[validate(length(min = 1, max = 64, message = "a metric code is required"))]
    pub metric: String,
    /// Shown instead of the metric's name.
    #[validate(length(max = 32, message = "at most 32 characters"))]
    pub title: Option<String>,
    /// `prev` (环比, the default), `yoy` (同比) or `target`.
    pub comparison: Option<String>,
    /// Non-negative; for a `%` metric a fraction (0.95 for 95 %).
    pub target: Option<f64>,
    /// Sparkline length, 2 to 60 periods (default 12).
    #[validate(range(min = 2, max = 60, message = "between 2 and 60 periods"))]
    pub spark_len: Option<i16>,
    /// Position in the set (1 = first); default: the card's place in the list.
    #[validate(range(min = 1, max = 1000, message = "between 1 and 1000"))]
    pub position: Option<i32>,
}

/// A card set's draft, whole.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CardSetBody {
    /// The revision this edit starts from (or `If-Match`); required to edit, ignored on create.
    pub revision: Option<i32>,
    #[validate(length(min = 1, max = 40, message = "1 to 40 characters"))]
    pub name: String,
    #[serde(default)]
    #[validate(length(max = 500, message = "at most 500 characters"))]
    pub description: String,
    /// `day` (default), `week`, `month`, `quarter` or `year`.
    pub default_grain: Option<String>,
    #[validate(length(min = 1, max = 30, message = "1 to 30 cards"), nested)]
    pub cards: Vec<CardBody>,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReorderBody {
    pub revision: Option<i32>,
    /// Every card id of the draft, in the new order.
    #[validate(length(min = 1, max = 30, message = "1 to 30 card ids"))]
    pub cards: Vec<i32>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PublishBody {
    /// Publish only if the draft is still this revision (or `If-Match`).
    pub revision: Option<i32>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RestoreBody {
    pub version: i32,
    pub revision: Option<i32>,
}

#[derive(Debug, Default, Deserialize, Serialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AssignmentsBody {
    /// Org subtree roots.
    #[serde(default)]
    #[validate(length(max = 500, message = "at most 500 orgs at once"))]
    pub orgs: Vec<i32>,
    /// User ids.
    #[serde(default)]
    #[validate(length(max = 500, message = "at most 500 users at once"))]
    pub users: Vec<i32>,
}

impl AssignmentsBody {
    fn ids(&self) -> (Vec<OrgId>, Vec<UserId>) {
        (self.orgs.iter().copied().map(OrgId).collect(), self.users.iter().copied().map(UserId).collect())
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgRef {
    id: i32,
    name: String,
    path: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserRef {
    id: i32,
    userid: String,
    name: String,
}

/// A card of a set's draft.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CardDto {
    id: i32,
    /// The metric's code.
    metric: String,
    title: Option<String>,
    comparison: Comparison,
    target: Option<f64>,
    spark_len: i16,
    position: i32,
}

/// A card set as stored: its draft, what is published, where it is assigned (also what the
/// audit log keeps of it).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CardSetFields {
    id: i32,
    name: String,
    description: String,
    #[schema(value_type = String)]
    default_grain: Grain,
    is_default: bool,
    /// The draft's revision: send it back with an edit.
    revision: i32,
    /// The latest published version; 0 when never published.
    version: i32,
    /// Whether the draft differs from the published version.
    draft_changed: bool,
    updated_at: String,
    cards: Vec<CardDto>,
    #[schema(value_type = Vec<i32>)]
    assigned_orgs: Vec<OrgId>,
    #[schema(value_type = Vec<i32>)]
    assigned_users: Vec<UserId>,
    /// The administrator who created the set (its owner while it is unassigned).
    #[schema(value_type = Option<i32>)]
    created_by: Option<UserId>,
}

impl From<&CardSet> for CardSetFields {
    fn from(s: &CardSet) -> Self {
        CardSetFields {
            id: s.id,
            name: s.name.clone(),
            description: s.description.clone(),
            default_grain: s.default_grain,
            is_default: s.is_default,
            revision: s.revision,
            version: s.version,
            draft_changed: s.draft_changed,
            updated_at: s.updated_at.to_rfc3339(),
            cards: s
                .cards
                .iter()
                .map(|c| CardDto {
                    id: c.id,
                    metric: c.metric.clone(),
                    title: c.title.clone(),
                    comparison: c.comparison,
                    target: c.target,
                    spark_len: c.spark_len,
                    position: c.position,
                })
                .collect(),
            assigned_orgs: s.assigned_orgs.clone(),
            assigned_users: s.assigned_users.clone(),
            created_by: s.created_by,
        }
    }
}

/// What the audit log keeps of a set.
fn fields(set: &CardSet) -> Option<serde_json::Value> {
    to_json(&CardSetFields::from(set))
}

/// A published version, as frozen (its cards name their metric by id and code).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionDto {
    version: i32,
    name: String,
    description: String,
    #[schema(value_type = String)]
    default_grain: Grain,
    #[schema(value_type = Option<i32>)]
    published_by: Option<UserId>,
    published_at: String,
    #[schema(value_type = Vec<Object>)]
    cards: Vec<crate::store::card_sets::FrozenCard>,
}

impl From<Version> for VersionDto {
    fn from(v: Version) -> Self {
        VersionDto {
            version: v.version,
            name: v.name,
            description: v.description,
            default_grain: v.default_grain,
            published_by: v.published_by,
            published_at: v.published_at.to_rfc3339(),
            cards: v.cards,
        }
    }
}

/// A card set for the console: the stored set plus names and whether the caller may edit it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CardSetDto {
    #[serde(flatten)]
    set: CardSetFields,
    editable: bool,
    orgs: Vec<OrgRef>,
    users: Vec<UserRef>,
}

/// The revision an edit starts from: the body's, else `If-Match` (`3` or `"3"`).
fn revision(req: &HttpRequest, body: Option<i32>) -> Result<Option<i32>, ApiError> {
    if body.is_some() {
        return Ok(body);
    }
    let Some(raw) = req.headers().get(header::IF_MATCH) else { return Ok(None) };
    let text = raw.to_str().unwrap_or_default().trim().trim_start_matches("W/").trim_matches('"');
    text.parse().map(Some).map_err(|_| ApiError::invalid("If-Match", format!("`{text}` is not a card set revision")))
}

fn required_revision(req: &HttpRequest, body: Option<i32>) -> Result<i32, ApiError> {
    revision(req, body)?.ok_or_else(|| {
        ApiError::invalid(
            "revision",
            "send the revision you edited (in the body or If-Match) so that edits never overwrite each other",
        )
    })
}

/// Whether the administrator may change a set: everything it reaches is inside their scope.
/// Every org a set reaches: its assigned orgs and the orgs of its assigned users.
async fn reach(state: &AppState, set: &CardSet) -> Result<Vec<OrgId>, ApiError> {
    let mut orgs = set.assigned_orgs.clone();
    for u in &set.assigned_users {
        if let Some(m) = users::managed(&state.db, *u).await? {
            orgs.extend(user_orgs(&m));
        }
    }
    Ok(orgs)
}

/// What the policy says about `action` on this set.
async fn allowed(
    state: &AppState,
    snap: &Snapshot,
    admin: &AdminUser,
    action: Action,
    set: &CardSet,
) -> Result<Result<(), policy::Denied>, ApiError> {
    let orgs = reach(state, set).await?;
    Ok(policy::can(
        snap,
        admin,
        action,
        Target::CardSet { default: set.is_default, owner: set.created_by, orgs: &orgs },
    ))
}

async fn open_for_edit(
    state: &AppState,
    admin: &AdminUser,
    id: &web::Path<i32>,
) -> Result<(i32, std::sync::Arc<Snapshot>, CardSet, Vec<OrgId>), ApiError> {
    let (id, snap) = (id_of(id), state.snapshot());
    let set = drafts::get(&state.db, id).await?;
    let about = reach(state, &set).await?;
    policy::can(
        &snap,
        admin,
        Action::Manage,
        Target::CardSet { default: set.is_default, owner: set.created_by, orgs: &about },
    )?;
    Ok((id, snap, set, about))
}

async fn dto(state: &AppState, snap: &Snapshot, admin: &AdminUser, set: CardSet) -> Result<CardSetDto, ApiError> {
    let editable = allowed(state, snap, admin, Action::Manage, &set).await?.is_ok();
    let orgs = set
        .assigned_orgs
        .iter()
        .map(|id| OrgRef {
            id: id.get(),
            name: snap.orgs.get(*id).map(|o| o.name.clone()).unwrap_or_default(),
            path: snap.orgs.path_names(*id),
        })
        .collect();
    let mut user_refs = Vec::with_capacity(set.assigned_users.len());
    for id in &set.assigned_users {
        if let Some(m) = users::managed(&state.db, *id).await? {
            user_refs.push(UserRef { id: id.get(), userid: m.user.dingtalk_userid, name: m.user.name });
        }
    }
    Ok(CardSetDto { set: CardSetFields::from(&set), editable, orgs, users: user_refs })
}

/// Checks a draft against the catalogue: known active metrics, comparisons, targets of the
/// right sign, one card a position.
fn draft(snap: &Snapshot, body: &CardSetBody) -> Result<Draft, ApiError> {
    check(body)?;
    let name = body.name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid("name", "a name is required"));
    }
    let grain = match body.default_grain.as_deref() {
        None => Grain::Day,
        Some(raw) => raw
            .parse()
            .map_err(|e: crate::domain::period::UnknownGrain| ApiError::invalid("defaultGrain", e.to_string()))?,
    };
    let mut placed: Vec<(i32, usize, NewCard)> = Vec::with_capacity(body.cards.len());
    for (i, c) in body.cards.iter().enumerate() {
        let at = |field: &str| format!("cards[{i}].{field}");
        let metric = snap
            .catalogue
            .by_code(c.metric.trim())
            .filter(|m| m.active)
            .ok_or_else(|| ApiError::invalid(at("metric"), format!("unknown or inactive metric `{}`", c.metric)))?;
        let comparison = match c.comparison.as_deref() {
            None => Comparison::Prev,
            Some(raw) => Comparison::parse(raw)
                .ok_or_else(|| ApiError::invalid(at("comparison"), format!("`{raw}`: expected prev, yoy or target")))?,
        };
        if let Some(t) = c.target {
            if !t.is_finite() || t < 0.0 {
                return Err(ApiError::invalid(at("target"), "a target cannot be negative"));
            }
            if metric.is_percent() && t > 1.0 {
                return Err(ApiError::invalid(
                    at("target"),
                    format!(
                        "{} is a rate: its target is a fraction between 0 and 1 (0.95 for 95%), not {t}",
                        metric.code
                    ),
                ));
            }
        }
        if comparison == Comparison::Target && c.target.is_none() {
            return Err(ApiError::invalid(at("target"), "a card compared with its target needs a target"));
        }
        let position = c.position.unwrap_or(i32::try_from(i + 1).unwrap_or(i32::MAX));
        if let Some((_, first, _)) = placed.iter().find(|(p, _, _)| *p == position) {
            return Err(ApiError::invalid(
                at("position"),
                format!("position {position} is already taken by cards[{first}]"),
            ));
        }
        let title = c.title.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
        placed.push((
            position,
            i,
            NewCard { metric_id: metric.id, title, comparison, target: c.target, spark_len: c.spark_len.unwrap_or(12) },
        ));
    }
    placed.sort_by_key(|(p, i, _)| (*p, *i));
    Ok(Draft {
        name: name.to_owned(),
        description: body.description.trim().to_owned(),
        default_grain: grain,
        cards: placed.into_iter().map(|(_, _, c)| c).collect(),
    })
}

fn id_of(path: &web::Path<i32>) -> i32 {
    path.as_ref().to_owned()
}

/// `GET /admin/card-sets`
#[utoipa::path(
    get,
    path = "/api/v1/admin/card-sets",
    responses((status = 200, description = "`{items: [CardSetDto], maxCards}`", body = serde_json::Value), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn list(state: web::Data<AppState>, admin: AdminUser) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let mut out = Vec::new();
    for set in drafts::list(&state.db).await? {
        if allowed(&state, &snap, &admin, Action::View, &set).await?.is_ok() {
            out.push(dto(&state, &snap, &admin, set).await?);
        }
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": out, "maxCards": MAX_CARDS })))
}

/// `GET /admin/card-sets/{id}`
#[utoipa::path(
    get,
    path = "/api/v1/admin/card-sets/{id}",
    params(("id" = i32, Path, description = "The card set's id")),
    responses((status = 200, body = CardSetDto), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn get(state: web::Data<AppState>, admin: AdminUser, id: web::Path<i32>) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    let set = drafts::get(&state.db, id_of(&id)).await?;
    allowed(&state, &snap, &admin, Action::View, &set).await??;
    Ok(HttpResponse::Ok().json(dto(&state, &snap, &admin, set).await?))
}

/// `POST /admin/card-sets` — a new, unpublished set.
#[utoipa::path(
    post,
    path = "/api/v1/admin/card-sets",
    request_body = CardSetBody,
    responses((status = 201, body = CardSetDto), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    body: Json<CardSetBody>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.snapshot();
    // A new set is an unassigned draft of its creator's.
    policy::can(&snap, &admin, Action::Manage, Target::CardSet { default: false, owner: Some(admin.id), orgs: &[] })?;
    let draft = draft(&snap, &body)?;
    let set = drafts::create(&state.db, &draft, admin.id).await?;
    record(&state, &req, &admin, "card_set.create", format!("card_set:{}", set.id), &admin.scopes, None, fields(&set))
        .await?;
    Ok(HttpResponse::Created().json(dto(&state, &snap, &admin, set).await?))
}

/// `POST /admin/card-sets/{id}` — replaces the draft; a stale revision is `409 conflict`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/card-sets/{id}",
    params(("id" = i32, Path, description = "The card set's id"), ("If-Match" = Option<String>, Header, description = "The revision the edit starts from, if the body has none")),
    request_body = CardSetBody,
    responses((status = 200, body = CardSetDto), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    body: Json<CardSetBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, snap, before, about) = open_for_edit(&state, &admin, &id).await?;
    let draft = draft(&snap, &body)?;
    let revision = required_revision(&req, body.revision)?;
    let after = drafts::update(&state.db, id, revision, &draft).await?;
    record(&state, &req, &admin, "card_set.update", format!("card_set:{id}"), &about, fields(&before), fields(&after))
        .await?;
    Ok(HttpResponse::Ok().json(dto(&state, &snap, &admin, after).await?))
}

/// `POST /admin/card-sets/{id}/reorder` `{revision, cards:[id…]}`
#[utoipa::path(
    post,
    path = "/api/v1/admin/card-sets/{id}/reorder",
    params(("id" = i32, Path, description = "The card set's id")),
    request_body = ReorderBody,
    responses((status = 200, body = CardSetDto), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn reorder(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    body: Json<ReorderBody>,
) -> Result<HttpResponse, ApiError> {
    check(&*body)?;
    let (id, snap, before, about) = open_for_edit(&state, &admin, &id).await?;
    let revision = required_revision(&req, body.revision)?;
    let after = drafts::reorder(&state.db, id, revision, &body.cards).await?;
    let order = |v: &CardSet| to_json(&v.cards.iter().map(|c| c.metric.clone()).collect::<Vec<_>>());
    record(&state, &req, &admin, "card_set.reorder", format!("card_set:{id}"), &about, order(&before), order(&after))
        .await?;
    Ok(HttpResponse::Ok().json(dto(&state, &snap, &admin, after).await?))
}

/// An optional JSON body: empty is the default; anything else must parse (unknown fields refused).
fn optional_body<T: Default + serde::de::DeserializeOwned>(bytes: &web::Bytes) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::InvalidBody(format!("invalid JSON body: {e}")))
}

/// `POST /admin/card-sets/{id}/publish` `{revision?}` — users get the new version.
#[utoipa::path(
    post,
    path = "/api/v1/admin/card-sets/{id}/publish",
    params(("id" = i32, Path, description = "The card set's id")),
    request_body = Option<PublishBody>,
    responses((status = 200, body = CardSetDto), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn publish(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (id, snap) = (id_of(&id), state.snapshot());
    let body: PublishBody = optional_body(&body)?;
    let before = drafts::get(&state.db, id).await?;
    let about = reach(&state, &before).await?;
    let target = Target::CardSet { default: before.is_default, owner: before.created_by, orgs: &about };
    policy::can(&snap, &admin, Action::Manage, target)?;
    let revision = revision(&req, body.revision)?;
    let after = drafts::publish(&state.db, id, revision, admin.id).await?;
    publish_change(&state).await?;
    let summary = |v: &CardSet| serde_json::json!({ "version": v.version, "revision": v.revision });
    record(
        &state,
        &req,
        &admin,
        "card_set.publish",
        format!("card_set:{id}"),
        &about,
        Some(summary(&before)),
        fields(&after),
    )
    .await?;
    let snap = state.snapshot();
    Ok(HttpResponse::Ok().json(dto(&state, &snap, &admin, after).await?))
}

/// `DELETE /admin/card-sets/{id}` (`If-Match: revision` optional) — only a set that is not
/// the default and is assigned to nobody; its cards and versions go with it.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/card-sets/{id}",
    params(("id" = i32, Path, description = "The card set's id"), ("If-Match" = Option<String>, Header, description = "The revision the deletion expects")),
    responses((status = 204, description = "Deleted"), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let (id, _, _, about) = open_for_edit(&state, &admin, &id).await?;
    let revision = revision(&req, None)?;
    let gone = drafts::delete(&state.db, id, revision).await?;
    publish_change(&state).await?;
    record(&state, &req, &admin, "card_set.delete", format!("card_set:{id}"), &about, fields(&gone), None).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /admin/card-sets/{id}/versions`
#[utoipa::path(
    get,
    path = "/api/v1/admin/card-sets/{id}/versions",
    params(("id" = i32, Path, description = "The card set's id")),
    responses((status = 200, description = "`{items: [version]}`, its published versions", body = serde_json::Value), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn versions(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let set = drafts::get(&state.db, id_of(&id)).await?;
    allowed(&state, &state.snapshot(), &admin, Action::View, &set).await??;
    let versions: Vec<VersionDto> = drafts::versions(&state.db, set.id).await?.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": versions })))
}

/// `POST /admin/card-sets/{id}/restore` `{version}` — published again as a new version.
#[utoipa::path(
    post,
    path = "/api/v1/admin/card-sets/{id}/restore",
    params(("id" = i32, Path, description = "The card set's id")),
    request_body = RestoreBody,
    responses((status = 200, body = CardSetDto), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn restore(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    body: Json<RestoreBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, _, before, about) = open_for_edit(&state, &admin, &id).await?;
    let revision = revision(&req, body.revision)?;
    let after = drafts::restore(&state.db, id, body.version, revision, admin.id).await?;
    publish_change(&state).await?;
    let mut after_json = fields(&after);
    if let Some(v) = after_json.as_mut() {
        v["restoredFrom"] = body.version.into();
    }
    record(&state, &req, &admin, "card_set.restore", format!("card_set:{id}"), &about, fields(&before), after_json)
        .await?;
    let snap = state.snapshot();
    Ok(HttpResponse::Ok().json(dto(&state, &snap, &admin, after).await?))
}

/// Every org and user of an assignment change must lie inside the administrator's scope.
async fn check_targets(
    state: &AppState,
    snap: &Snapshot,
    admin: &AdminUser,
    body: &AssignmentsBody,
) -> Result<(), ApiError> {
    check(body)?;
    if body.orgs.is_empty() && body.users.is_empty() {
        return Err(ApiError::invalid("orgs", "name at least one org or user"));
    }
    for (i, org) in body.orgs.iter().enumerate() {
        org_allowed(snap, admin, Action::Manage, &format!("orgs[{i}]"), OrgId(*org))?;
    }
    for (i, user) in body.users.iter().enumerate() {
        let param = format!("users[{i}]");
        let m = users::managed(&state.db, UserId(*user))
            .await?
            .ok_or_else(|| ApiError::invalid(param.clone(), format!("user {user} does not exist")))?;
        user_allowed(snap, admin, Action::Manage, &m).map_err(|d| d.at(&param))?;
    }
    Ok(())
}

/// `POST /admin/card-sets/{id}/assignments` `{orgs:[…], users:[…]}` — takes them from any
/// other set.
#[utoipa::path(
    post,
    path = "/api/v1/admin/card-sets/{id}/assignments",
    params(("id" = i32, Path, description = "The card set's id")),
    request_body = AssignmentsBody,
    responses((status = 200, body = CardSetDto), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn assign(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    body: Json<AssignmentsBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, snap, _, about) = open_for_edit(&state, &admin, &id).await?;
    check_targets(&state, &snap, &admin, &body).await?;
    let (orgs, users) = body.ids();
    let moved = drafts::assign(&state.db, id, &orgs, &users).await?;
    publish_change(&state).await?;
    record(
        &state,
        &req,
        &admin,
        "card_set.assign",
        format!("card_set:{id}"),
        &about,
        Some(serde_json::json!({ "orgs": moved.orgs, "users": moved.users })),
        to_json(&*body),
    )
    .await?;
    let after = drafts::get(&state.db, id).await?;
    let snap = state.snapshot();
    Ok(HttpResponse::Ok().json(dto(&state, &snap, &admin, after).await?))
}

/// `POST /admin/card-sets/{id}/assignments/remove` `{orgs:[…], users:[…]}`
#[utoipa::path(
    post,
    path = "/api/v1/admin/card-sets/{id}/assignments/remove",
    params(("id" = i32, Path, description = "The card set's id")),
    request_body = AssignmentsBody,
    responses((status = 200, body = CardSetDto), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn unassign(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    body: Json<AssignmentsBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, snap, _, about) = open_for_edit(&state, &admin, &id).await?;
    check_targets(&state, &snap, &admin, &body).await?;
    let (orgs, users) = body.ids();
    drafts::unassign(&state.db, id, &orgs, &users).await?;
    publish_change(&state).await?;
    record(&state, &req, &admin, "card_set.unassign", format!("card_set:{id}"), &about, to_json(&*body), None).await?;
    let after = drafts::get(&state.db, id).await?;
    let snap = state.snapshot();
    Ok(HttpResponse::Ok().json(dto(&state, &snap, &admin, after).await?))
}
