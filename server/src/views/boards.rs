//! Boards as the phone shows them: the list of boards an audience sees, and one board's
//! screen — its sections of cards, computed like the home screen's (one statement for the
//! whole screen).

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use serde::Serialize;

use super::cards::{self, CardSpec};
use super::dto::{CardDto, OrgDto, PeriodDto};
use crate::domain::boards::Board;
use crate::domain::org_tree::OrgNode;
use crate::domain::period::Period;
use crate::error::ApiError;
use crate::state::Snapshot;
use crate::store::card_sets::CardDef;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BoardMetric {
    pub code: String,
    pub name: String,
    pub unit: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SectionSummary {
    pub name: String,
    pub metrics: Vec<BoardMetric>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BoardSummary {
    pub code: String,
    pub name: String,
    pub sections: Vec<SectionSummary>,
}

/// `GET /boards`: the boards the caller's audience sees, with their indicators.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BoardList {
    pub boards: Vec<BoardSummary>,
}

impl BoardList {
    pub fn new(boards: &[Board<'_>]) -> BoardList {
        BoardList {
            boards: boards
                .iter()
                .map(|b| BoardSummary {
                    code: b.layout.code.to_owned(),
                    name: b.layout.name.to_owned(),
                    sections: b
                        .sections
                        .iter()
                        .map(|(name, metrics)| SectionSummary {
                            name: (*name).to_owned(),
                            metrics: metrics
                                .iter()
                                .map(|m| BoardMetric {
                                    code: m.code.clone(),
                                    name: m.name.clone(),
                                    unit: m.unit.clone(),
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SectionScreen {
    pub name: String,
    pub cards: Vec<CardDto>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BoardRef {
    pub code: String,
    pub name: String,
}

/// `GET /boards/{code}`: one board's screen.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BoardScreen {
    /// The latest complete business date.
    pub as_of: Option<String>,
    pub period: PeriodDto,
    pub org: OrgDto,
    pub board: BoardRef,
    pub sections: Vec<SectionScreen>,
}

pub async fn screen<C: ConnectionTrait>(
    db: &C,
    snap: &Snapshot,
    board: &Board<'_>,
    org: &OrgNode,
    period: Period,
    today: NaiveDate,
) -> Result<BoardScreen, ApiError> {
    let defs: Vec<CardDef> =
        board.sections.iter().flat_map(|(_, metrics)| metrics.iter().map(|m| cards::metric_card(m.id))).collect();
    let specs: Vec<CardSpec<'_>> = board
        .sections
        .iter()
        .flat_map(|(_, metrics)| metrics.iter())
        .zip(&defs)
        .map(|(m, def)| CardSpec { def, metric: (*m).clone() })
        .collect();
    let mut computed = cards::compute(db, snap, &specs, org, period, today).await?.into_iter();
    let sections = board
        .sections
        .iter()
        .map(|(name, metrics)| SectionScreen {
            name: (*name).to_owned(),
            cards: computed.by_ref().take(metrics.len()).collect(),
        })
        .collect();
    Ok(BoardScreen {
        as_of: snap.complete.as_of().map(|d| d.to_string()),
        period: PeriodDto::new(period, snap.is_partial(period)),
        org: OrgDto::new(org, &snap.orgs),
        board: BoardRef { code: board.layout.code.to_owned(), name: board.layout.name.to_owned() },
        sections,
    })
}
