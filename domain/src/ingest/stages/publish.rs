//! Stage `publish`: derive what readers and listings show (title, excerpt, word count, reading
//! time, outline, tags, folder), attach images, render the sanitised HTML once for every later
//! view, and make the version live, all in one batch (the browse counts too, and older versions'
//! chunks leave the search indexes). Uploads, edits
//! and the sample pages all go live through here.

use serde::Deserialize;
use std::collections::HashMap;

use super::version_row;
use crate::content::markdown;
use crate::documents::model::VersionStatus;
use crate::error::DomainError;
use crate::ports::{DbExt, Ports};
use crate::site::Site;
use crate::sql::Statement;
use crate::storage::blobs;
use crate::BlobKey;

/// Every statement that touches the document carries this guard: an older version never
/// replaces a newer one that is already live.
macro_rules! unless_newer_live {
    ($sql:literal) => {
        concat!(
            $sql,
            " NOT EXISTS (SELECT 1 FROM document_versions
                          WHERE document_id = ?1 AND version > ?2 AND status = 'ready')"
        )
    };
}

pub(super) async fn publish(site: &Site, version_id: i64) -> Result<(), DomainError> {
    let ports = &site.ports;
    let row = version_row(ports, version_id).await?;
    let full = blobs::load_text(ports, row.body_md, row.body_key.as_ref()).await?;
    let (front, rest) = markdown::split_front_matter(&full);
    let (heading, body) = markdown::split_title(rest);
    let title = super::title_of(&front, heading, &row.source_name);
    let attachments = resolve_images(ports, row.document_id, markdown::relative_image_targets(body)).await?;
    let urls: HashMap<&str, String> =
        attachments.iter().map(|(name, key)| (name.as_str(), format!("/blobs/{key}"))).collect();
    let rendered = markdown::render(body, |name| urls.get(name).cloned());
    let words = i64::try_from(rendered.words).unwrap_or(i64::MAX);
    let minutes = i64::from(markdown::reading_minutes(rendered.words));
    let outline = serde_json::to_string(&rendered.outline).unwrap_or_default();
    let excerpt = markdown::excerpt(body, 220);
    let (body_inline, body_key) = blobs::store_text(ports, body.to_owned()).await?;
    let (html_inline, html_key) = blobs::store_text(ports, rendered.html).await?;
    // `updated_at` stays when the live version is published again (the search backfill).
    let mut batch = vec![
        Statement::new(
            "UPDATE document_versions SET title = ?2, word_count = ?3, reading_minutes = ?4, outline_json = ?5
             WHERE id = ?1",
        )
        .bind(version_id)
        .bind(title.as_str())
        .bind(words)
        .bind(minutes)
        .bind(outline.as_str()),
        Statement::new(unless_newer_live!(
            "UPDATE documents SET title = ?3, body_md = ?4, excerpt = ?5, folder = ?6, version = ?2,
               word_count = ?7, reading_minutes = ?8, body_key = ?9, body_html = ?10, html_key = ?11,
               outline_json = ?12, published = 1,
               updated_at = CASE WHEN published = 1 AND version = ?2 THEN updated_at ELSE unixepoch() END
             WHERE id = ?1 AND"
        ))
        .bind(row.document_id)
        .bind(row.version)
        .bind(title)
        .bind(body_inline.unwrap_or_default())
        .bind(excerpt)
        .bind(row.folder)
        .bind(words)
        .bind(minutes)
        .bind(body_key)
        .bind(html_inline)
        .bind(html_key)
        .bind(outline),
        Statement::new(unless_newer_live!("DELETE FROM document_tags WHERE document_id = ?1 AND"))
            .bind(row.document_id)
            .bind(row.version),
    ];
    for tag in front.tags {
        batch.push(
            Statement::new(unless_newer_live!(
                "INSERT OR IGNORE INTO document_tags (document_id, tag) SELECT ?1, ?3 WHERE"
            ))
            .bind(row.document_id)
            .bind(row.version)
            .bind(tag),
        );
    }
    // Images this document names (its own, or ones uploaded earlier) become its attachments.
    for (name, key) in attachments {
        batch.push(
            Statement::new(
                "INSERT OR REPLACE INTO attachments (document_id, name, blob_key) VALUES (?1, ?2, ?3)",
            )
            .bind(row.document_id)
            .bind(name)
            .bind(key),
        );
    }
    batch.push(
        Statement::new("UPDATE document_versions SET status = ?2, error = NULL WHERE id = ?1")
            .bind(version_id)
            .bind(VersionStatus::Ready.as_str()),
    );
    // Older versions leave the indexes as this one goes live (their vector ids are queued for
    // the vector index by the chunks' delete trigger).
    batch.push(
        Statement::new(unless_newer_live!("DELETE FROM chunks WHERE document_id = ?1 AND version < ?2 AND"))
            .bind(row.document_id)
            .bind(row.version),
    );
    batch.extend(crate::documents::recount_facets());
    ports.db.batch(batch).await?;
    // Its summary, topics and related documents are made now, before most readers come.
    crate::enrich::refresh_later(site, row.document_id, crate::enrich::Kind::ALL.to_vec());
    Ok(())
}

/// Where each image name the document uses lives: the newest uploaded image of that name, else
/// the file the document already has under it (a sample page's picture).
async fn resolve_images(
    ports: &Ports,
    document_id: i64,
    names: Vec<String>,
) -> Result<Vec<(String, BlobKey)>, DomainError> {
    #[derive(Deserialize)]
    struct Found {
        blob_key: BlobKey,
    }
    let mut found = Vec::with_capacity(names.len());
    for name in names {
        let key: Option<Found> = ports
            .db
            .query_opt(
                Statement::new(
                    "SELECT blob_key FROM (
                       SELECT blob_key, 0 AS rank, id FROM document_versions
                       WHERE source_name = ?2 AND kind IN ('png', 'jpeg', 'gif', 'webp')
                       UNION ALL
                       SELECT blob_key, 1 AS rank, 0 AS id FROM attachments WHERE document_id = ?1 AND name = ?2)
                     ORDER BY rank, id DESC LIMIT 1",
                )
                .bind(document_id)
                .bind(name.as_str()),
            )
            .await?;
        if let Some(Found { blob_key }) = key {
            found.push((name, blob_key));
        }
    }
    Ok(found)
}
