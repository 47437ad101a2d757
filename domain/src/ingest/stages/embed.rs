//! Stage `embed`: the live version's chunks → the vector index, in batches, after `publish`.
//! Without a model or vector index it ends at once and the chunks wait (`chunks.embedded = 0`,
//! counted in status and inventory); a failure is retried with back-off by the job, never
//! marking a live version failed. The sweep queues waiting chunks again and tells the vector
//! index to forget deleted ones.

use serde::Deserialize;

use crate::error::{AiError, DomainError};
use crate::ports::{DbExt, Ports, VectorId, VectorRecord};
use crate::sql::Statement;

/// Texts per model call: Workers AI takes up to 100; small batches keep a call short.
const BATCH: i64 = 32;
/// Vector ids forgotten per call.
const FORGET_BATCH: i64 = 500;

/// Longest one batch of embeddings may take, waiting included. Adapters bound each call they
/// make (the local model each slice, from when it runs; Workers AI each request), so this only
/// ends a binding that hangs. It is long because a batch may wait behind a large import's
/// others: at 120 s, batches queued during a 300-page import failed while waiting and were
/// retried 20 s later for nothing.
const EMBED_TIME_OUT: std::time::Duration = std::time::Duration::from_secs(600);

pub(super) async fn embed(ports: &Ports, version_id: i64) -> Result<(), DomainError> {
    let (Some(ai), Some(vectors)) = (&ports.ai, &ports.vectors) else {
        return Ok(());
    };
    #[derive(Deserialize)]
    struct Waiting {
        id: i64,
        ordinal: i64,
        document_id: i64,
        folder: String,
        title: String,
        heading: String,
        body: String,
    }
    loop {
        // Only chunks of the live version: an older one's are about to go.
        let batch: Vec<Waiting> = ports
            .db
            .query_all(
                Statement::new(
                    "SELECT c.id, c.ordinal, c.document_id, d.folder, c.title, c.heading, c.body
                     FROM chunks c JOIN documents d ON d.id = c.document_id AND d.version = c.version
                     WHERE c.version_id = ?1 AND c.embedded = 0 ORDER BY c.ordinal LIMIT ?2",
                )
                .bind(version_id)
                .bind(BATCH),
            )
            .await?;
        if batch.is_empty() {
            break;
        }
        let texts =
            batch.iter().map(|c| crate::search::chunk::passage(&c.title, &c.heading, &c.body)).collect();
        // Adapters bound their own calls; this bounds one that does not (a hung binding).
        let values = crate::ports::with_timeout(ports.tasks.as_ref(), EMBED_TIME_OUT, ai.embed(texts))
            .await
            .unwrap_or_else(|| Err(AiError::Unavailable(format!("no vectors within {EMBED_TIME_OUT:?}"))))?;
        if values.len() != batch.len() || values.iter().any(|v| v.len() != vectors.dimensions()) {
            return Err(AiError::Request(format!(
                "the model gave {} vectors of {:?} dimensions for {} texts; the index holds {}",
                values.len(),
                values.first().map(Vec::len),
                batch.len(),
                vectors.dimensions()
            ))
            .into());
        }
        let ids: Vec<i64> = batch.iter().map(|c| c.id).collect();
        let written: Vec<(i64, String)> = batch
            .iter()
            .map(|c| (c.ordinal, VectorId { version: version_id, ordinal: c.ordinal }.to_string()))
            .collect();
        let records = batch
            .into_iter()
            .zip(values)
            .map(|(c, values)| VectorRecord {
                id: VectorId { version: version_id, ordinal: c.ordinal }.to_string(),
                values,
                document_id: c.document_id,
                folder: c.folder,
            })
            .collect();
        vectors.upsert(records).await?;
        // The chunks read may have gone while the model ran (their document deleted, a newer
        // version published). Only those still there, and still this version's, are marked;
        // the vectors of those gone are queued to be forgotten (not yet marked embedded, their
        // delete queued nothing), unless a rewrite of this version holds that id again.
        ports
            .db
            .batch(vec![
                Statement::new(
                    "UPDATE chunks SET embedded = 1
                     WHERE version_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
                )
                .bind(version_id)
                .bind(serde_json::to_string(&ids).unwrap_or_default()),
                Statement::new(
                    "INSERT OR IGNORE INTO vector_garbage (id)
                     SELECT json_extract(j.value, '$[1]') FROM json_each(?2) j
                     WHERE NOT EXISTS (SELECT 1 FROM chunks c
                                       WHERE c.version_id = ?1 AND c.ordinal = json_extract(j.value, '$[0]'))",
                )
                .bind(version_id)
                .bind(serde_json::to_string(&written).unwrap_or_default()),
            ])
            .await?;
    }
    forget_deleted_vectors(ports).await?;
    Ok(())
}

/// Tells the vector index to drop the vectors of deleted chunks. Returns how many it dropped.
pub async fn forget_deleted_vectors(ports: &Ports) -> Result<usize, DomainError> {
    let Some(vectors) = &ports.vectors else {
        return Ok(0);
    };
    #[derive(Deserialize)]
    struct Gone {
        id: String,
    }
    let gone: Vec<Gone> = ports
        .db
        .query_all(Statement::new("SELECT id FROM vector_garbage LIMIT ?1").bind(FORGET_BATCH))
        .await?;
    if gone.is_empty() {
        return Ok(0);
    }
    let ids: Vec<String> = gone.into_iter().map(|g| g.id).collect();
    vectors.delete(ids.clone()).await?;
    let count = ids.len();
    let ids = serde_json::to_string(&ids).unwrap_or_default();
    ports
        .db
        .execute(
            Statement::new("DELETE FROM vector_garbage WHERE id IN (SELECT value FROM json_each(?1))")
                .bind(ids),
        )
        .await?;
    Ok(count)
}

/// Gives live versions whose chunks still wait for vectors (the model was down, or came later)
/// an `embed` job again. Returns how many it queued.
pub async fn requeue_unembedded(ports: &Ports) -> Result<u64, DomainError> {
    if ports.ai.is_none() || ports.vectors.is_none() {
        return Ok(0);
    }
    Ok(ports
        .db
        .execute(Statement::new(
            "INSERT OR IGNORE INTO ingest_jobs (version_id, stage)
             SELECT DISTINCT c.version_id, 'embed' FROM chunks c
             JOIN documents d ON d.id = c.document_id AND d.version = c.version
             WHERE c.embedded = 0
               AND NOT EXISTS (SELECT 1 FROM ingest_jobs j WHERE j.version_id = c.version_id)
             LIMIT 50",
        ))
        .await?)
}
