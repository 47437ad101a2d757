//! The native host: Folio on one machine. SQLite for [`domain::Db`], a content-addressed folder
//! for [`domain::Blobs`], tokio tasks for [`domain::Tasks`]; the app's router serves it all.

pub mod adapters;
pub mod cli;
pub mod config;
pub mod migrations;
pub mod standin;
pub mod startup;
