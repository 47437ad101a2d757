//! Folio's domain: what the site does, independent of where it runs.
//!
//! - [`ports`]: the traits a host implements (Db, Blobs, Tasks, Vectors, Ai).
//! - use cases: [`documents`], [`blobs`], [`auth`], [`health`], [`seed`]; [`upload`] checks files.
//! - values: [`model`], [`blob_key`], [`sql`], rendering in [`markdown`].

pub mod access;
pub mod auth;
pub mod blob_key;
pub mod blobs;
#[cfg(feature = "contract")]
pub mod contract;
pub mod convert;
pub mod documents;
pub mod error;
pub mod health;
pub mod ingest;
pub mod markdown;
pub mod model;
pub mod pbkdf2_phc;
pub mod ports;
pub mod seed;
pub mod settings;
pub mod sql;
pub mod throttle;
pub mod upload;

pub use blob_key::BlobKey;
pub use error::{AiError, BlobError, DbError, DomainError, PasswordError, VectorError};
pub use ports::{Ai, Blobs, Db, Passwords, Ports, Tasks, Vectors};
