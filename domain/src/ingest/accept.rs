//! Uploads and edits become immutable versions, each with a durable job.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::accounts::auth::User;
use crate::content::upload::{self, Kind};
use crate::documents::model::VersionStatus;
use crate::error::DomainError;
use crate::ports::{DbExt, Ports};
use crate::site::settings;
use crate::sql::{Id, Statement};
use crate::storage::blobs;
use crate::BlobKey;

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

#[derive(Deserialize)]
struct Latest {
    id: i64,
    slug: String,
    folder: String,
    version: Option<i64>,
    blob_key: Option<BlobKey>,
    status: Option<VersionStatus>,
}

/// A document and its newest version (live or not), selected by `$filter` on `d`.
macro_rules! latest_sql {
    ($filter:literal) => {
        concat!(
            "SELECT d.id, d.slug, d.folder, v.version, v.blob_key, v.status FROM documents d
             LEFT JOIN document_versions v ON v.document_id = d.id WHERE ",
            $filter,
            " ORDER BY v.version DESC LIMIT 1"
        )
    };
}

async fn latest_by_slug(ports: &Ports, slug: &str) -> Result<Option<Latest>, DomainError> {
    Ok(ports.db.query_opt(Statement::new(latest_sql!("d.slug = ?1")).bind(slug)).await?)
}

async fn latest_by_id(ports: &Ports, id: i64) -> Result<Option<Latest>, DomainError> {
    Ok(ports.db.query_opt(Statement::new(latest_sql!("d.id = ?1")).bind(id)).await?)
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
    let existing = latest_by_slug(ports, slug.as_str()).await?;
    let id = match &existing {
        Some(doc) => doc.id,
        None => create_document(ports, slug.as_str(), &inspected.name, &folder).await?,
    };
    let new = NewVersion { name: inspected.name, kind: inspected.kind, folder };
    add_version(ports, Some(actor), id, slug.as_str(), existing.as_ref(), bytes, new).await
}

/// A sample page (seeding): the same version and job an upload gets, at a fixed address and
/// with no author. Seeding it again is a duplicate, so nothing is written twice.
pub(crate) async fn add_sample(
    ports: &Ports,
    slug: &str,
    folder: &str,
    markdown: &'static str,
) -> Result<i64, DomainError> {
    let id = create_document(ports, slug, slug, folder).await?;
    let existing = latest_by_id(ports, id).await?;
    let new = NewVersion { name: format!("{slug}.md"), kind: Kind::Markdown, folder: folder.to_owned() };
    let bytes = Bytes::from_static(markdown.as_bytes());
    add_version(ports, None, id, slug, existing.as_ref(), bytes, new).await?;
    Ok(id)
}

/// An unpublished document row at `slug` (or the one already there: two uploads racing for a
/// new name share it). Returns its id.
async fn create_document(ports: &Ports, slug: &str, title: &str, folder: &str) -> Result<i64, DomainError> {
    let Id { id } = ports
        .db
        .query_one(
            Statement::new(
                "INSERT INTO documents (slug, title, body_md, published, folder)
                 VALUES (?1, ?2, '', 0, ?3)
                 ON CONFLICT (slug) DO UPDATE SET slug = excluded.slug RETURNING id",
            )
            .bind(slug)
            .bind(title)
            .bind(folder),
        )
        .await?;
    Ok(id)
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
    let existing = latest_by_id(ports, id).await?.ok_or(DomainError::NotFound("document"))?;
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
    crate::content::nesting::check(&markdown, "text")?;
    let new = NewVersion {
        name: format!("{}.md", existing.slug),
        kind: Kind::Markdown,
        folder: existing.folder.clone(),
    };
    add_version(ports, Some(actor), id, &existing.slug, Some(&existing), Bytes::from(markdown), new).await
}

/// Adds `tag` to document `id`'s front matter as its next version (an editor turning a
/// suggested topic into a real tag). Nothing is written when the tag is there already.
pub async fn add_tag(
    ports: &Ports,
    actor: &User,
    id: i64,
    base_version: i64,
    tag: &str,
    max_bytes: usize,
) -> Result<UploadResult, DomainError> {
    let tag = crate::content::markdown::tag_name(tag)
        .ok_or_else(|| DomainError::BadInput("A tag needs letters or digits.".into()))?;
    let existing = latest_by_id(ports, id).await?.ok_or(DomainError::NotFound("document"))?;
    let source = crate::documents::source(ports, &existing.slug.clone().try_into()?).await?;
    let markdown = crate::content::markdown::with_tag(&source.markdown, &tag);
    edit(ports, actor, id, base_version, &markdown, max_bytes).await
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
    author: Option<&User>,
    id: i64,
    slug: &str,
    existing: Option<&Latest>,
    bytes: Bytes,
    new: NewVersion,
) -> Result<UploadResult, DomainError> {
    let key = blobs::store(ports, bytes, new.kind.media_type()).await?;
    let newest = existing.and_then(|e| e.version);
    if let Some(Latest { version: Some(version), blob_key: Some(existing_key), status, .. }) = existing {
        if *existing_key == key {
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
            .bind(author.map(|a| a.id))
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
