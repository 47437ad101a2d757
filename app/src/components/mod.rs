//! Pieces more than one route shows.

pub mod answer;
pub mod enrichment;
pub mod error_box;
pub mod listing;
pub mod search_box;
