//! Uploads and the ingest pipeline. An upload is checked, its bytes stored (content-addressed),
//! and a new immutable version plus a durable job are written in one batch. Jobs run in the
//! background (Tasks) in stages, each idempotent: `extract` (bytes → Markdown) then `publish`
//! (title, excerpt, attachments; the document goes live). A worker leases a job before a
//! stage, so a crash or an evicted isolate leaves an expired lease that the next sweep resumes.
//! Later stages (chunk, index, embed, summarise) slot in after `extract`.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::auth::User;
use crate::error::DomainError;
use crate::markdown;
use crate::ports::Ports;
use crate::sql::{decode, decode_one, Statement};
use crate::upload::{self, Kind};
use crate::{blobs, convert, settings};

/// How long a stage may run before another worker may take the job over.
const LEASE_SECONDS: i64 = 120;
/// Internal failures (storage hiccups) are retried this many times; bad content fails at once.
const MAX_ATTEMPTS: i64 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Created,
    Updated,
    Duplicate,
}

/// What one uploaded file became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResult {
    pub name: String,
    pub id: i64,
    pub slug: String,
    pub version: i64,
    pub status: String,
    pub result: Outcome,
}

/// A document's ingest status (its latest version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentStatus {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub published: bool,
    pub version: Option<i64>,
    pub status: Option<String>,
    pub error: Option<String>,
}

#[derive(Deserialize)]
struct Latest {
    id: i64,
    version: Option<i64>,
    blob_key: Option<String>,
    status: Option<String>,
}

/// Checks, stores and queues one file. Identical bytes under the same name are a duplicate
/// (no new row, no new blob); different bytes make a new version.
pub async fn accept(
    ports: &Ports,
    actor: &User,
    raw_name: &str,
    bytes: Bytes,
    max_bytes: usize,
) -> Result<UploadResult, DomainError> {
    settings::ensure_writable(ports).await?;
    let inspected = upload::inspect(raw_name, &bytes, max_bytes)?;
    let slug = upload::slug_for(&inspected.name);
    let key = blobs::store(ports, bytes, inspected.kind.media_type()).await?;
    let latest = ports
        .db
        .query(
            Statement::new(
                "SELECT d.id, v.version, v.blob_key, v.status FROM documents d
                 LEFT JOIN document_versions v ON v.document_id = d.id
                 WHERE d.slug = ?1 ORDER BY v.version DESC LIMIT 1",
            )
            .bind(slug.as_str()),
        )
        .await?;
    let latest: Option<Latest> = latest.into_iter().next().map(decode_one).transpose()?;
    let (id, version, result) = match latest {
        Some(Latest { id, version: Some(version), blob_key: Some(existing), status })
            if existing == key.as_str() =>
        {
            return Ok(UploadResult {
                name: inspected.name,
                id,
                slug: slug.as_str().to_owned(),
                version,
                status: status.unwrap_or_default(),
                result: Outcome::Duplicate,
            });
        }
        Some(Latest { id, version, .. }) => (id, version.unwrap_or(0) + 1, Outcome::Updated),
        None => {
            let rows = ports
                .db
                .query(
                    Statement::new(
                        "INSERT INTO documents (slug, title, body_md, published) VALUES (?1, ?2, '', 0) RETURNING id",
                    )
                    .bind(slug.as_str())
                    .bind(inspected.name.as_str()),
                )
                .await?;
            #[derive(Deserialize)]
            struct Id {
                id: i64,
            }
            let Id { id } = decode_one(rows.into_iter().next().ok_or(DomainError::NotFound("document"))?)?;
            (id, 1, Outcome::Created)
        }
    };
    ports
        .db
        .batch(vec![
            Statement::new("INSERT OR IGNORE INTO document_stats (document_id) VALUES (?1)").bind(id),
            Statement::new(
                "INSERT INTO document_versions (document_id, version, blob_key, source_name, kind, created_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(id)
            .bind(version)
            .bind(key.as_str())
            .bind(inspected.name.as_str())
            .bind(inspected.kind.as_str())
            .bind(actor.id),
            Statement::new(
                "INSERT INTO ingest_jobs (version_id)
                 SELECT id FROM document_versions WHERE document_id = ?1 AND version = ?2",
            )
            .bind(id)
            .bind(version),
        ])
        .await?;
    Ok(UploadResult {
        name: inspected.name,
        id,
        slug: slug.as_str().to_owned(),
        version,
        status: "queued".into(),
        result,
    })
}

/// Runs pending jobs in the background (after the response).
pub fn run_later(ports: &Ports) {
    let ports_for_task = ports.clone();
    ports.tasks.spawn(
        "ingest",
        Box::pin(async move {
            if let Err(err) = run_pending(&ports_for_task, 20).await {
                tracing::warn!(%err, "ingest sweep failed");
            }
        }),
    );
}

#[derive(Deserialize)]
struct Claimed {
    version_id: i64,
    stage: String,
    attempts: i64,
}

/// Leases up to `limit` jobs whose lease has expired and runs them. Returns how many ran.
pub async fn run_pending(ports: &Ports, limit: u32) -> Result<usize, DomainError> {
    let claimed: Vec<Claimed> = decode(
        ports
            .db
            .query(
                Statement::new(
                    "UPDATE ingest_jobs SET lease_until = unixepoch() + ?2, attempts = attempts + 1,
                       updated_at = unixepoch()
                     WHERE version_id IN (SELECT version_id FROM ingest_jobs WHERE lease_until < unixepoch()
                                          ORDER BY version_id LIMIT ?1)
                     RETURNING version_id, stage, attempts",
                )
                .bind(i64::from(limit))
                .bind(LEASE_SECONDS),
            )
            .await?,
    )?;
    for job in &claimed {
        run_one(ports, job).await?;
    }
    Ok(claimed.len())
}

async fn run_one(ports: &Ports, job: &Claimed) -> Result<(), DomainError> {
    let outcome = async {
        if job.stage == "extract" {
            extract(ports, job.version_id).await?;
        }
        publish(ports, job.version_id).await
    }
    .await;
    match outcome {
        Ok(()) => Ok(()),
        Err(err) if err.is_internal() && job.attempts < MAX_ATTEMPTS => {
            tracing::warn!(version = job.version_id, %err, "ingest stage failed; will retry");
            ports
                .db
                .execute(
                    Statement::new(
                        "UPDATE ingest_jobs SET lease_until = unixepoch() + 5 * attempts, last_error = ?2
                         WHERE version_id = ?1",
                    )
                    .bind(job.version_id)
                    .bind(err.to_string()),
                )
                .await?;
            Ok(())
        }
        Err(err) => {
            tracing::info!(version = job.version_id, %err, "ingest failed");
            ports
                .db
                .batch(vec![
                    Statement::new(
                        "UPDATE document_versions SET status = 'failed', error = ?2 WHERE id = ?1",
                    )
                    .bind(job.version_id)
                    .bind(err.public_message()),
                    Statement::new("DELETE FROM ingest_jobs WHERE version_id = ?1").bind(job.version_id),
                ])
                .await?;
            Ok(())
        }
    }
}

#[derive(Deserialize)]
struct VersionRow {
    document_id: i64,
    version: i64,
    blob_key: String,
    source_name: String,
    kind: String,
    body_md: Option<String>,
}

async fn version_row(ports: &Ports, version_id: i64) -> Result<VersionRow, DomainError> {
    let rows = ports
        .db
        .query(
            Statement::new(
                "SELECT document_id, version, blob_key, source_name, kind, body_md
                 FROM document_versions WHERE id = ?1",
            )
            .bind(version_id),
        )
        .await?;
    decode_one(rows.into_iter().next().ok_or(DomainError::NotFound("version"))?).map_err(Into::into)
}

/// Stage 1: the stored bytes → Markdown, kept on the version row.
async fn extract(ports: &Ports, version_id: i64) -> Result<(), DomainError> {
    ports
        .db
        .execute(
            Statement::new("UPDATE document_versions SET status = 'extracting' WHERE id = ?1")
                .bind(version_id),
        )
        .await?;
    let row = version_row(ports, version_id).await?;
    let key = row.blob_key.parse()?;
    let bytes = blobs::read(ports, &key).await?;
    let kind =
        Kind::parse(&row.kind).ok_or_else(|| DomainError::BadInput(format!("Unknown kind {}.", row.kind)))?;
    let text = || String::from_utf8_lossy(&bytes).into_owned();
    let body_md = match kind {
        Kind::Markdown => text(),
        Kind::Text => convert::text_to_markdown(&text()),
        Kind::Html => convert::html_to_markdown(&text())?,
        Kind::Pdf => convert::pdf_to_markdown(&bytes)?,
        Kind::Png | Kind::Jpeg | Kind::Gif | Kind::Webp => format!("![{0}]({0})", row.source_name),
    };
    ports
        .db
        .batch(vec![
            Statement::new("UPDATE document_versions SET body_md = ?2 WHERE id = ?1")
                .bind(version_id)
                .bind(body_md),
            Statement::new("UPDATE ingest_jobs SET stage = 'publish' WHERE version_id = ?1").bind(version_id),
        ])
        .await?;
    Ok(())
}

/// Stage 2: derive title and excerpt, attach images, and make the version live, atomically.
/// An older version never replaces a newer one that is already live.
async fn publish(ports: &Ports, version_id: i64) -> Result<(), DomainError> {
    let row = version_row(ports, version_id).await?;
    let body_md = row.body_md.unwrap_or_default();
    let (title, body) = markdown::split_title(&body_md);
    let stem = row.source_name.rsplit_once('.').map_or(row.source_name.as_str(), |(stem, _)| stem);
    let title = title.unwrap_or(stem).to_owned();
    let mut batch = vec![Statement::new(
        "UPDATE documents SET title = ?2, body_md = ?3, excerpt = ?4, updated_at = unixepoch(), published = 1
         WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM document_versions
                                       WHERE document_id = ?1 AND version > ?5 AND status = 'ready')",
    )
    .bind(row.document_id)
    .bind(title)
    .bind(body.to_owned())
    .bind(markdown::excerpt(body, 220))
    .bind(row.version)];
    // Images this document names (its own, or ones uploaded earlier) become its attachments.
    for name in markdown::relative_image_targets(body) {
        batch.push(
            Statement::new(
                "INSERT OR REPLACE INTO attachments (document_id, name, blob_key)
                 SELECT ?1, ?2, blob_key FROM document_versions
                 WHERE source_name = ?2 AND kind IN ('png', 'jpeg', 'gif', 'webp')
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(row.document_id)
            .bind(name),
        );
    }
    batch.push(
        Statement::new("UPDATE document_versions SET status = 'ready', error = NULL WHERE id = ?1")
            .bind(version_id),
    );
    batch.push(Statement::new("DELETE FROM ingest_jobs WHERE version_id = ?1").bind(version_id));
    ports.db.batch(batch).await?;
    Ok(())
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
        status: Option<String>,
        error: Option<String>,
    }
    let rows = ports
        .db
        .query(
            Statement::new(
                "SELECT d.id, d.slug, d.title, d.published, v.version, v.status, v.error
                 FROM documents d LEFT JOIN document_versions v ON v.document_id = d.id
                 WHERE d.id = ?1 ORDER BY v.version DESC LIMIT 1",
            )
            .bind(id),
        )
        .await?;
    let row: Row = decode_one(rows.into_iter().next().ok_or(DomainError::NotFound("document"))?)?;
    Ok(DocumentStatus {
        id: row.id,
        slug: row.slug,
        title: row.title,
        published: row.published != 0,
        version: row.version,
        status: row.status,
        error: row.error,
    })
}

/// Deletes a document everywhere readers could find it (its versions, jobs, stats and
/// attachments go with it) and then collects blobs nothing references any more: the row first,
/// then the bytes, so a crash in between leaves only unreferenced bytes, never a dangling row.
pub async fn delete(ports: &Ports, _actor: &User, id: i64) -> Result<(), DomainError> {
    settings::ensure_writable(ports).await?;
    #[derive(Deserialize)]
    struct Key {
        key: String,
    }
    let candidates: Vec<Key> = decode(
        ports
            .db
            .query(
                Statement::new(
                    "SELECT blob_key AS key FROM document_versions WHERE document_id = ?1
                     UNION SELECT blob_key AS key FROM attachments WHERE document_id = ?1",
                )
                .bind(id),
            )
            .await?,
    )?;
    let deleted = ports.db.execute(Statement::new("DELETE FROM documents WHERE id = ?1").bind(id)).await?;
    if deleted == 0 {
        return Err(DomainError::NotFound("document"));
    }
    for Key { key } in candidates {
        let unreferenced = ports
            .db
            .query(
                Statement::new(
                    "DELETE FROM blobs WHERE key = ?1
                       AND NOT EXISTS (SELECT 1 FROM document_versions WHERE blob_key = ?1)
                       AND NOT EXISTS (SELECT 1 FROM attachments WHERE blob_key = ?1)
                     RETURNING key",
                )
                .bind(key.as_str()),
            )
            .await?;
        if !unreferenced.is_empty() {
            ports.blobs.delete(&key.parse()?).await?;
        }
    }
    Ok(())
}
