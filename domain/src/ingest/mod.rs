//! Uploads and the ingest pipeline. An upload is checked, its bytes stored (content-addressed),
//! and a new immutable version plus a durable job are written in one batch. Jobs run in the
//! background (Tasks) in stages, each idempotent: `extract` (bytes → Markdown) then `publish`
//! (title, excerpt, attachments; the document goes live). A worker leases a job before a
//! stage, so a crash or an evicted isolate leaves an expired lease that the next sweep resumes.
//! Later stages (chunk, index, embed, summarise) slot in after `extract`: a [`Stage`] variant
//! and its place in [`Stage::next`], nothing else (the table does not list stages).

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::accounts::auth::User;
use crate::content::convert;
use crate::content::markdown;
use crate::content::upload::{self, Kind};
use crate::documents::model::VersionStatus;
use crate::error::DomainError;
use crate::ports::Ports;
use crate::site::settings;
use crate::sql::{decode, decode_one, Statement};
use crate::storage::blobs;

/// How long a stage may run before another worker may take the job over.
const LEASE_SECONDS: i64 = 120;
/// Internal failures (storage hiccups) are retried this many times; bad content fails at once.
const MAX_ATTEMPTS: i64 = 3;

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
    pub status: VersionStatus,
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
    pub status: Option<VersionStatus>,
    pub error: Option<String>,
}

#[derive(Deserialize)]
struct Latest {
    id: i64,
    slug: String,
    folder: String,
    version: Option<i64>,
    blob_key: Option<String>,
    status: Option<VersionStatus>,
}

/// A document and its newest version (live or not), by address or by id.
async fn latest(ports: &Ports, by: &str, value: crate::sql::Param) -> Result<Option<Latest>, DomainError> {
    let sql = format!(
        "SELECT d.id, d.slug, d.folder, v.version, v.blob_key, v.status FROM documents d
         LEFT JOIN document_versions v ON v.document_id = d.id
         WHERE d.{by} = ?1 ORDER BY v.version DESC LIMIT 1"
    );
    let rows = ports.db.query(Statement::new(sql).bind(value)).await?;
    Ok(rows.into_iter().next().map(decode_one).transpose()?)
}

/// Checks, stores and queues one file, in `folder` (an upload's `folder` field, made safe).
/// Identical bytes under the same name are a duplicate (no new row, no new blob); different
/// bytes make a new version.
pub async fn accept(
    ports: &Ports,
    actor: &User,
    raw_name: &str,
    bytes: Bytes,
    max_bytes: usize,
    folder: &str,
) -> Result<UploadResult, DomainError> {
    settings::ensure_writable(ports).await?;
    let inspected = upload::inspect(raw_name, &bytes, max_bytes)?;
    let folder = upload::folder_path(folder);
    let slug = upload::slug_in(&folder, &inspected.name);
    let existing = latest(ports, "slug", slug.as_str().into()).await?;
    let id = match &existing {
        Some(doc) => doc.id,
        None => {
            let rows = ports
                .db
                .query(
                    Statement::new(
                        "INSERT INTO documents (slug, title, body_md, published, folder)
                         VALUES (?1, ?2, '', 0, ?3)
                         ON CONFLICT (slug) DO UPDATE SET slug = excluded.slug RETURNING id",
                    )
                    .bind(slug.as_str())
                    .bind(inspected.name.as_str())
                    .bind(folder.as_str()),
                )
                .await?;
            #[derive(Deserialize)]
            struct Id {
                id: i64,
            }
            let Id { id } = decode_one(rows.into_iter().next().ok_or(DomainError::NotFound("document"))?)?;
            id
        }
    };
    let new = NewVersion { name: inspected.name, kind: inspected.kind, folder };
    add_version(ports, actor, id, slug.as_str(), existing.as_ref(), bytes, new).await
}

/// Saves an editor's Markdown as the next version of document `id`. `base_version` is the
/// version the editor started from: if someone saved a newer one meanwhile, nothing is saved
/// and the answer is a conflict, so no edit is silently lost.
pub async fn edit(
    ports: &Ports,
    actor: &User,
    id: i64,
    base_version: i64,
    markdown: &str,
    max_bytes: usize,
) -> Result<UploadResult, DomainError> {
    settings::ensure_writable(ports).await?;
    let existing = latest(ports, "id", id.into()).await?.ok_or(DomainError::NotFound("document"))?;
    let current = existing.version.unwrap_or(0);
    if current != base_version {
        return Err(DomainError::Conflict(format!(
            "Version {current} was saved while you were editing version {base_version}. \
             Copy your changes, reload the editor and apply them again."
        )));
    }
    // Browsers post textareas with CRLF line ends; store what the editor typed, normalised.
    let markdown = markdown.replace("\r\n", "\n");
    if markdown.trim().is_empty() {
        return Err(DomainError::BadInput("A document can’t be empty. To remove it, delete it.".into()));
    }
    if markdown.len() > max_bytes {
        return Err(DomainError::TooLarge(format!(
            "The text is larger than the {} MB limit.",
            max_bytes / 1_048_576
        )));
    }
    let new = NewVersion {
        name: format!("{}.md", existing.slug),
        kind: Kind::Markdown,
        folder: existing.folder.clone(),
    };
    add_version(ports, actor, id, &existing.slug, Some(&existing), Bytes::from(markdown), new).await
}

struct NewVersion {
    name: String,
    kind: Kind,
    folder: String,
}

/// Stores the bytes and writes version N+1 and its job in one batch, unless the bytes are
/// those of the newest version already (then it is a duplicate and nothing is written).
async fn add_version(
    ports: &Ports,
    actor: &User,
    id: i64,
    slug: &str,
    existing: Option<&Latest>,
    bytes: Bytes,
    new: NewVersion,
) -> Result<UploadResult, DomainError> {
    let key = blobs::store(ports, bytes, new.kind.media_type()).await?;
    let newest = existing.and_then(|e| e.version);
    if let Some(Latest { version: Some(version), blob_key: Some(existing_key), status, .. }) = existing {
        if existing_key == key.as_str() {
            return Ok(UploadResult {
                name: new.name,
                id,
                slug: slug.to_owned(),
                version: *version,
                status: status.unwrap_or(VersionStatus::Queued),
                result: Outcome::Duplicate,
            });
        }
    }
    let version = newest.unwrap_or(0) + 1;
    // The version and its job are written together; a racing save of the same version number
    // fails on UNIQUE (document_id, version) and is reported as a conflict.
    ports
        .db
        .batch(vec![
            Statement::new("INSERT OR IGNORE INTO document_stats (document_id) VALUES (?1)").bind(id),
            Statement::new(
                "INSERT INTO document_versions (document_id, version, blob_key, source_name, kind, created_by, folder)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .bind(id)
            .bind(version)
            .bind(key.as_str())
            .bind(new.name.as_str())
            .bind(new.kind.as_str())
            .bind(actor.id)
            .bind(new.folder.as_str()),
            Statement::new(
                "INSERT INTO ingest_jobs (version_id)
                 SELECT id FROM document_versions WHERE document_id = ?1 AND version = ?2",
            )
            .bind(id)
            .bind(version),
        ])
        .await?;
    Ok(UploadResult {
        name: new.name,
        id,
        slug: slug.to_owned(),
        version,
        status: VersionStatus::Queued,
        result: if newest.is_some() { Outcome::Updated } else { Outcome::Created },
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
    stage: Stage,
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
        let mut stage = Some(job.stage);
        while let Some(current) = stage {
            match current {
                Stage::Extract => extract(ports, job.version_id).await?,
                Stage::Publish => publish(ports, job.version_id).await?,
            }
            stage = current.next();
            if let Some(next) = stage {
                // Recorded, so a crash after this point resumes at the next stage.
                advance(ports, job.version_id, next).await?;
            }
        }
        Ok::<(), DomainError>(())
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
                    Statement::new("UPDATE document_versions SET status = ?3, error = ?2 WHERE id = ?1")
                        .bind(job.version_id)
                        .bind(err.public_message())
                        .bind(VersionStatus::Failed.as_str()),
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
    folder: String,
    body_md: Option<String>,
    body_key: Option<String>,
}

async fn version_row(ports: &Ports, version_id: i64) -> Result<VersionRow, DomainError> {
    let rows = ports
        .db
        .query(
            Statement::new(
                "SELECT document_id, version, blob_key, source_name, kind, folder, body_md, body_key
                 FROM document_versions WHERE id = ?1",
            )
            .bind(version_id),
        )
        .await?;
    decode_one(rows.into_iter().next().ok_or(DomainError::NotFound("version"))?).map_err(Into::into)
}

/// Moves a job on to `stage`.
async fn advance(ports: &Ports, version_id: i64, stage: Stage) -> Result<(), DomainError> {
    ports
        .db
        .execute(
            Statement::new("UPDATE ingest_jobs SET stage = ?2 WHERE version_id = ?1")
                .bind(version_id)
                .bind(stage.as_str()),
        )
        .await?;
    Ok(())
}

/// Stage 1: the stored bytes → Markdown, kept on the version row.
async fn extract(ports: &Ports, version_id: i64) -> Result<(), DomainError> {
    ports
        .db
        .execute(
            Statement::new("UPDATE document_versions SET status = ?2 WHERE id = ?1")
                .bind(version_id)
                .bind(VersionStatus::Extracting.as_str()),
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
        // Parsing a large PDF takes seconds of CPU: off the async threads where a host has them.
        Kind::Pdf => {
            let bytes = bytes.clone();
            crate::ports::run_cpu(ports.tasks.as_ref(), move || convert::pdf_to_markdown(&bytes))
        }
        .await
        .ok_or_else(|| {
            DomainError::BadInput("This PDF could not be read: it is damaged or unusual.".into())
        })??,
        Kind::Png | Kind::Jpeg | Kind::Gif | Kind::Webp => format!("![{0}]({0})", row.source_name),
    };
    let (inline, body_key) = blobs::store_text(ports, body_md).await?;
    ports
        .db
        .batch(vec![Statement::new("UPDATE document_versions SET body_md = ?2, body_key = ?3 WHERE id = ?1")
            .bind(version_id)
            .bind(inline)
            .bind(body_key)])
        .await?;
    Ok(())
}

/// Stage 2: derive what readers and listings show (title, excerpt, word count, reading time,
/// outline, tags, folder), attach images, and make the version live, all in one batch. An
/// older version never replaces a newer one that is already live.
async fn publish(ports: &Ports, version_id: i64) -> Result<(), DomainError> {
    let row = version_row(ports, version_id).await?;
    let full = blobs::load_text(ports, row.body_md, row.body_key.as_deref()).await?;
    let (front, rest) = markdown::split_front_matter(&full);
    let (heading, body) = markdown::split_title(rest);
    let stem = row.source_name.rsplit_once('.').map_or(row.source_name.as_str(), |(stem, _)| stem);
    let title = front.title.clone().or(heading.map(str::to_owned)).unwrap_or_else(|| stem.to_owned());
    let rendered = markdown::render(body, |_| None);
    let words = i64::try_from(rendered.words).unwrap_or(i64::MAX);
    let minutes = i64::from(markdown::reading_minutes(rendered.words));
    let outline = serde_json::to_string(&rendered.outline).unwrap_or_default();
    let excerpt = markdown::excerpt(body, 220);
    let (body_inline, body_key) = blobs::store_text(ports, body.to_owned()).await?;
    // Every statement that touches the document repeats this guard: a newer live version wins.
    const NO_NEWER_LIVE: &str = "NOT EXISTS (SELECT 1 FROM document_versions
                                   WHERE document_id = ?1 AND version > ?2 AND status = 'ready')";
    let mut batch = vec![
        Statement::new(
            "UPDATE document_versions SET title = ?2, word_count = ?3, reading_minutes = ?4, outline_json = ?5
             WHERE id = ?1",
        )
        .bind(version_id)
        .bind(title.as_str())
        .bind(words)
        .bind(minutes)
        .bind(outline),
        Statement::new(format!(
            "UPDATE documents SET title = ?3, body_md = ?4, excerpt = ?5, folder = ?6, version = ?2,
               word_count = ?7, reading_minutes = ?8, body_key = ?9, updated_at = unixepoch(), published = 1
             WHERE id = ?1 AND {NO_NEWER_LIVE}"
        ))
        .bind(row.document_id)
        .bind(row.version)
        .bind(title)
        .bind(body_inline.unwrap_or_default())
        .bind(excerpt)
        .bind(row.folder)
        .bind(words)
        .bind(minutes)
        .bind(body_key),
        Statement::new(format!("DELETE FROM document_tags WHERE document_id = ?1 AND {NO_NEWER_LIVE}"))
            .bind(row.document_id)
            .bind(row.version),
    ];
    for tag in front.tags {
        batch.push(
            Statement::new(format!(
                "INSERT OR IGNORE INTO document_tags (document_id, tag) SELECT ?1, ?3 WHERE {NO_NEWER_LIVE}"
            ))
            .bind(row.document_id)
            .bind(row.version)
            .bind(tag),
        );
    }
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
        Statement::new("UPDATE document_versions SET status = ?2, error = NULL WHERE id = ?1")
            .bind(version_id)
            .bind(VersionStatus::Ready.as_str()),
    );
    batch.push(Statement::new("DELETE FROM ingest_jobs WHERE version_id = ?1").bind(version_id));
    ports.db.batch(batch).await?;
    Ok(())
}

/// Blobs younger than this are never collected: they may belong to an upload in progress.
const ORPHAN_MIN_AGE_SECONDS: i64 = 3600;

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub jobs_run: usize,
    pub blobs_collected: usize,
}

/// The housekeeping both hosts schedule (natively every 15 s, a cron trigger on the Worker):
/// resume jobs whose lease ran out, then collect blobs that nothing refers to any more.
pub async fn sweep(ports: &Ports) -> Result<Swept, DomainError> {
    let jobs_run = run_pending(ports, 20).await?;
    let blobs_collected = blobs::collect_garbage(ports, ORPHAN_MIN_AGE_SECONDS).await?;
    Ok(Swept { jobs_run, blobs_collected })
}

/// Makes every job runnable now. Only for a host where nothing else can hold a lease: the
/// native server at start-up (after a crash, its jobs' leases would otherwise run out first).
pub async fn release_leases(ports: &Ports) -> Result<u64, DomainError> {
    Ok(ports
        .db
        .execute(Statement::new("UPDATE ingest_jobs SET lease_until = 0 WHERE lease_until > 0"))
        .await?)
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
                     UNION SELECT body_key AS key FROM document_versions WHERE document_id = ?1 AND body_key IS NOT NULL
                     UNION SELECT body_key AS key FROM documents WHERE id = ?1 AND body_key IS NOT NULL
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
                Statement::new(format!(
                    "DELETE FROM blobs WHERE key = ?1 AND {} RETURNING key",
                    blobs::unreferenced("?1")
                ))
                .bind(key.as_str()),
            )
            .await?;
        if !unreferenced.is_empty() {
            ports.blobs.delete(&key.parse()?).await?;
        }
    }
    Ok(())
}
