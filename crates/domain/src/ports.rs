//! The ports: what the domain needs from a host. Each host supplies adapters (native: SQLite,
//! filesystem, tokio; Worker: D1, R2, waitUntil) bundled in one cheap-to-clone [`Ports`].
//!
//! Ports are `Send + Sync` trait objects: server functions cannot be generic. Worker adapters
//! wrap their JS futures so these signatures stay the same on both hosts.

use async_trait::async_trait;
use bytes::Bytes;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::blob_key::BlobKey;
use crate::error::{AiError, BlobError, DbError, PasswordError, VectorError};
use crate::sql::{Row, Statement};

/// SQL storage (SQLite dialect).
#[async_trait]
pub trait Db: Send + Sync {
    /// Runs a read and returns its rows.
    async fn query(&self, stmt: Statement) -> Result<Vec<Row>, DbError>;
    /// Runs a write and returns the number of rows it changed.
    async fn execute(&self, stmt: Statement) -> Result<u64, DbError>;
    /// Runs writes atomically: all of them or none (a transaction natively, a D1 batch).
    async fn batch(&self, stmts: Vec<Statement>) -> Result<(), DbError>;
}

/// Content-addressed bytes. Keys are computed by the caller ([`BlobKey::of`]), so `put` of the
/// same key twice is a no-op and nothing is ever overwritten with different bytes.
#[async_trait]
pub trait Blobs: Send + Sync {
    async fn put(&self, key: &BlobKey, bytes: Bytes) -> Result<(), BlobError>;
    async fn get(&self, key: &BlobKey) -> Result<Option<Bytes>, BlobError>;
    async fn exists(&self, key: &BlobKey) -> Result<bool, BlobError>;
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError>;
    /// Cheap reachability check for `/healthz`.
    async fn ping(&self) -> Result<(), BlobError>;
}

/// Password hashing: argon2id natively, PBKDF2-SHA256 through WebCrypto on Workers (whose
/// CPU budget argon2 would blow). Hashes are PHC strings that name their algorithm.
#[async_trait]
pub trait Passwords: Send + Sync {
    async fn hash(&self, password: &str) -> Result<String, PasswordError>;
    /// Whether the password matches. A hash in an algorithm this host cannot check is an error.
    async fn verify(&self, password: &str, phc: &str) -> Result<bool, PasswordError>;
}

/// A unit of background work. It must not fail loudly: it logs and ends.
pub type Task = BoxFuture<'static, ()>;

/// CPU-bound work (parsing a PDF) handed to [`Tasks::run_cpu`].
pub type CpuJob = Box<dyn FnOnce() + Send>;

/// Work that runs after the response: a spawned tokio task natively, `waitUntil` on Workers.
pub trait Tasks: Send + Sync {
    fn spawn(&self, name: &'static str, task: Task);
    /// Runs `job` where it cannot stall other requests: a blocking thread natively, inline on
    /// a Worker (one request per isolate thread, nothing to stall). The future ends with it.
    fn run_cpu(&self, job: CpuJob) -> Task;
}

/// Runs `f` through [`Tasks::run_cpu`] and returns its result (`None` if it panicked).
pub async fn run_cpu<T: Send + 'static>(
    tasks: &dyn Tasks,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let slot = std::sync::Arc::new(std::sync::Mutex::new(None));
    let out = slot.clone();
    tasks
        .run_cpu(Box::new(move || {
            let value = f();
            if let Ok(mut out) = out.lock() {
                *out = Some(value);
            }
        }))
        .await;
    slot.lock().ok().and_then(|mut v| v.take())
}

/// A vector with the id of what it embeds. Used by the search issue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorRecord {
    pub id: String,
    pub values: Vec<f32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorMatch {
    pub id: String,
    pub score: f32,
}

/// Nearest-neighbour index (embedded natively, Vectorize on Workers).
#[async_trait]
pub trait Vectors: Send + Sync {
    async fn upsert(&self, records: Vec<VectorRecord>) -> Result<(), VectorError>;
    async fn query(&self, vector: Vec<f32>, top_k: usize) -> Result<Vec<VectorMatch>, VectorError>;
    async fn delete(&self, ids: Vec<String>) -> Result<(), VectorError>;
}

/// Models (candle natively, Workers AI on Workers).
#[async_trait]
pub trait Ai: Send + Sync {
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, AiError>;
    async fn generate(&self, system: String, prompt: String) -> Result<String, AiError>;
}

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
    pub access: Option<Arc<crate::access::Access>>,
}

impl Ports {
    pub fn new(
        db: Arc<dyn Db>,
        blobs: Arc<dyn Blobs>,
        tasks: Arc<dyn Tasks>,
        passwords: Arc<dyn Passwords>,
    ) -> Self {
        Self { db, blobs, tasks, passwords, vectors: None, ai: None, access: None }
    }

    #[must_use]
    pub fn with_access(mut self, access: Option<crate::access::Access>) -> Self {
        self.access = access.map(Arc::new);
        self
    }
}
