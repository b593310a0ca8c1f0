//! Writing a snapshot of the DingTalk directory: orgs, users, memberships, default scopes and
//! directory completeness. Only what differs is written, so applying the same snapshot twice
//! changes nothing the second time. Run it inside a transaction.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use entities::ids::{OrgId, UserId};
use entities::org::OrgKind;
use entities::scope::ScopeSource;
use entities::user::Role;
use entities::{fact, metric, org, scope, user, user_org};
use sea_orm::ActiveValue::{NotSet, Set, Unchanged};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;

use crate::dingtalk::contacts::{Department, ROOT_DEPT_ID, User};
use crate::domain::directory::{completeness, default_scope, materialise};
use crate::domain::period::{Grain, day_number};
use crate::domain::rollup::Figure;
use crate::store::StoreError;
use crate::store::facts::{self, FactRow, origin};

pub const COMPLETENESS_METRIC: &str = "governance.directory_completeness";
/// `scopes.source` of the scopes this sync derives; `admin` grants are never touched.
const SOURCE: ScopeSource = ScopeSource::Dingtalk;

/// What DingTalk showed: departments parents first, and users. When `users_complete` is
/// false (some department's members could not be listed), no user is deactivated.
pub struct Snapshot<'a> {
    pub departments: &'a [Department],
    pub users: &'a [User],
    pub users_complete: bool,
}

/// What a run changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    pub orgs_created: u64,
    pub orgs_updated: u64,
    pub orgs_deactivated: u64,
    pub users_created: u64,
    pub users_updated: u64,
    pub users_deactivated: u64,
    pub memberships_changed: u64,
    pub scopes_changed: u64,
    pub facts_written: u64,
}

impl Changes {
    pub fn total(&self) -> u64 {
        self.orgs_created
            + self.orgs_updated
            + self.orgs_deactivated
            + self.users_created
            + self.users_updated
            + self.users_deactivated
            + self.memberships_changed
            + self.scopes_changed
            + self.facts_written
    }
}

pub async fn apply<C: ConnectionTrait>(
    db: &C,
    snapshot: &Snapshot<'_>,
    today: NaiveDate,
) -> Result<Changes, StoreError> {
    let mut changes = Changes::default();
    let orgs = sync_orgs(db, snapshot.departments, &mut changes).await?;
    let (users, touched) = sync_users(db, snapshot, &mut changes).await?;
    let fetched: HashMap<UserId, &User> =
        snapshot.users.iter().filter_map(|u| Some((users.get(&u.userid)?.id, u))).collect();
    sync_memberships(db, &fetched, &orgs, &mut changes).await?;
    sync_scopes(db, &fetched, &touched, &users, &orgs, &mut changes).await?;
    write_completeness(db, today, &mut changes).await?;
    if changes.facts_written > 0 {
        facts::bump_data_version(db).await?;
    }
    Ok(changes)
}

/// The org row a department should have.
struct OrgState {
    parent_id: Option<OrgId>,
    name: String,
    active: bool,
}

/// Upserts departments by `dingtalk_dept_id`, deactivates vanished ones, recomputes paths.
/// Returns the active orgs by DingTalk dept id.
async fn sync_orgs<C: ConnectionTrait>(
    db: &C,
    departments: &[Department],
    changes: &mut Changes,
) -> Result<HashMap<i64, OrgId>, StoreError> {
    let existing = org::Entity::find().all(db).await?;
    let mut by_dept: HashMap<i64, OrgId> = existing.iter().filter_map(|o| Some((o.dingtalk_dept_id?, o.id))).collect();
    let mut wanted: HashMap<OrgId, OrgState> = existing
        .iter()
        .map(|o| (o.id, OrgState { parent_id: o.parent_id, name: o.name.clone(), active: o.active }))
        .collect();
    let mut created = HashSet::new();
    for dept in departments {
        let parent = dept.parent_id.and_then(|p| by_dept.get(&p).copied());
        let id = match by_dept.get(&dept.dept_id) {
            Some(&id) => id,
            None => {
                let id = insert_department(db, dept, parent).await?;
                by_dept.insert(dept.dept_id, id);
                created.insert(id);
                changes.orgs_created += 1;
                id
            }
        };
        // The root keeps whatever sits above it in Canmou's tree (nothing, usually).
        let parent_id = if dept.dept_id == ROOT_DEPT_ID { wanted.get(&id).and_then(|w| w.parent_id) } else { parent };
        wanted.insert(id, OrgState { parent_id, name: dept.name.clone(), active: true });
    }
    let seen: HashSet<i64> = departments.iter().map(|d| d.dept_id).collect();
    for o in existing.iter().filter(|o| o.dingtalk_dept_id.is_some_and(|d| !seen.contains(&d))) {
        if let Some(w) = wanted.get_mut(&o.id) {
            w.active = false;
        }
    }
    let parents: HashMap<OrgId, Option<OrgId>> = wanted.iter().map(|(id, w)| (*id, w.parent_id)).collect();
    let paths = materialise(&parents)?;
    let now = Utc::now().fixed_offset();
    let old: HashMap<OrgId, &org::Model> = existing.iter().map(|o| (o.id, o)).collect();
    for (id, w) in &wanted {
        let Some((path, level)) = paths.get(id) else { continue };
        let same = old.get(id).is_some_and(|o| {
            o.parent_id == w.parent_id
                && o.name == w.name
                && o.active == w.active
                && &o.path == path
                && o.level == *level
        });
        if same {
            continue;
        }
        match old.get(id) {
            Some(o) if o.active && !w.active => changes.orgs_deactivated += 1,
            Some(_) => changes.orgs_updated += 1,
            None => {}
        }
        org::ActiveModel {
            id: Unchanged(*id),
            parent_id: Set(w.parent_id),
            name: Set(w.name.clone()),
            active: Set(w.active),
            path: Set(path.clone()),
            level: Set(*level),
            updated_at: Set(now),
            ..Default::default()
        }
        .update(db)
        .await?;
    }
    by_dept.retain(|_, id| wanted.get(id).is_some_and(|w| w.active));
    Ok(by_dept)
}

async fn insert_department<C: ConnectionTrait>(
    db: &C,
    dept: &Department,
    parent: Option<OrgId>,
) -> Result<OrgId, StoreError> {
    let model = org::ActiveModel {
        id: NotSet,
        code: Set(format!("dingtalk-{}", dept.dept_id)),
        dingtalk_dept_id: Set(Some(dept.dept_id)),
        parent_id: Set(parent),
        name: Set(dept.name.clone()),
        kind: Set(OrgKind::Department),
        level: Set(0),
        // Set properly once the id is known (the path ends with it).
        path: Set(format!("/pending-{}/", dept.dept_id)),
        sort_order: Set(dept.order.unwrap_or(0).clamp(0, i64::from(i32::MAX)) as i32),
        active: Set(true),
        updated_at: Set(Utc::now().fixed_offset()),
    };
    Ok(org::Entity::insert(model).exec(db).await?.last_insert_id)
}

/// Profile fields of a user as stored, in the order of `PROFILE_FIELDS`.
fn flags(u: &User) -> [bool; 7] {
    let placed = u.dept_ids.iter().any(|d| *d != ROOT_DEPT_ID) || !u.leader_of.is_empty();
    [!u.name.trim().is_empty(), u.title.is_some(), u.has_mobile, u.has_avatar, u.has_email, u.has_job_number, placed]
}

fn stored_flags(m: &user::Model) -> [bool; 7] {
    [m.has_name, m.has_title, m.has_mobile, m.has_avatar, m.has_email, m.has_job_number, m.has_position]
}

/// A user row as stored after the sync.
#[derive(Debug, Clone, Copy)]
struct UserRow {
    id: UserId,
    active: bool,
}

fn user_model(u: &User) -> user::ActiveModel {
    let f = flags(u);
    user::ActiveModel {
        unionid: Set(u.unionid.clone()),
        name: Set(u.name.clone()),
        title: Set(u.title.clone()),
        active: Set(u.active),
        has_name: Set(f[0]),
        has_title: Set(f[1]),
        has_mobile: Set(f[2]),
        has_avatar: Set(f[3]),
        has_email: Set(f[4]),
        has_job_number: Set(f[5]),
        has_position: Set(f[6]),
        updated_at: Set(Utc::now().fixed_offset()),
        ..Default::default()
    }
}

/// Upserts users by `dingtalk_userid` (a new user is a `viewer`; a stored role is kept) and
/// deactivates those DingTalk no longer lists. Returns every user by userid, and the ids of the
/// users this run is responsible for (listed now, or deactivated now).
async fn sync_users<C: ConnectionTrait>(
    db: &C,
    snapshot: &Snapshot<'_>,
    changes: &mut Changes,
) -> Result<(HashMap<String, UserRow>, HashSet<UserId>), StoreError> {
    let existing: HashMap<String, user::Model> =
        user::Entity::find().all(db).await?.into_iter().map(|m| (m.dingtalk_userid.clone(), m)).collect();
    let mut inserts = Vec::new();
    for u in snapshot.users {
        match existing.get(&u.userid) {
            None => {
                let mut model = user_model(u);
                model.dingtalk_userid = Set(u.userid.clone());
                model.role = Set(Role::Viewer);
                inserts.push(model);
            }
            Some(m) => {
                let same = m.unionid == u.unionid
                    && m.name == u.name
                    && m.title == u.title
                    && m.active == u.active
                    && stored_flags(m) == flags(u);
                if !same {
                    if m.active && !u.active {
                        changes.users_deactivated += 1;
                    } else {
                        changes.users_updated += 1;
                    }
                    let mut model = user_model(u);
                    model.id = Unchanged(m.id);
                    model.update(db).await?;
                }
            }
        }
    }
    changes.users_created += inserts.len() as u64;
    for chunk in inserts.chunks(400) {
        user::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    let listed: HashSet<&str> = snapshot.users.iter().map(|u| u.userid.as_str()).collect();
    let mut touched = HashSet::new();
    if snapshot.users_complete {
        for m in existing.values().filter(|m| m.active && !listed.contains(m.dingtalk_userid.as_str())) {
            let model = user::ActiveModel {
                id: Unchanged(m.id),
                active: Set(false),
                updated_at: Set(Utc::now().fixed_offset()),
                ..Default::default()
            };
            model.update(db).await?;
            changes.users_deactivated += 1;
            touched.insert(m.id);
        }
    }
    let all: HashMap<String, UserRow> = user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.dingtalk_userid, UserRow { id: m.id, active: m.active }))
        .collect();
    touched.extend(listed.iter().filter_map(|id| all.get(*id).map(|r| r.id)));
    Ok((all, touched))
}

/// Memberships and leader flags of the listed users, in the active orgs.
async fn sync_memberships<C: ConnectionTrait>(
    db: &C,
    fetched: &HashMap<UserId, &User>,
    orgs: &HashMap<i64, OrgId>,
    changes: &mut Changes,
) -> Result<(), StoreError> {
    let mut wanted: HashMap<(UserId, OrgId), bool> = HashMap::new();
    for (&user_id, u) in fetched {
        for dept in &u.dept_ids {
            if let Some(&org_id) = orgs.get(dept) {
                wanted.insert((user_id, org_id), u.leader_of.contains(dept));
            }
        }
    }
    let existing = user_org::Entity::find().all(db).await?;
    let mut have = HashSet::new();
    for row in existing.iter().filter(|r| fetched.contains_key(&r.user_id)) {
        have.insert((row.user_id, row.org_id));
        match wanted.get(&(row.user_id, row.org_id)) {
            None => {
                user_org::Entity::delete_many()
                    .filter(user_org::Column::UserId.eq(row.user_id))
                    .filter(user_org::Column::OrgId.eq(row.org_id))
                    .exec(db)
                    .await?;
            }
            Some(&leader) if leader != row.leader => {
                let model = user_org::ActiveModel {
                    user_id: Unchanged(row.user_id),
                    org_id: Unchanged(row.org_id),
                    leader: Set(leader),
                };
                model.update(db).await?;
            }
            Some(_) => continue,
        }
        changes.memberships_changed += 1;
    }
    let inserts: Vec<user_org::ActiveModel> = wanted
        .iter()
        .filter(|(key, _)| !have.contains(key))
        .map(|(&(user_id, org_id), &leader)| user_org::ActiveModel {
            user_id: Set(user_id),
            org_id: Set(org_id),
            leader: Set(leader),
        })
        .collect();
    changes.memberships_changed += inserts.len() as u64;
    for chunk in inserts.chunks(500) {
        user_org::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(())
}

/// Default scopes (source `dingtalk`) of the users this run is responsible for; a deactivated
/// user keeps none. Scopes granted by an administrator are left alone.
async fn sync_scopes<C: ConnectionTrait>(
    db: &C,
    fetched: &HashMap<UserId, &User>,
    touched: &HashSet<UserId>,
    users: &HashMap<String, UserRow>,
    orgs: &HashMap<i64, OrgId>,
    changes: &mut Changes,
) -> Result<(), StoreError> {
    let active: HashSet<UserId> = users.values().filter(|u| u.active).map(|u| u.id).collect();
    let mut wanted: HashSet<(UserId, OrgId)> = HashSet::new();
    for (&user_id, u) in fetched.iter().filter(|(id, _)| active.contains(id)) {
        let map = |ids: &[i64]| ids.iter().filter_map(|d| orgs.get(d).copied()).collect::<Vec<_>>();
        for org_id in default_scope(&map(&u.leader_of), &map(&u.dept_ids)) {
            wanted.insert((user_id, org_id));
        }
    }
    let existing = scope::Entity::find().all(db).await?;
    let have: HashSet<(UserId, OrgId)> = existing.iter().map(|s| (s.user_id, s.org_id)).collect();
    for s in existing.iter().filter(|s| s.source == SOURCE && touched.contains(&s.user_id)) {
        if !wanted.contains(&(s.user_id, s.org_id)) {
            scope::Entity::delete_many()
                .filter(scope::Column::UserId.eq(s.user_id))
                .filter(scope::Column::OrgId.eq(s.org_id))
                .exec(db)
                .await?;
            changes.scopes_changed += 1;
        }
    }
    let now = Utc::now().fixed_offset();
    let inserts: Vec<scope::ActiveModel> = wanted
        .iter()
        .filter(|key| !have.contains(key))
        .map(|&(user_id, org_id)| scope::ActiveModel {
            user_id: Set(user_id),
            org_id: Set(org_id),
            source: Set(SOURCE),
            granted_by: Set(None),
            granted_at: Set(now),
        })
        .collect();
    changes.scopes_changed += inserts.len() as u64;
    for chunk in inserts.chunks(500) {
        scope::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(())
}

/// Directory completeness of every active org for `today`, as computed facts; a node whose
/// members all left, or that left DingTalk itself, gets an empty figure rather than keeping a
/// stale one.
async fn write_completeness<C: ConnectionTrait>(
    db: &C,
    today: NaiveDate,
    changes: &mut Changes,
) -> Result<(), StoreError> {
    let Some(metric) = metric::Entity::find().filter(metric::Column::Code.eq(COMPLETENESS_METRIC)).one(db).await?
    else {
        tracing::warn!("the catalogue has no {COMPLETENESS_METRIC}: directory completeness not computed");
        return Ok(());
    };
    let orgs = org::Entity::find().all(db).await?;
    let parents: HashMap<OrgId, Option<OrgId>> =
        orgs.iter().filter(|o| o.active).map(|o| (o.id, o.parent_id)).collect();
    let filled: HashMap<UserId, u32> = user::Entity::find()
        .filter(user::Column::Active.eq(true))
        .all(db)
        .await?
        .iter()
        .map(|m| (m.id, stored_flags(m).iter().filter(|f| **f).count() as u32))
        .collect();
    let memberships: Vec<(UserId, OrgId)> =
        user_org::Entity::find().all(db).await?.iter().map(|m| (m.user_id, m.org_id)).collect();
    let figures = completeness(&parents, &memberships, &filled);
    let (grain, day) = (Grain::Day.code(), day_number(today));
    let stored: HashMap<OrgId, fact::Model> = fact::Entity::find()
        .filter(fact::Column::MetricId.eq(metric.id))
        .filter(fact::Column::Grain.eq(grain))
        .filter(fact::Column::PeriodStart.eq(day))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.org_id, f))
        .collect();
    let updated_at = Utc::now().timestamp();
    let mut rows = Vec::new();
    for o in &orgs {
        let figure = match figures.get(&o.id) {
            Some(&(num, den)) => Figure::ratio(num, den),
            None if stored.get(&o.id).is_some_and(|f| f.den.unwrap_or(0.0) > 0.0) => Figure::ratio(0.0, 0.0),
            None => continue,
        };
        let same = stored.get(&o.id).is_some_and(|f| (f.value, f.num, f.den) == (figure.value, figure.num, figure.den));
        if !same {
            rows.push(FactRow {
                metric_id: metric.id.get(),
                org_id: o.id.get(),
                grain,
                period_start: day,
                value: figure.value,
                num: figure.num,
                den: figure.den,
                updated_at,
                origin: origin::COMPUTED,
            });
        }
    }
    facts::upsert(db, &rows).await?;
    changes.facts_written += rows.len() as u64;
    Ok(())
}
