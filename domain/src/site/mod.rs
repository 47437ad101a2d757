//! The site as a whole: switches kept in the database ([`settings`]), health and inventory
//! ([`health`]), and the sample pages for an empty site ([`seed`]).

pub mod health;
pub mod seed;
pub mod settings;
