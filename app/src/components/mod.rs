//! Pieces more than one route shows.

pub mod enrichment;
pub mod error_box;
pub mod listing;
pub mod search_box;
