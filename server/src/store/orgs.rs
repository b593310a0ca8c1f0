//! The org tree.

use crate::store::StoreError;
use chrono::Utc;
use entities::ids::OrgId;
use entities::org::{self, OrgKind};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

/// A node to insert with a known id (the demo generator and fixtures use this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrg {
    pub id: OrgId,
    pub code: String,
    pub dingtalk_dept_id: Option<i64>,
    pub parent_id: Option<OrgId>,
    pub name: String,
    pub kind: OrgKind,
    pub level: i16,
    pub path: String,
    pub sort_order: i32,
}

/// Inserts nodes, parents before children.
pub async fn insert_all<C: ConnectionTrait>(db: &C, nodes: &[NewOrg]) -> Result<(), StoreError> {
    let now = Utc::now().fixed_offset();
    for chunk in nodes.chunks(500) {
        let models = chunk.iter().map(|n| org::ActiveModel {
            id: Set(n.id),
            code: Set(n.code.clone()),
            dingtalk_dept_id: Set(n.dingtalk_dept_id),
            parent_id: Set(n.parent_id),
            name: Set(n.name.clone()),
            kind: Set(n.kind),
            level: Set(n.level),
            path: Set(n.path.clone()),
            sort_order: Set(n.sort_order),
            active: Set(true),
            updated_at: Set(now),
        });
        org::Entity::insert_many(models).exec(db).await?;
    }
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared(
            "SELECT setval(pg_get_serial_sequence('orgs', 'id'), (SELECT COALESCE(MAX(id), 1) FROM orgs))",
        )
        .await?;
    }
    Ok(())
}
