use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::VectorError;

/// A chunk's vector id: chunk `ordinal` of version `version`, written `<version>:<ordinal>`
/// (Vectorize ids are strings). Deterministic, so a retried batch replaces what it wrote, and
/// a version's vectors can be forgotten by id. The one place that knows the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VectorId {
    pub version: i64,
    pub ordinal: i64,
}

impl std::fmt::Display for VectorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.version, self.ordinal)
    }
}

impl std::str::FromStr for VectorId {
    type Err = VectorError;

    fn from_str(id: &str) -> Result<Self, VectorError> {
        let bad = || VectorError::Request(format!("{id:?} is not a Folio vector id"));
        let (version, ordinal) = id.split_once(':').ok_or_else(bad)?;
        Ok(Self {
            version: version.parse().map_err(|_| bad())?,
            ordinal: ordinal.parse().map_err(|_| bad())?,
        })
    }
}

/// A chunk's vector and what filters need to know about it (Vectorize metadata on Workers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorRecord {
    /// A [`VectorId`], written out.
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

#[cfg(test)]
mod tests {
    use super::VectorId;

    #[test]
    fn a_vector_id_reads_back_what_it_writes_and_nothing_else() {
        let id = VectorId { version: 42, ordinal: 7 };
        assert_eq!(id.to_string(), "42:7");
        assert_eq!("42:7".parse::<VectorId>().ok(), Some(id));
        for bad in ["", "42", "42:", ":7", "a:7", "42:7:1", "contract-x"] {
            assert!(bad.parse::<VectorId>().is_err(), "{bad:?}");
        }
    }
}
