//! Background jobs. Each is a plain async function run by the scheduler, by the CLI, or
//! directly by tests ("run until idle", never by sleeping).

pub mod briefing;
pub mod directory;

/// Who started a run (`sync_runs.trigger`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Manual,
    Schedule,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Schedule => "schedule",
        }
    }
}
