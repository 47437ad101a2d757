//! The ports: what the domain needs from a host. Each host supplies adapters (native: SQLite,
//! filesystem, tokio; Worker: D1, R2, waitUntil) bundled in one cheap-to-clone [`Ports`].
//! One trait per file.
//!
//! Ports are `Send + Sync` trait objects: server functions cannot be generic. Worker adapters
//! wrap their JS futures so these signatures stay the same on both hosts.

mod ai;
mod blobs;
mod db;
mod passwords;
mod tasks;
mod vectors;

pub use ai::{Ai, OnText};
pub use blobs::Blobs;
pub use db::{Db, DbExt};
pub use passwords::Passwords;
pub use tasks::{run_cpu, with_timeout, CpuJob, Task, Tasks};
pub use vectors::{VectorMatch, VectorQuery, VectorRecord, Vectors};

use std::sync::Arc;

/// Every port a use case may reach. Vectors and Ai are optional until the search and
/// enrichment features wire them in; health reports them as not configured.
#[derive(Clone)]
pub struct Ports {
    pub db: Arc<dyn Db>,
    pub blobs: Arc<dyn Blobs>,
    pub tasks: Arc<dyn Tasks>,
    pub passwords: Arc<dyn Passwords>,
    pub vectors: Option<Arc<dyn Vectors>>,
    pub ai: Option<Arc<dyn Ai>>,
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
    /// Enrichment's last refusal, remembered a few seconds (state, not a port).
    pub enrich_refused: Arc<crate::enrich::guard::RecentRefusal>,
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
            tasks,
            passwords,
            vectors: None,
            ai: None,
            access: None,
            views: Arc::default(),
            search: Arc::default(),
            enrich: Arc::default(),
            asking: Arc::default(),
            enrich_refused: Arc::default(),
            searches: Arc::default(),
        }
    }

    /// Semantic search (and embedding in ingest) with this model and vector index.
    #[must_use]
    pub fn with_semantic(mut self, ai: Arc<dyn Ai>, vectors: Arc<dyn Vectors>) -> Self {
        self.ai = Some(ai);
        self.vectors = Some(vectors);
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
