//! The stages of an ingest job: their order, and one file per stage. A new stage is a
//! [`Stage`] variant, its place in [`Stage::next`], its arm in [`run`] and its file; the jobs
//! table does not list stages.

mod embed;
mod extract;
mod index;
mod publish;

pub use embed::{forget_deleted_vectors, requeue_unembedded};

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ports::{DbExt, Ports};
use crate::site::Site;
use crate::sql::Statement;
use crate::BlobKey;

/// The stages of an ingest job, in order. Stored as the lowercase name (`ingest_jobs.stage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// The stored bytes → Markdown on the version.
    Extract,
    /// Heading-aware chunks → the keyword index, so a version goes live searchable.
    Index,
    /// Title, outline, tags, attachments; the version goes live.
    Publish,
    /// Chunk vectors → the vector index, after the version is live: a model or index that is
    /// down delays semantic search, never the document.
    Embed,
}

impl Stage {
    /// Where a new job starts (the column's default too).
    pub const FIRST: Self = Self::Extract;

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Extract => "extract",
            Self::Index => "index",
            Self::Publish => "publish",
            Self::Embed => "embed",
        }
    }

    /// The stage after this one; `None` after the last.
    pub fn next(self) -> Option<Self> {
        match self {
            Self::Extract => Some(Self::Index),
            Self::Index => Some(Self::Publish),
            Self::Publish => Some(Self::Embed),
            Self::Embed => None,
        }
    }
}

/// Runs one stage of version `version_id`'s job.
pub(super) async fn run(site: &Site, stage: Stage, version_id: i64) -> Result<(), DomainError> {
    let ports = &site.ports;
    match stage {
        Stage::Extract => extract::extract(ports, version_id).await,
        Stage::Index => index::index(ports, version_id).await,
        Stage::Publish => publish::publish(site, version_id).await,
        Stage::Embed => embed::embed(ports, version_id).await,
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

/// A version's title: its front matter's, else its first `# ` heading, else the file's stem.
fn title_of(
    front: &crate::content::markdown::FrontMatter,
    heading: Option<&str>,
    source_name: &str,
) -> String {
    let stem = source_name.rsplit_once('.').map_or(source_name, |(stem, _)| stem);
    front.title.clone().or(heading.map(str::to_owned)).unwrap_or_else(|| stem.to_owned())
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
        assert_eq!(order, [Stage::Extract, Stage::Index, Stage::Publish, Stage::Embed]);
        let names: Vec<_> = order.iter().map(|s| serde_json::to_string(s).expect("json")).collect();
        assert_eq!(
            names,
            ["\"extract\"", "\"index\"", "\"publish\"", "\"embed\""],
            "stored names match as_str"
        );
        assert!(order.iter().all(|s| names.contains(&format!("\"{}\"", s.as_str()))));
    }
}
