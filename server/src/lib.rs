//! The native host: Folio on one machine. SQLite for [`domain::Db`], a content-addressed folder
//! for [`domain::Blobs`], tokio tasks for [`domain::Tasks`]; the app's router serves it all.

pub mod access_keys;
pub mod config;
pub mod fs_blobs;
pub mod migrations;
pub mod passwords;
pub mod sqlite;
pub mod startup;
pub mod tasks;
