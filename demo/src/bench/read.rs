//! `canmou bench-prepare`: users spread over the org tree, tokens for them, and request lists
//! for the read benchmark (`scripts/bench_read.py`).

use entities::ids::{OrgId, UserId};
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use chrono::{Days, Utc};
use entities::user::Role;
use entities::{metric, scope, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
};

use canmou::auth::JwtKeys;
use canmou::config::Settings;
use canmou::domain::period::{Grain, Period};

/// Creates (or reuses) `users` bench users whose scopes are spread over the tree, and writes
/// `token<TAB>path` lists into `out`.
pub async fn prepare(db: &DatabaseConnection, settings: &Settings, users: usize, out: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let snapshot = canmou::store::snapshot::load(db).await?;
    let mut orgs: Vec<_> = (1..=100_000).filter_map(|id| snapshot.orgs.get(OrgId(id))).collect();
    orgs.sort_by_key(|o| o.id);
    anyhow::ensure!(!orgs.is_empty(), "the database holds no org tree: generate the demo province first");
    let keys = JwtKeys::from_settings(&settings.auth);
    let now = Utc::now();
    let mut tokens = Vec::new();
    for i in 0..users.max(1) {
        // A stride through the tree picks cities, districts and departments alike.
        let org = orgs[(i * 7919) % orgs.len()];
        let id = ensure_user(db, &format!("bench-{i:04}"), org.id, Role::Viewer).await?;
        tokens.push((keys.issue(id.get(), &session(db, id).await?, now)?.0, org.id));
    }
    let root = ensure_user(db, "bench-root", orgs[0].id, Role::Viewer).await?;
    let root_token = keys.issue(root.get(), &session(db, root).await?, now)?.0;
    // An administrator of the province, for benchmarks that set things up through the admin
    // API (the open data API's registers its applications with it).
    let admin = ensure_user(db, "bench-admin", orgs[0].id, Role::Admin).await?;
    std::fs::write(out.join("admin.token"), keys.issue(admin.get(), &session(db, admin).await?, now)?.0)?;

    write(out.join("home_hits.tsv"), tokens.iter().map(|(t, _)| format!("{t}\t/api/v1/home")))?;
    write(
        out.join("breakdown_hits.tsv"),
        tokens.iter().map(|(t, _)| format!("{t}\t/api/v1/metrics/collab.msg_total/breakdown")),
    )?;
    // The bare ceiling (`canmou bench-ceiling`) answers any path; Canmou's `/healthz` is its
    // full middleware with no handler work.
    write(out.join("ceiling.tsv"), tokens.iter().map(|(t, _)| format!("{t}\t/api/v1/home")))?;
    write(out.join("healthz.tsv"), tokens.iter().map(|(t, _)| format!("{t}\t/healthz")))?;

    // Every request a new combination: each org on each of the last days.
    let today = canmou::domain::period::business_date(&settings.timezone(), now);
    let days: Vec<String> =
        (1..=365u64).map(|d| Period::containing(Grain::Day, today - Days::new(d)).start().to_string()).collect();
    let mut misses = Vec::new();
    for d in &days {
        for o in &orgs {
            misses.push(format!("{root_token}\t/api/v1/home?org={}&grain=day&date={d}", o.id));
        }
    }
    write(out.join("home_misses.tsv"), misses.into_iter())?;
    let codes: Vec<String> = metric::Entity::find().all(db).await?.into_iter().map(|m| m.code).collect();
    let parents: Vec<OrgId> = orgs.iter().filter(|o| snapshot.orgs.child_count(o.id) > 0).map(|o| o.id).collect();
    let mut misses = Vec::new();
    for (i, d) in days.iter().enumerate() {
        for (j, o) in parents.iter().enumerate() {
            let code = &codes[(i + j) % codes.len()];
            misses.push(format!("{root_token}\t/api/v1/metrics/{code}/breakdown?org={o}&grain=day&date={d}"));
        }
    }
    write(out.join("breakdown_misses.tsv"), misses.into_iter())?;
    // The bench users are real users with scopes (bench-root sees its whole subtree): the
    // audit log says who made them and when, as for any grant.
    canmou::store::audit::record(
        db,
        canmou::store::audit::Entry {
            actor_id: None,
            actor: "canmou bench-prepare",
            action: "bench.prepare",
            target: format!("{} bench users (bench-0000…, bench-root, bench-admin)", tokens.len() + 2),
            before: None,
            after: Some(
                serde_json::json!({ "users": tokens.len() + 2, "admins": ["bench-admin"], "rootOrg": orgs[0].id, "tokensValidHours": 24 }),
            ),
            request_id: None,
            scope_org: None,
        },
    )
    .await?;
    println!("Prepared {} bench users (one administrator) and request lists in {}", tokens.len() + 2, out.display());
    Ok(())
}

/// A day-long session for a benchmark user, so that its tokens pass the session check.
async fn session(db: &DatabaseConnection, user_id: UserId) -> anyhow::Result<String> {
    use canmou::store::sessions::{self, Client};
    let now = Utc::now();
    Ok(sessions::open(db, user_id, Client::Miniapp, now, now + chrono::Duration::days(1)).await?.id)
}

async fn ensure_user(db: &DatabaseConnection, userid: &str, org: OrgId, role: Role) -> anyhow::Result<UserId> {
    if let Some(u) = user::Entity::find().filter(user::Column::DingtalkUserid.eq(userid)).one(db).await? {
        // A directory sync deactivates users DingTalk does not know, bench users included.
        let id = u.id;
        let mut active = u.into_active_model();
        active.active = Set(true);
        active.update(db).await?;
        return Ok(id);
    }
    let now = Utc::now().fixed_offset();
    let u = user::ActiveModel { has_position: Set(true), ..canmou::store::users::new_user(userid, userid, role) }
        .insert(db)
        .await?;
    scope::ActiveModel {
        user_id: Set(u.id),
        org_id: Set(org),
        source: Set(entities::scope::ScopeSource::Admin),
        granted_by: Set(None),
        granted_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(u.id)
}

fn write(path: impl AsRef<Path>, lines: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path.as_ref())?);
    for line in lines {
        writeln!(f, "{line}")?;
    }
    f.flush()?;
    Ok(())
}
