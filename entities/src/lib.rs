//! sea-orm entities of Canmou, one file a table. Domain meaning (grains, kinds, day numbers)
//! lives in the server's `domain` module; these types mirror the rows.

pub mod audit_log;
pub mod board_rule;
pub mod briefing_content;
pub mod briefing_delivery;
pub mod briefing_subscription;
pub mod calendar;
pub mod card;
pub mod card_set;
pub mod card_set_assignment;
pub mod card_set_version;
pub mod data_version;
pub mod fact;
pub mod metric;
pub mod open_app;
pub mod open_call;
pub mod open_quota;
pub mod org;
pub mod period_status;
pub mod record_case;
pub mod record_catalog;
pub mod record_item;
pub mod refresh_token;
pub mod rejected_row;
pub mod scope;
pub mod session;
pub mod sync_run;
pub mod sync_state;
pub mod user;
pub mod user_column;
pub mod user_org;
