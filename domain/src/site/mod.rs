//! The site as a whole: switches kept in the database ([`settings`]), health and inventory
//! ([`health`]), the sample pages for an empty site ([`seed`]), and per-client limits on
//! what costs the site money ([`limits`]).

pub mod health;
pub mod limits;
pub mod seed;
pub mod settings;
