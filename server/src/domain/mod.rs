//! Pure domain code: periods, indicator kinds, roll-ups, the org tree, card maths and number
//! formatting. No I/O here; everything is tested directly.

pub mod boards;
pub mod briefing;
pub mod calendar;
pub mod card;
pub mod catalogue;
pub mod compare;
pub mod directory;
pub mod format;
pub mod metric;
pub mod org_tree;
pub mod period;
pub mod records;
pub mod rollup;
