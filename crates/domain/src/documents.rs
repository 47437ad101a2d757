//! Reading documents, counting views and collecting "helpful?" votes.

use serde::Deserialize;
use std::collections::HashMap;

use crate::error::DomainError;
use crate::markdown;
use crate::model::{Attachment, Document, DocumentPage, DocumentSummary, Slug, Votes};
use crate::ports::{Db, Ports};
use crate::sql::{decode, decode_one, Statement};

/// Most recently updated documents first, `limit` at a time. `before` is the `next` cursor of
/// the previous page (keyset pagination: stable while documents are added).
pub async fn list_page(db: &dyn Db, before: Option<&str>, limit: u32) -> Result<DocumentPage, DomainError> {
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
    let rows = db
        .query(
            Statement::new(
                "SELECT d.id, d.slug, d.title, d.excerpt, d.updated_at, COALESCE(s.views, 0) AS views
                 FROM documents d LEFT JOIN document_stats s ON s.document_id = d.id
                 WHERE d.published = 1
                   AND (?1 IS NULL OR d.updated_at < ?1 OR (d.updated_at = ?1 AND d.id < ?2))
                 ORDER BY d.updated_at DESC, d.id DESC LIMIT ?3",
            )
            .bind(before_time)
            .bind(before_id)
            .bind(i64::from(limit) + 1),
        )
        .await?;
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        #[serde(flatten)]
        summary: DocumentSummary,
    }
    let mut rows: Vec<Row> = decode(rows)?;
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
    updated_at: i64,
    views: i64,
    helpful_yes: i64,
    helpful_no: i64,
}

#[derive(Deserialize)]
struct AttachmentRow {
    name: String,
    blob_key: String,
    content_type: String,
    size: i64,
}

/// A document with its Markdown rendered; attachment names resolve to `/blobs/{key}`.
pub async fn get(db: &dyn Db, slug: &Slug) -> Result<Document, DomainError> {
    let rows = db
        .query(
            Statement::new(
                "SELECT d.id, d.slug, d.title, d.body_md, d.updated_at,
                        COALESCE(s.views, 0) AS views, COALESCE(s.helpful_yes, 0) AS helpful_yes,
                        COALESCE(s.helpful_no, 0) AS helpful_no
                 FROM documents d LEFT JOIN document_stats s ON s.document_id = d.id
                 WHERE d.slug = ?1 AND d.published = 1",
            )
            .bind(slug.as_str()),
        )
        .await?;
    let row: DocumentRow = decode_one(rows.into_iter().next().ok_or(DomainError::NotFound("document"))?)?;
    let attachments: Vec<Attachment> = decode::<AttachmentRow>(
        db.query(
            Statement::new(
                "SELECT a.name, a.blob_key, b.content_type, b.size
                 FROM attachments a JOIN blobs b ON b.key = a.blob_key
                 WHERE a.document_id = ?1 ORDER BY a.name",
            )
            .bind(row.id),
        )
        .await?,
    )?
    .into_iter()
    .map(|a| Attachment {
        url: format!("/blobs/{}", a.blob_key),
        name: a.name,
        content_type: a.content_type,
        size: a.size,
    })
    .collect();
    let urls: HashMap<&str, &str> = attachments.iter().map(|a| (a.name.as_str(), a.url.as_str())).collect();
    let rendered = markdown::render(&row.body_md, |name| urls.get(name).map(|url| (*url).to_owned()));
    Ok(Document {
        id: row.id,
        slug: row.slug,
        title: row.title,
        body_html: rendered.html,
        outline: rendered.outline,
        reading_minutes: markdown::reading_minutes(rendered.words),
        attachments,
        updated_at: row.updated_at,
        views: row.views,
        votes: Votes { helpful_yes: row.helpful_yes, helpful_no: row.helpful_no },
    })
}

/// Counts a page view in the background, after the response: a reader never waits for it.
pub fn record_view_later(ports: &Ports, document_id: i64) {
    let db = ports.db.clone();
    ports.tasks.spawn(
        "record-view",
        Box::pin(async move {
            let stmt = Statement::new(
                "INSERT INTO document_stats (document_id, views) VALUES (?1, 1)
                 ON CONFLICT (document_id) DO UPDATE SET views = views + 1",
            )
            .bind(document_id);
            if let Err(err) = db.execute(stmt).await {
                tracing::warn!(document_id, %err, "could not record a view");
            }
        }),
    );
}

/// Adds one vote and returns the new totals.
pub async fn vote(db: &dyn Db, slug: &Slug, helpful: bool) -> Result<Votes, DomainError> {
    let rows = db
        .query(
            Statement::new(
                "INSERT INTO document_stats (document_id, helpful_yes, helpful_no)
                 SELECT id, ?2, ?3 FROM documents WHERE slug = ?1
                 ON CONFLICT (document_id) DO UPDATE SET
                   helpful_yes = helpful_yes + excluded.helpful_yes,
                   helpful_no = helpful_no + excluded.helpful_no
                 RETURNING helpful_yes, helpful_no",
            )
            .bind(slug.as_str())
            .bind(helpful)
            .bind(!helpful),
        )
        .await?;
    Ok(decode_one(rows.into_iter().next().ok_or(DomainError::NotFound("document"))?)?)
}
