//! Pure domain code: periods, indicator kinds and roll-ups. No I/O here; everything is tested
//! directly.

pub mod directory;
pub mod metric;
pub mod period;
pub mod rollup;
