//! Indicator kinds: how a metric rolls up over time and over the org tree (`metrics.md`).

/// Stored through sea-orm (`metrics.part_kind`, `metrics.direction`), so they live with the
/// entities.
pub use entities::metric::{Aggregation, Direction, MetricKind, UnknownKind};

/// A metric's kind: a single quantity, or a ratio of two quantities each rolled up by its own
/// aggregation and divided afterwards (never averaged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Single(Aggregation),
    Ratio(Aggregation),
}

impl Kind {
    /// From the catalogue's `kind` and `part_kind` columns: the one place the two columns
    /// become a kind.
    pub fn from_columns(kind: MetricKind, part_kind: Option<Aggregation>) -> Result<Kind, UnknownKind> {
        match kind {
            MetricKind::Sum => Ok(Kind::Single(Aggregation::Sum)),
            MetricKind::Last => Ok(Kind::Single(Aggregation::Last)),
            MetricKind::Distinct => Ok(Kind::Single(Aggregation::Distinct)),
            MetricKind::Ratio => {
                part_kind.map(Kind::Ratio).ok_or_else(|| UnknownKind("ratio without part_kind".into()))
            }
        }
    }

    /// The `kind` and `part_kind` columns of the kind.
    pub const fn columns(self) -> (MetricKind, Option<Aggregation>) {
        match self {
            Kind::Single(Aggregation::Sum) => (MetricKind::Sum, None),
            Kind::Single(Aggregation::Last) => (MetricKind::Last, None),
            Kind::Single(Aggregation::Distinct) => (MetricKind::Distinct, None),
            Kind::Ratio(part) => (MetricKind::Ratio, Some(part)),
        }
    }

    /// The aggregation that governs roll-ups: the parts' for a ratio.
    pub const fn aggregation(self) -> Aggregation {
        match self {
            Kind::Single(a) | Kind::Ratio(a) => a,
        }
    }

    pub const fn is_ratio(self) -> bool {
        matches!(self, Kind::Ratio(_))
    }

    /// Whether the server may derive coarser grains and parent orgs for this metric.
    pub const fn derivable(self) -> bool {
        !matches!(self.aggregation(), Aggregation::Distinct)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn kinds_parse_from_the_catalogue_columns() {
        assert_eq!(Kind::from_columns(MetricKind::Sum, None).unwrap(), Kind::Single(Aggregation::Sum));
        let ratio = Kind::from_columns(MetricKind::Ratio, Some(Aggregation::Last)).unwrap();
        assert_eq!(ratio, Kind::Ratio(Aggregation::Last));
        assert_eq!(ratio.columns(), (MetricKind::Ratio, Some(Aggregation::Last)));
        assert!(Kind::from_columns(MetricKind::Ratio, None).is_err());
        assert!(!Kind::from_columns(MetricKind::Ratio, Some(Aggregation::Distinct)).unwrap().derivable());
        assert!(Kind::from_columns(MetricKind::Last, None).unwrap().derivable());
    }

    #[test]
    fn a_fall_is_good_news_for_a_down_metric() {
        assert_eq!(Direction::Down.favourable(-3.0), Some(true));
        assert_eq!(Direction::Up.favourable(-3.0), Some(false));
        assert_eq!(Direction::Up.favourable(0.0), None);
    }
}
