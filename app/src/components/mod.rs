//! Pieces more than one route shows.

pub mod answer;
pub mod enrichment;
pub mod error_box;
pub mod listing;
pub mod live_search;
pub mod search_box;
// Only the browser opens it; its code is a `#[lazy]` split.
#[cfg(feature = "hydrate")]
pub mod search_dialog;
