//! Folio's domain: what the site does, independent of where it runs. One folder a capability:
//!
//! - [`ports`]: the traits a host implements (Db, Blobs, Tasks, Passwords, Vectors, Ai), and
//!   [`contract`], the suite every adapter passes.
//! - [`accounts`]: sign-in, sessions, API tokens, Cloudflare Access, throttling.
//! - [`content`]: upload checks, conversion to Markdown, rendering.
//! - [`documents`]: listings, reading, votes, browse facets, and the shared values in
//!   [`documents::model`].
//! - [`storage`]: content-addressed blobs and long text.
//! - [`ingest`]: accepting uploads and edits, durable jobs with leases, the publish stage.
//! - [`site`]: [`Site`] (ports + settings + shared state), settings (the kill switch), health and inventory, sample content.
//! - [`error`] (one status mapping) and [`sql`] (one SQL dialect for SQLite and D1).
//!
//! - [`search`]: chunks, the keyword and semantic indexes, fusion.
//! - [`enrich`]: summaries, topics and related documents by stale-while-revalidate.
//! - [`ask`]: questions answered from passages, with citations.
//! - [`model_guard`]: the model's budget and circuit breaker, shared by enrich and ask.
//! - [`insights`]: what readers searched for and asked, and votes on answers, for editors.
//! - [`config`]: the settings both hosts share, defined once.

pub mod accounts;
pub mod ask;
pub mod config;
pub mod content;
#[cfg(feature = "contract")]
pub mod contract;
pub mod documents;
pub mod enrich;
pub mod error;
#[cfg(test)]
mod hostile_tests;
pub mod ingest;
pub mod insights;
pub mod model_guard;
pub mod ports;
pub mod search;
pub mod site;
pub mod sql;
pub mod storage;

pub use error::{AiError, BlobError, ConvertError, DbError, DomainError, PasswordError, VectorError};
pub use ports::{Ai, Blobs, Converter, Db, Passwords, Ports, Tasks, Vectors};
pub use site::Site;
pub use storage::blob_key::BlobKey;
