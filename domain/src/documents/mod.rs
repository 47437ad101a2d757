//! Reading documents, counting views and collecting "helpful?" votes. The values pages and
//! the API share (documents, listings, versions) are in [`model`].

pub mod model;
pub mod views;

use serde::Deserialize;
use std::collections::HashMap;

use crate::content::markdown;
use crate::documents::model::{
    Attachment, Browse, Document, DocumentPage, DocumentSummary, Facet, Listing, PendingVersion, Slug,
    VersionStatus, Votes,
};
use crate::enrich;
use crate::error::DomainError;
use crate::ports::{Db, DbExt, Ports};
use crate::site::settings;
use crate::site::Site;
use crate::sql::Statement;
use crate::storage::blobs;
use crate::BlobKey;

/// Most recently updated documents first, `limit` at a time, all of them or one folder's or
/// tag's. `before` is the `next` cursor of the previous page (keyset pagination: stable while
/// documents are added).
pub async fn list_page(
    db: &dyn Db,
    listing: &Listing,
    before: Option<&str>,
    limit: u32,
) -> Result<DocumentPage, DomainError> {
    let (before_time, before_id) = match before {
        Some(cursor) => {
            let parsed = cursor
                .split_once('.')
                .and_then(|(t, id)| Some((t.parse::<i64>().ok()?, id.parse::<i64>().ok()?)));
            let (t, id) =
                parsed.ok_or_else(|| DomainError::BadInput("That page link is not valid.".into()))?;
            (Some(t), Some(id))
        }
        None => (None, None),
    };
    // Sub-folders by prefix with substr, not LIKE: D1 refuses LIKE patterns over 50 bytes, and a
    // folder path may be 160.
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        #[serde(flatten)]
        summary: DocumentSummary,
    }
    let mut rows: Vec<Row> = db
        .query_all(
            Statement::new(
                "SELECT d.id, d.slug, d.title, d.excerpt, d.updated_at, COALESCE(s.views, 0) AS views,
                        d.folder, d.reading_minutes
                 FROM documents d LEFT JOIN document_stats s ON s.document_id = d.id
                 WHERE d.published = 1
                   AND (?1 IS NULL OR d.updated_at < ?1 OR (d.updated_at = ?1 AND d.id < ?2))
                   AND (?4 IS NULL OR d.folder = ?4 OR substr(d.folder, 1, length(?4) + 1) = ?4 || '/')
                   AND (?5 IS NULL OR EXISTS (SELECT 1 FROM document_tags t
                                              WHERE t.document_id = d.id AND t.tag = ?5))
                 ORDER BY d.updated_at DESC, d.id DESC LIMIT ?3",
            )
            .bind(before_time)
            .bind(before_id)
            .bind(i64::from(limit) + 1)
            .bind(match listing {
                Listing::Folder(folder) => Some(crate::content::upload::folder_path(folder)),
                _ => None,
            })
            .bind(match listing {
                Listing::Tag(tag) => Some(markdown::tag_name(tag).unwrap_or_default()),
                _ => None,
            }),
        )
        .await?;
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|r| format!("{}.{}", r.summary.updated_at, r.id))
    } else {
        None
    };
    Ok(DocumentPage { docs: rows.into_iter().map(|r| r.summary).collect(), next })
}

#[derive(Deserialize)]
struct DocumentRow {
    id: i64,
    slug: String,
    title: String,
    body_md: String,
    body_key: Option<BlobKey>,
    /// What publish rendered (NULL for a version published before it did: rendered here).
    body_html: Option<String>,
    html_key: Option<BlobKey>,
    outline_json: Option<String>,
    reading_minutes: u32,
    /// `[{name, blob_key, content_type, size}]`, by name.
    attachments_json: String,
    updated_at: i64,
    version: i64,
    folder: String,
    views: i64,
    helpful_yes: i64,
    helpful_no: i64,
    /// Comma-separated (tags are `[a-z0-9-]`, so a comma cannot occur in one).
    tags: Option<String>,
    pending_version: Option<i64>,
    pending_status: Option<VersionStatus>,
    pending_error: Option<String>,
    #[serde(flatten)]
    enrichment: enrich::Stored,
}

#[derive(Deserialize)]
struct AttachmentRow {
    name: String,
    blob_key: BlobKey,
    content_type: String,
    size: i64,
}

/// A document ready to read: the HTML its version's publish rendered, with its attachments,
/// tags, counts and any newer version in progress, in one query (one round trip on D1).
pub async fn get(site: &Site, slug: &Slug) -> Result<Document, DomainError> {
    let ports = &site.ports;
    let db = ports.db.as_ref();
    let row: DocumentRow = db
        .query_opt(
            Statement::new(format!(
                "SELECT d.id, d.slug, d.title, d.body_md, d.body_key, d.body_html, d.html_key, d.outline_json,
                        d.reading_minutes, d.updated_at, d.version, d.folder,
                        (SELECT json_group_array(json_object('name', name, 'blob_key', blob_key,
                                  'content_type', content_type, 'size', size))
                         FROM (SELECT a.name, a.blob_key, b.content_type, b.size
                               FROM attachments a JOIN blobs b ON b.key = a.blob_key
                               WHERE a.document_id = d.id ORDER BY a.name)) AS attachments_json,
                        COALESCE(s.views, 0) AS views, COALESCE(s.helpful_yes, 0) AS helpful_yes,
                        COALESCE(s.helpful_no, 0) AS helpful_no,
                        (SELECT group_concat(tag, ',') FROM (SELECT tag FROM document_tags
                          WHERE document_id = d.id ORDER BY tag)) AS tags,
                        p.version AS pending_version, p.status AS pending_status, p.error AS pending_error,
                        {}
                 FROM documents d
                 LEFT JOIN document_stats s ON s.document_id = d.id
                 -- The newest version, when it is newer than the live one (still ingesting, or failed).
                 LEFT JOIN document_versions p ON p.document_id = d.id AND p.version > d.version
                   AND p.version = (SELECT MAX(version) FROM document_versions WHERE document_id = d.id)
                 WHERE d.slug = ?1 AND d.published = 1",
                enrich::SELECT_COLUMNS
            ))
            .bind(slug.as_str()),
        )
        .await?
        .ok_or(DomainError::NotFound("document"))?;
    let attachments: Vec<AttachmentRow> = serde_json::from_str(&row.attachments_json)
        .map_err(|e| DomainError::Internal(format!("attachments of document {}: {e}", row.id)))?;
    let attachments: Vec<Attachment> = attachments
        .into_iter()
        .map(|a| Attachment {
            url: format!("/blobs/{}", a.blob_key),
            name: a.name,
            content_type: a.content_type,
            size: a.size,
        })
        .collect();
    let tags = row.tags.as_deref().map(|t| t.split(',').map(str::to_owned).collect()).unwrap_or_default();
    let pending = match (row.pending_version, row.pending_status) {
        (Some(version), Some(status)) => Some(PendingVersion { version, status, error: row.pending_error }),
        _ => None,
    };
    let outline = row.outline_json.as_deref().and_then(|json| serde_json::from_str(json).ok());
    let (body_html, outline) = match (row.body_html, row.html_key, outline) {
        (Some(html), _, Some(outline)) => (html, outline),
        (None, Some(key), Some(outline)) => (blobs::load_text(ports, None, Some(&key)).await?, outline),
        // Published before publish rendered HTML: render now (the next publish stores it).
        _ => {
            let urls: HashMap<&str, &str> =
                attachments.iter().map(|a| (a.name.as_str(), a.url.as_str())).collect();
            let body = blobs::load_text(ports, Some(row.body_md), row.body_key.as_ref()).await?;
            let rendered = markdown::render(&body, |name| urls.get(name).map(|url| (*url).to_owned()));
            (rendered.html, rendered.outline)
        }
    };
    let enrichment = enrich::assess(site, row.version, row.enrichment);
    Ok(Document {
        enrichment,
        id: row.id,
        slug: row.slug,
        title: row.title,
        body_html,
        outline,
        reading_minutes: row.reading_minutes,
        attachments,
        updated_at: row.updated_at,
        version: row.version,
        folder: row.folder,
        tags,
        pending,
        views: row.views,
        votes: Votes { helpful_yes: row.helpful_yes, helpful_no: row.helpful_no },
    })
}

/// The folders and tags that have published documents, with counts, for browsing: folders by
/// name, the 50 most used tags. Read from `facets`, which every publish and delete recounts.
pub async fn browse(db: &dyn Db) -> Result<Browse, DomainError> {
    #[derive(Deserialize)]
    struct Row {
        kind: String,
        #[serde(flatten)]
        facet: Facet,
    }
    let rows: Vec<Row> = db
        .query_all(Statement::new("SELECT kind, name, count FROM facets ORDER BY kind, count DESC, name"))
        .await?;
    let (folders, tags): (Vec<Row>, Vec<Row>) = rows.into_iter().partition(|r| r.kind == "folder");
    let mut folders: Vec<Facet> = folders.into_iter().map(|r| r.facet).collect();
    folders.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Browse { folders, tags: tags.into_iter().take(50).map(|r| r.facet).collect() })
}

/// Statements that recount [`browse`]'s folders and tags; publish and delete run them in the
/// batch that changes what is live.
pub(crate) fn recount_facets() -> Vec<Statement> {
    vec![
        Statement::new("DELETE FROM facets"),
        Statement::new(
            "INSERT INTO facets (kind, name, count)
             SELECT 'folder', folder, COUNT(*) FROM documents WHERE published = 1 AND folder <> '' GROUP BY folder",
        ),
        Statement::new(
            "INSERT INTO facets (kind, name, count)
             SELECT 'tag', t.tag, COUNT(*) FROM document_tags t
             JOIN documents d ON d.id = t.document_id AND d.published = 1 GROUP BY t.tag",
        ),
    ]
}

/// What an editor edits: the live version's full Markdown (front matter and title included).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Source {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub version: i64,
    pub kind: String,
    pub markdown: String,
}

pub async fn source(ports: &Ports, slug: &Slug) -> Result<Source, DomainError> {
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        slug: String,
        title: String,
        version: i64,
        kind: String,
        body_md: Option<String>,
        body_key: Option<BlobKey>,
    }
    let row: Row = ports
        .db
        .query_opt(
            Statement::new(
                "SELECT d.id, d.slug, d.title, d.version, v.kind, v.body_md, v.body_key
                 FROM documents d
                 JOIN document_versions v ON v.document_id = d.id AND v.version = d.version
                 WHERE d.slug = ?1 AND d.published = 1",
            )
            .bind(slug.as_str()),
        )
        .await?
        .ok_or(DomainError::NotFound("document"))?;
    let markdown = crate::storage::blobs::load_text(ports, row.body_md, row.body_key.as_ref()).await?;
    Ok(Source {
        id: row.id,
        slug: row.slug,
        title: row.title,
        version: row.version,
        kind: row.kind,
        markdown,
    })
}

/// Counts a page view in the background, after the response: a reader never waits for it
/// (see [`views`]: concurrent views share one write).
pub fn record_view_later(site: &Site, document_id: i64) {
    views::record_later(site, document_id);
}

/// Records `voter`'s vote and returns the totals. One vote per reader per document: voting
/// again changes the vote, and the same vote again writes nothing (so it cannot empty the kept
/// pages either). `voter` is who the reader is (their address); only a hash of it is stored.
/// A vote is a write: refused while changes are paused.
pub async fn vote(ports: &Ports, slug: &Slug, helpful: bool, voter: &str) -> Result<Votes, DomainError> {
    use sha2::{Digest, Sha256};
    settings::ensure_writable(ports).await?;
    let voter = hex::encode(Sha256::digest(format!("folio vote\n{voter}").as_bytes()));
    // The triggers on document_votes keep document_stats' totals (migration 0015).
    ports
        .db
        .execute(
            Statement::new(
                "INSERT INTO document_votes (document_id, voter, helpful)
                 SELECT id, ?2, ?3 FROM documents WHERE slug = ?1
                 ON CONFLICT (document_id, voter) DO UPDATE SET helpful = excluded.helpful, voted_at = unixepoch()
                 WHERE helpful <> excluded.helpful",
            )
            .bind(slug.as_str())
            .bind(voter)
            .bind(helpful),
        )
        .await?;
    ports
        .db
        .query_opt(
            Statement::new(
                "SELECT coalesce(s.helpful_yes, 0) AS helpful_yes, coalesce(s.helpful_no, 0) AS helpful_no
                 FROM documents d LEFT JOIN document_stats s ON s.document_id = d.id WHERE d.slug = ?1",
            )
            .bind(slug.as_str()),
        )
        .await?
        .ok_or(DomainError::NotFound("document"))
}
