use async_trait::async_trait;
use bytes::Bytes;

use crate::error::BlobError;
use crate::storage::blob_key::BlobKey;

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
