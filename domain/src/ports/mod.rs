//! The ports: what the domain needs from a host. Each host supplies adapters (native: SQLite,
//! filesystem, tokio; Worker: D1, R2, waitUntil) bundled in one cheap-to-clone [`Ports`].
//! One trait per file.
//!
//! Ports are `Send + Sync` trait objects: server functions cannot be generic. Worker adapters
//! wrap their JS futures so these signatures stay the same on both hosts.

mod ai;
mod blobs;
mod convert;
mod db;
mod passwords;
mod tasks;
mod throttle;
mod vectors;

pub use ai::{Ai, OnText};
pub use blobs::Blobs;
pub use convert::{Conversion, Converter, InProcess};
pub use db::{Db, DbExt};
pub use passwords::Passwords;
pub use tasks::{or_fallback, run_cpu, with_timeout, CpuJob, Task, Tasks};
pub use throttle::{MemoryThrottle, Throttle};
pub use vectors::{VectorId, VectorMatch, VectorQuery, VectorRecord, Vectors};

use std::sync::Arc;

/// The host's adapters, and nothing else: settings and run-time state live beside them in
/// [`crate::Site`]. Vectors and Ai are optional (a site runs keyword-only without them);
/// health reports them as not configured.
#[derive(Clone)]
pub struct Ports {
    pub db: Arc<dyn Db>,
    pub blobs: Arc<dyn Blobs>,
    pub tasks: Arc<dyn Tasks>,
    /// Converts uploads whose parsers we cannot bound (PDF): in-process unless the host gives
    /// an isolating one (`with_converter`).
    pub converter: Arc<dyn Converter>,
    pub passwords: Arc<dyn Passwords>,
    pub vectors: Option<Arc<dyn Vectors>>,
    pub ai: Option<Arc<dyn Ai>>,
    /// Per-client counts (in memory natively, D1 on Workers).
    pub throttle: Arc<dyn Throttle>,
}

impl Ports {
    /// The four adapters every host has; counts in memory and converts in-process until told
    /// otherwise.
    pub fn new(
        db: Arc<dyn Db>,
        blobs: Arc<dyn Blobs>,
        tasks: Arc<dyn Tasks>,
        passwords: Arc<dyn Passwords>,
    ) -> Self {
        Self {
            db,
            blobs,
            converter: Arc::new(InProcess::new(tasks.clone())),
            tasks,
            passwords,
            vectors: None,
            ai: None,
            throttle: Arc::new(MemoryThrottle::default()),
        }
    }

    /// Per-client counts kept by `throttle` (D1 on Workers, shared by every isolate).
    #[must_use]
    pub fn with_throttle(mut self, throttle: Arc<dyn Throttle>) -> Self {
        self.throttle = throttle;
        self
    }

    /// Semantic search (and embedding in ingest) with this model and vector index.
    #[must_use]
    pub fn with_semantic(mut self, ai: Arc<dyn Ai>, vectors: Arc<dyn Vectors>) -> Self {
        self.ai = Some(ai);
        self.vectors = Some(vectors);
        self
    }

    /// Conversions through `converter` (natively a child process a crash cannot escape).
    #[must_use]
    pub fn with_converter(mut self, converter: Arc<dyn Converter>) -> Self {
        self.converter = converter;
        self
    }
}
