//! Loading what every request consults and that changes rarely: the org tree, the catalogue,
//! the card sets, which periods are complete, and the data version that ties them together.

use entities::{data_version, metric, org, period_status};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use crate::domain::catalogue::{Catalogue, MetricDef};
use crate::domain::metric::{Direction, Kind};
use crate::domain::org_tree::{OrgNode, OrgTree};
use crate::domain::period::{Grain, from_day_number};
use crate::state::{Complete, Snapshot};

pub async fn data_version<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    Ok(data_version::Entity::find_by_id(1).one(db).await?.map_or(0, |v| v.version))
}

pub async fn load<C: ConnectionTrait>(db: &C) -> Result<Snapshot, DbErr> {
    let version = data_version(db).await?;
    let orgs = org::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|o| OrgNode {
            id: o.id,
            parent_id: o.parent_id,
            code: o.code,
            name: o.name,
            kind: o.kind,
            level: o.level,
            path: o.path,
            sort_order: o.sort_order,
            active: o.active,
        })
        .collect();
    let defs = metric::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| {
            let kind = Kind::parse(&m.kind, m.part_kind.as_deref()).ok()?;
            Some(MetricDef {
                id: m.id,
                direction: Direction::parse(&m.direction),
                precision: u8::try_from(m.precision).unwrap_or(0).min(6),
                code: m.code,
                name: m.name,
                unit: m.unit,
                kind,
                description: m.description,
                active: m.active,
            })
        })
        .collect();
    let mut complete = Complete::default();
    for s in period_status::Entity::find().all(db).await? {
        if let (Some(grain), Some(day)) = (Grain::from_code(s.grain), from_day_number(s.complete_through)) {
            complete.set(grain, day);
        }
    }
    Ok(Snapshot {
        version,
        orgs: OrgTree::new(orgs),
        catalogue: Catalogue::new(defs),
        card_sets: super::card_sets::load(db).await?,
        complete,
        peer_values: Default::default(),
    })
}
