//! One file per route: the page components `App`'s router mounts.

pub mod admin;
pub mod ask;
pub mod document;
pub mod edit;
pub mod folder;
pub mod home;
pub mod insights;
pub mod not_found;
pub mod search;
pub mod sign_in;
pub mod tag;
pub mod upload;
