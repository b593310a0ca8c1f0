//! The metric catalogue in memory, with parsed kinds and directions.

use std::collections::HashMap;
use std::sync::Arc;

pub use entities::ids::MetricId;

use super::metric::{Direction, Kind};

#[derive(Debug, Clone, PartialEq)]
pub struct MetricDef {
    pub id: MetricId,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub kind: Kind,
    pub direction: Direction,
    pub precision: u8,
    pub description: String,
    pub active: bool,
    /// Day-grain 环比 compares like with like by the working-day calendar.
    pub working_days: bool,
    /// The board it belongs to: `collab`, `service`, `mobile`, `governance`.
    pub category: String,
}

impl MetricDef {
    /// Rates are stored as fractions and shown as percentages.
    pub fn is_percent(&self) -> bool {
        self.unit == "%"
    }
}

#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    by_code: HashMap<String, Arc<MetricDef>>,
    by_id: HashMap<MetricId, Arc<MetricDef>>,
}

impl Catalogue {
    pub fn new(defs: Vec<MetricDef>) -> Catalogue {
        let mut c = Catalogue::default();
        for d in defs {
            let d = Arc::new(d);
            c.by_code.insert(d.code.clone(), d.clone());
            c.by_id.insert(d.id, d);
        }
        c
    }

    pub fn by_code(&self, code: &str) -> Option<&Arc<MetricDef>> {
        self.by_code.get(code)
    }

    /// Every metric, in no particular order.
    pub fn all(&self) -> impl Iterator<Item = &Arc<MetricDef>> {
        self.by_id.values()
    }

    pub fn by_id(&self, id: MetricId) -> Option<&Arc<MetricDef>> {
        self.by_id.get(&id)
    }
}
