//! The site as a whole: what a use case runs with ([`Site`]), switches kept in the database ([`settings`]), health and inventory
//! ([`health`]), the sample pages for an empty site ([`seed`]), and per-client limits on
//! what costs the site money ([`limits`]).

mod context;
pub mod health;
pub mod limits;
pub mod seed;
pub mod settings;

pub use context::Site;
