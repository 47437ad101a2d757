//! Storing and serving content-addressed blobs. Bytes live in the [`Blobs`] port; what they
//! are (content type, size) lives in the `blobs` table, the single record of what exists.

use bytes::Bytes;

use crate::documents::model::BlobMeta;
use crate::error::DomainError;
use crate::ports::DbExt;
use crate::ports::Ports;
use crate::sql::Statement;
use crate::storage::blob_key::BlobKey;

/// Stores bytes and records them. Bytes first, then the row: a crash in between leaves at most
/// an unreferenced blob (collectable), never a row pointing at nothing. Idempotent.
pub async fn store(ports: &Ports, bytes: Bytes, content_type: &str) -> Result<BlobKey, DomainError> {
    let key = BlobKey::of(&bytes);
    let size = i64::try_from(bytes.len()).map_err(|_| DomainError::TooLarge("File too large.".into()))?;
    if !ports.blobs.exists(&key).await? {
        ports.blobs.put(&key, bytes).await?;
    }
    ports
        .db
        .execute(
            Statement::new("INSERT OR IGNORE INTO blobs (key, content_type, size) VALUES (?1, ?2, ?3)")
                .bind(key.as_str())
                .bind(content_type)
                .bind(size),
        )
        .await?;
    Ok(key)
}

/// Markdown longer than this is kept as a blob rather than in a database row (a D1 row holds
/// at most 2 MB; a 1,500-page PDF extracts to several).
pub const INLINE_TEXT_MAX: usize = 512 * 1024;

/// Where a long text went: inline in the row, or a blob key.
pub async fn store_text(
    ports: &Ports,
    text: String,
) -> Result<(Option<String>, Option<BlobKey>), DomainError> {
    if text.len() <= INLINE_TEXT_MAX {
        return Ok((Some(text), None));
    }
    let key = store(ports, Bytes::from(text), "text/markdown; charset=utf-8").await?;
    Ok((None, Some(key)))
}

/// The text [`store_text`] kept, from whichever place it went.
pub async fn load_text(
    ports: &Ports,
    inline: Option<String>,
    key: Option<&BlobKey>,
) -> Result<String, DomainError> {
    match key {
        Some(key) => {
            let bytes = read(ports, key).await?;
            // Only valid UTF-8 is ever stored as text: anything else is corruption, ours to fix.
            String::from_utf8(bytes.to_vec())
                .map_err(|_| DomainError::Internal(format!("stored text {key} is not UTF-8")))
        }
        None => Ok(inline.unwrap_or_default()),
    }
}

/// The SQL condition "no row refers to blob `{key}`" (a column expression): versions (source
/// and long Markdown), documents (long Markdown and HTML) and attachments.
pub(crate) fn unreferenced(key: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM document_versions v WHERE v.blob_key = {key} OR v.body_key = {key})
         AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.body_key = {key} OR d.html_key = {key})
         AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.blob_key = {key})"
    )
}

/// What is known about a stored blob, without reading its bytes (enough to answer a 304).
pub async fn meta(ports: &Ports, key: &BlobKey) -> Result<BlobMeta, DomainError> {
    ports
        .db
        .query_opt(
            Statement::new(
                "SELECT content_type, size, coalesce(
                   (SELECT source_name FROM document_versions WHERE blob_key = ?1 LIMIT 1),
                   (SELECT name FROM attachments WHERE blob_key = ?1 LIMIT 1)) AS name
                 FROM blobs WHERE key = ?1",
            )
            .bind(key.as_str()),
        )
        .await?
        .ok_or(DomainError::NotFound("file"))
}

/// The bytes of a recorded blob.
pub async fn read(ports: &Ports, key: &BlobKey) -> Result<Bytes, DomainError> {
    ports.blobs.get(key).await?.ok_or(DomainError::NotFound("file"))
}

/// Deletes blobs that no version or attachment refers to and that are older than
/// `min_age_seconds` (younger ones may belong to an upload still being written). The row goes
/// first, so a crash in between leaves stray bytes, never a row without bytes. Returns how many.
pub async fn collect_garbage(ports: &Ports, min_age_seconds: i64) -> Result<usize, DomainError> {
    #[derive(serde::Deserialize)]
    struct Key {
        key: BlobKey,
    }
    let orphans: Vec<Key> = ports
        .db
        .query_all(
            Statement::new(format!(
                "DELETE FROM blobs WHERE created_at < unixepoch() - ?1 AND {} RETURNING key",
                unreferenced("blobs.key")
            ))
            .bind(min_age_seconds),
        )
        .await?;
    for Key { key } in &orphans {
        ports.blobs.delete(key).await?;
    }
    Ok(orphans.len())
}
