use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::VectorError;

/// A chunk's vector and what filters need to know about it (Vectorize metadata on Workers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorRecord {
    /// `<version_id>:<ordinal>` (see `ingest::vector_id`).
    pub id: String,
    pub values: Vec<f32>,
    pub document_id: i64,
    pub folder: String,
}

/// Nearest neighbours of `values`, optionally only in one folder.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorQuery {
    pub values: Vec<f32>,
    pub top_k: usize,
    pub folder: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorMatch {
    pub id: String,
    /// Cosine similarity: higher is closer.
    pub score: f32,
}

/// Nearest-neighbour index (embedded natively, Vectorize on Workers). Eventually consistent is
/// allowed: search checks every match against the database before showing it.
#[async_trait]
pub trait Vectors: Send + Sync {
    /// Inserts or replaces vectors by id.
    async fn upsert(&self, records: Vec<VectorRecord>) -> Result<(), VectorError>;
    async fn query(&self, query: VectorQuery) -> Result<Vec<VectorMatch>, VectorError>;
    /// Forgets ids; unknown ids are not an error.
    async fn delete(&self, ids: Vec<String>) -> Result<(), VectorError>;
    /// How many dimensions the index holds, for health and for refusing a mismatched model.
    fn dimensions(&self) -> usize;
}
