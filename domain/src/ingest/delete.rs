//! Removing a document: its rows first, then the bytes nothing else refers to.

use serde::Deserialize;

use crate::accounts::auth::User;
use crate::error::DomainError;
use crate::ports::{DbExt, Ports};
use crate::site::settings;
use crate::sql::Statement;
use crate::storage::blobs;
use crate::BlobKey;

/// Deletes a document everywhere readers could find it (its versions, jobs, stats and
/// attachments go with it) and then collects blobs nothing references any more: the row first,
/// then the bytes, so a crash in between leaves only unreferenced bytes, never a dangling row.
pub async fn delete(ports: &Ports, _actor: &User, id: i64) -> Result<(), DomainError> {
    settings::ensure_writable(ports).await?;
    #[derive(Deserialize)]
    struct Key {
        key: BlobKey,
    }
    let candidates: Vec<Key> = ports
        .db
        .query_all(
            Statement::new(
                "SELECT blob_key AS key FROM document_versions WHERE document_id = ?1
                 UNION SELECT body_key AS key FROM document_versions WHERE document_id = ?1 AND body_key IS NOT NULL
                 UNION SELECT body_key AS key FROM documents WHERE id = ?1 AND body_key IS NOT NULL
                 UNION SELECT html_key AS key FROM documents WHERE id = ?1 AND html_key IS NOT NULL
                 UNION SELECT blob_key AS key FROM attachments WHERE document_id = ?1",
            )
            .bind(id),
        )
        .await?;
    let exists =
        !ports.db.query(Statement::new("SELECT id FROM documents WHERE id = ?1").bind(id)).await?.is_empty();
    if !exists {
        return Err(DomainError::NotFound("document"));
    }
    // The row and the browse counts change together.
    let mut batch = vec![Statement::new("DELETE FROM documents WHERE id = ?1").bind(id)];
    batch.extend(crate::documents::recount_facets());
    ports.db.batch(batch).await?;
    for Key { key } in candidates {
        let unreferenced = ports
            .db
            .query(
                Statement::new(format!(
                    "DELETE FROM blobs WHERE key = ?1 AND {} RETURNING key",
                    blobs::unreferenced("?1")
                ))
                .bind(key.as_str()),
            )
            .await?;
        if !unreferenced.is_empty() {
            ports.blobs.delete(&key).await?;
        }
    }
    Ok(())
}
