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
pub use tasks::{run_cpu, with_timeout, CpuJob, Task, Tasks};
pub use throttle::Throttle;
pub use vectors::{VectorId, VectorMatch, VectorQuery, VectorRecord, Vectors};

use std::sync::Arc;

/// Every port a use case may reach. Vectors and Ai are optional until the search and
/// enrichment features wire them in; health reports them as not configured.
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
    /// Cloudflare Access trust, when configured (off by default).
    pub access: Option<Arc<crate::accounts::access::Access>>,
    /// Page views not yet written (state, not a port: shared by every request of a process or
    /// isolate so their views are written together).
    pub views: Arc<crate::documents::views::ViewTally>,
    /// Search tuning (settings, not a port), fixed per host.
    pub search: Arc<crate::search::Settings>,
    /// Enrichment tuning: the text model's name, budget, time-out, breaker.
    pub enrich: Arc<crate::enrich::Settings>,
    /// Askers being answered now (state, not a port: bounds them per process or isolate).
    pub asking: Arc<crate::ask::Gate>,
    /// Per-client limits on search and Ask (settings, not a port).
    pub limits: Arc<crate::site::limits::ClientLimits>,
    /// Enrichment's last refusal, remembered a few seconds (state, not a port).
    pub enrich_refused: Arc<crate::model_guard::RecentRefusal>,
    /// Searches and query embeddings kept for repeats (state, not a port).
    pub searches: Arc<crate::search::SearchCache>,
}

impl Ports {
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
            throttle: Arc::new(crate::site::limits::MemoryThrottle::default()),
            access: None,
            views: Arc::default(),
            search: Arc::default(),
            enrich: Arc::default(),
            asking: Arc::default(),
            limits: Arc::default(),
            enrich_refused: Arc::default(),
            searches: Arc::default(),
        }
    }

    /// Per-client limits, counted by `throttle`.
    #[must_use]
    pub fn with_limits(
        mut self,
        limits: crate::site::limits::ClientLimits,
        throttle: Arc<dyn Throttle>,
    ) -> Self {
        self.limits = Arc::new(limits);
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

    #[must_use]
    pub fn with_search_settings(mut self, settings: crate::search::Settings) -> Self {
        self.search = Arc::new(settings);
        self
    }

    #[must_use]
    pub fn with_enrich_settings(mut self, settings: crate::enrich::Settings) -> Self {
        self.enrich = Arc::new(settings);
        self
    }

    #[must_use]
    pub fn with_access(mut self, access: Option<crate::accounts::access::Access>) -> Self {
        self.access = access.map(Arc::new);
        self
    }
}
