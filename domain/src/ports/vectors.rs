use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::VectorError;

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
