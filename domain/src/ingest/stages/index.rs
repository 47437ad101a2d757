//! Stage `index`: the version's Markdown → heading-aware chunks → the keyword index (the FTS5
//! table follows the `chunks` rows through triggers). Runs before `publish`, so a version goes
//! live already keyword-searchable. Rewrites the version's chunks whole, so a retry writes the
//! same rows.

use super::{title_of, version_row};
use crate::content::markdown;
use crate::error::DomainError;
use crate::ports::Ports;
use crate::search::chunk::{chunk, Limits};
use crate::sql::Statement;
use crate::storage::blobs;

/// Separates the headings of a chunk's path where it is shown and indexed.
pub const HEADING_SEPARATOR: &str = " › ";

pub(super) async fn index(ports: &Ports, version_id: i64) -> Result<(), DomainError> {
    let row = version_row(ports, version_id).await?;
    let full = blobs::load_text(ports, row.body_md, row.body_key.as_ref()).await?;
    let (front, rest) = markdown::split_front_matter(&full);
    let (heading, body) = markdown::split_title(rest);
    let title = title_of(&front, heading, &row.source_name);
    let chunks = chunk(body, Limits::default());
    let mut batch = Vec::with_capacity(chunks.len() + 1);
    batch.push(Statement::new("DELETE FROM chunks WHERE version_id = ?1").bind(version_id));
    for piece in chunks {
        batch.push(
            Statement::new(
                "INSERT INTO chunks (version_id, document_id, version, ordinal, title, heading, anchor, body, words)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .bind(version_id)
            .bind(row.document_id)
            .bind(row.version)
            .bind(i64::from(piece.ordinal))
            .bind(title.as_str())
            .bind(piece.heading_path.join(HEADING_SEPARATOR))
            .bind(piece.anchor)
            .bind(piece.text)
            .bind(i64::try_from(piece.words).unwrap_or(i64::MAX)),
        );
    }
    ports.db.batch(batch).await?;
    Ok(())
}
