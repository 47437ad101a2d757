//! Reading documents, counting views and collecting "helpful?" votes.

use serde::Deserialize;
use std::collections::HashMap;

use crate::error::DomainError;
use crate::markdown;
use crate::model::{Document, DocumentSummary, Slug, Votes};
use crate::ports::{Db, Ports};
use crate::sql::{decode, decode_one, Statement};

/// Most recently updated documents first.
pub async fn list_recent(db: &dyn Db, limit: u32) -> Result<Vec<DocumentSummary>, DomainError> {
    let rows = db
        .query(
            Statement::new(
                "SELECT d.slug, d.title, d.excerpt, d.updated_at, COALESCE(s.views, 0) AS views
                 FROM documents d LEFT JOIN document_stats s ON s.document_id = d.id
                 ORDER BY d.updated_at DESC, d.id DESC LIMIT ?1",
            )
            .bind(i64::from(limit)),
        )
        .await?;
    Ok(decode(rows)?)
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
                 WHERE d.slug = ?1",
            )
            .bind(slug.as_str()),
        )
        .await?;
    let row: DocumentRow = decode_one(rows.into_iter().next().ok_or(DomainError::NotFound("document"))?)?;
    let attachments: HashMap<String, String> = decode::<AttachmentRow>(
        db.query(
            Statement::new("SELECT name, blob_key FROM attachments WHERE document_id = ?1").bind(row.id),
        )
        .await?,
    )?
    .into_iter()
    .map(|a| (a.name, format!("/blobs/{}", a.blob_key)))
    .collect();
    Ok(Document {
        id: row.id,
        slug: row.slug,
        title: row.title,
        body_html: markdown::render(&row.body_md, |name| attachments.get(name).cloned()),
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
