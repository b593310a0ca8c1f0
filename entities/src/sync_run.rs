use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One run of a sync worker.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "sync_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Which job ran.
    pub source: Job,
    pub trigger: RunTrigger,
    pub started_at: DateTimeWithTimeZone,
    pub finished_at: Option<DateTimeWithTimeZone>,
    pub status: RunStatus,
    pub rows_stored: i64,
    pub rows_rejected: i64,
    pub error: Option<String>,
    pub detail: Option<Json>,
}

/// Where a run stands, stored as its lowercase name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Claimed and not finished (the default of a report not yet finished).
    #[default]
    Running,
    /// Finished; everything it read was stored.
    Ok,
    /// Finished, with rows refused (`rejected_rows`) or parts it could not read.
    Partial,
    Failed,
    /// Stopped at a safe point by a shutdown; the next run resumes from what was committed.
    Cancelled,
}

impl RunStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Ok => "ok",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the run did its work (perhaps refusing some rows).
    pub const fn succeeded(self) -> bool {
        matches!(self, RunStatus::Ok | RunStatus::Partial)
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What started a run, stored as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum RunTrigger {
    Schedule,
    Manual,
}

impl RunTrigger {
    pub const fn as_str(self) -> &'static str {
        match self {
            RunTrigger::Schedule => "schedule",
            RunTrigger::Manual => "manual",
        }
    }
}

impl std::fmt::Display for RunTrigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The jobs whose runs are recorded, stored as their lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Job {
    /// The upstream aggregate feed.
    Feed,
    /// The DingTalk org directory.
    Directory,
    /// The records behind the government-service numbers.
    Records,
    /// A briefing run started by hand.
    Briefing,
}

impl Job {
    pub const ALL: [Job; 4] = [Job::Feed, Job::Directory, Job::Records, Job::Briefing];

    pub const fn as_str(self) -> &'static str {
        match self {
            Job::Feed => "feed",
            Job::Directory => "directory",
            Job::Records => "records",
            Job::Briefing => "briefing",
        }
    }

    /// The job in a sentence: "a feed sync is already running".
    pub const fn what(self) -> &'static str {
        match self {
            Job::Feed => "feed sync",
            Job::Directory => "directory sync",
            Job::Records => "record sync",
            Job::Briefing => "briefing run",
        }
    }
}

impl std::fmt::Display for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Job {
    type Err = String;

    fn from_str(s: &str) -> Result<Job, String> {
        Job::ALL
            .into_iter()
            .find(|j| j.as_str() == s.trim())
            .ok_or_else(|| format!("`{s}`: expected feed, directory, records or briefing"))
    }
}

impl<'de> Deserialize<'de> for Job {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::deserialize_from_str(d)
    }
}

/// A run of `job` could not start: run `run` of the same job is in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {} is already running (run {run})", job.what())]
pub struct Busy {
    pub job: Job,
    pub run: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
