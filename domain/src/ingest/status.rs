//! How a document's ingest is going: its latest version's state.

use serde::{Deserialize, Serialize};

use crate::documents::model::VersionStatus;
use crate::error::DomainError;
use crate::ports::{DbExt, Ports};
use crate::sql::Statement;

/// A document's ingest status (its latest version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentStatus {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub published: bool,
    pub version: Option<i64>,
    pub status: Option<VersionStatus>,
    pub error: Option<String>,
    /// Chunks of the live version still waiting for their vectors: until they have them the
    /// document is found by its words but not yet by meaning.
    pub chunks_waiting: i64,
}

/// A document's latest version and how its ingest is going.
pub async fn status(ports: &Ports, id: i64) -> Result<DocumentStatus, DomainError> {
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        slug: String,
        title: String,
        published: i64,
        version: Option<i64>,
        status: Option<VersionStatus>,
        error: Option<String>,
        chunks_waiting: i64,
    }
    let row: Row = ports
        .db
        .query_opt(
            Statement::new(
                "SELECT d.id, d.slug, d.title, d.published, v.version, v.status, v.error,
                   (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id AND c.version = d.version
                    AND c.embedded = 0) AS chunks_waiting
                 FROM documents d LEFT JOIN document_versions v ON v.document_id = d.id
                 WHERE d.id = ?1 ORDER BY v.version DESC LIMIT 1",
            )
            .bind(id),
        )
        .await?
        .ok_or(DomainError::NotFound("document"))?;
    Ok(DocumentStatus {
        id: row.id,
        slug: row.slug,
        title: row.title,
        published: row.published != 0,
        version: row.version,
        status: row.status,
        error: row.error,
        chunks_waiting: row.chunks_waiting,
    })
}
