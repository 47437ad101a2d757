//! Loading sample content (the pages about Folio itself). Idempotent: seeding twice, or on two
//! isolates at once, leaves one copy of everything.

use bytes::Bytes;

use crate::content::markdown;
use crate::error::DomainError;
use crate::ports::Ports;
use crate::sql::{decode_one, Statement};
use crate::storage::blobs;

pub struct SampleDoc {
    pub slug: &'static str,
    /// `''` for the top level, else a folder path such as `guides`.
    pub folder: &'static str,
    pub markdown: &'static str,
}

pub struct SampleFile {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

#[derive(serde::Deserialize)]
struct Count {
    n: i64,
}

/// True when there are no documents yet.
pub async fn is_empty(ports: &Ports) -> Result<bool, DomainError> {
    let rows = ports.db.query(Statement::new("SELECT COUNT(*) AS n FROM documents")).await?;
    let count: Count = decode_one(rows.into_iter().next().ok_or(DomainError::NotFound("count"))?)?;
    Ok(count.n == 0)
}

/// Stores the files, then each document as a ready version 1 (its Markdown is a blob like any
/// upload's, so editing a sample works like editing an upload) with its stats row, tags and
/// the attachments it references. The `updated_at` of sample `i` is `now - i` seconds so the
/// listing keeps their order.
pub async fn seed(ports: &Ports, docs: &[SampleDoc], files: &[SampleFile]) -> Result<(), DomainError> {
    let mut stored = Vec::with_capacity(files.len());
    for file in files {
        let key = blobs::store(ports, Bytes::from_static(file.bytes), file.content_type).await?;
        stored.push((file.name, key));
    }
    for (age, doc) in (0_i64..).zip(docs) {
        let source =
            blobs::store(ports, Bytes::from_static(doc.markdown.as_bytes()), "text/markdown").await?;
        let (front, rest) = markdown::split_front_matter(doc.markdown);
        let (heading, body) = markdown::split_title(rest);
        let title = front.title.as_deref().or(heading).unwrap_or(doc.slug);
        let rendered = markdown::render(body, |_| None);
        let words = i64::try_from(rendered.words).unwrap_or(i64::MAX);
        let minutes = i64::from(markdown::reading_minutes(rendered.words));
        let mut batch = vec![
            Statement::new(
                "INSERT OR IGNORE INTO documents
                   (slug, title, body_md, excerpt, created_at, updated_at, folder, word_count, reading_minutes)
                 VALUES (?1, ?2, ?3, ?4, unixepoch() - ?5, unixepoch() - ?5, ?6, ?7, ?8)",
            )
            .bind(doc.slug)
            .bind(title)
            .bind(body)
            .bind(markdown::excerpt(body, 220))
            .bind(age)
            .bind(doc.folder)
            .bind(words)
            .bind(minutes),
            Statement::new(
                "INSERT OR IGNORE INTO document_stats (document_id) SELECT id FROM documents WHERE slug = ?1",
            )
            .bind(doc.slug),
            Statement::new(
                "INSERT OR IGNORE INTO document_versions
                   (document_id, version, blob_key, source_name, kind, status, body_md, title, word_count,
                    reading_minutes, folder)
                 SELECT id, 1, ?2, ?1 || '.md', 'markdown', 'ready', ?3, ?4, ?5, ?6, ?7
                 FROM documents WHERE slug = ?1",
            )
            .bind(doc.slug)
            .bind(source.as_str())
            .bind(doc.markdown)
            .bind(title)
            .bind(words)
            .bind(minutes)
            .bind(doc.folder),
        ];
        for tag in &front.tags {
            batch.push(
                Statement::new(
                    "INSERT OR IGNORE INTO document_tags (document_id, tag) SELECT id, ?2 FROM documents WHERE slug = ?1",
                )
                .bind(doc.slug)
                .bind(tag.as_str()),
            );
        }
        for (name, key) in stored.iter().filter(|(name, _)| body.contains(&format!("({name}"))) {
            batch.push(
                Statement::new(
                    "INSERT OR IGNORE INTO attachments (document_id, name, blob_key)
                     SELECT id, ?2, ?3 FROM documents WHERE slug = ?1",
                )
                .bind(doc.slug)
                .bind(*name)
                .bind(key.as_str()),
            );
        }
        ports.db.batch(batch).await?;
    }
    Ok(())
}
