//! What the read API serves, computed from facts: home cards, series, breakdowns. Routes and
//! exports call the same code, so a download always matches the screen.

pub mod boards;
pub mod breakdown;
pub mod briefing;
pub mod cards;
pub mod dto;
pub mod home;
pub mod params;
pub mod series;
