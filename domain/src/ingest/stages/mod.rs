//! The stages of an ingest job: their order, and one file per stage. A new stage is a
//! [`Stage`] variant, its place in [`Stage::next`], its arm in [`run`] and its file; the jobs
//! table does not list stages.

mod extract;
mod publish;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ports::{DbExt, Ports};
use crate::sql::Statement;
use crate::BlobKey;

/// The stages of an ingest job, in order. Stored as the lowercase name (`ingest_jobs.stage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// The stored bytes → Markdown on the version.
    Extract,
    /// Title, outline, tags, attachments; the version goes live.
    Publish,
}

impl Stage {
    /// Where a new job starts (the column's default too).
    pub const FIRST: Self = Self::Extract;

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Extract => "extract",
            Self::Publish => "publish",
        }
    }

    /// The stage after this one; `None` after the last.
    pub fn next(self) -> Option<Self> {
        match self {
            Self::Extract => Some(Self::Publish),
            Self::Publish => None,
        }
    }
}

/// Runs one stage of version `version_id`'s job.
pub(super) async fn run(ports: &Ports, stage: Stage, version_id: i64) -> Result<(), DomainError> {
    match stage {
        Stage::Extract => extract::extract(ports, version_id).await,
        Stage::Publish => publish::publish(ports, version_id).await,
    }
}

/// What the stages read of a version.
#[derive(Deserialize)]
struct VersionRow {
    document_id: i64,
    version: i64,
    blob_key: BlobKey,
    source_name: String,
    kind: String,
    folder: String,
    body_md: Option<String>,
    body_key: Option<BlobKey>,
}

async fn version_row(ports: &Ports, version_id: i64) -> Result<VersionRow, DomainError> {
    ports
        .db
        .query_opt(
            Statement::new(
                "SELECT document_id, version, blob_key, source_name, kind, folder, body_md, body_key
                 FROM document_versions WHERE id = ?1",
            )
            .bind(version_id),
        )
        .await?
        .ok_or(DomainError::NotFound("version"))
}

#[cfg(test)]
mod tests {
    use super::Stage;

    #[test]
    fn every_stage_is_reached_once_from_the_first() {
        let mut order = vec![Stage::FIRST];
        while let Some(next) = order.last().and_then(|s| s.next()) {
            order.push(next);
        }
        assert_eq!(order, [Stage::Extract, Stage::Publish]);
        let names: Vec<_> = order.iter().map(|s| serde_json::to_string(s).expect("json")).collect();
        assert_eq!(names, ["\"extract\"", "\"publish\""], "stored names match as_str");
        assert!(order.iter().all(|s| names.contains(&format!("\"{}\"", s.as_str()))));
    }
}
