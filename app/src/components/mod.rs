//! Pieces more than one route shows.

pub mod answer;
pub mod enrichment;
pub mod error_box;
// "Did this help?" under a result opened from the search dialog: only the browser asks.
#[cfg(feature = "hydrate")]
pub mod helped;
pub mod listing;
pub mod search_box;
// Only the browser opens it; its code is a `#[lazy]` split.
#[cfg(feature = "hydrate")]
mod live_search;
#[cfg(feature = "hydrate")]
pub mod search_dialog;
