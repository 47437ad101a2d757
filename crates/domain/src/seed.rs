//! Loading sample content (the pages about Folio itself). Idempotent: seeding twice, or on two
//! isolates at once, leaves one copy of everything.

use bytes::Bytes;

use crate::blobs;
use crate::error::DomainError;
use crate::markdown;
use crate::ports::Ports;
use crate::sql::{decode_one, Statement};

pub struct SampleDoc {
    pub slug: &'static str,
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

/// Stores the files, then each document with its stats row and the attachments it references.
/// The `updated_at` of sample `i` is `now - i` seconds so the listing keeps their order.
pub async fn seed(ports: &Ports, docs: &[SampleDoc], files: &[SampleFile]) -> Result<(), DomainError> {
    let mut stored = Vec::with_capacity(files.len());
    for file in files {
        let key = blobs::store(ports, Bytes::from_static(file.bytes), file.content_type).await?;
        stored.push((file.name, key));
    }
    for (age, doc) in (0_i64..).zip(docs) {
        let (title, body) = markdown::split_title(doc.markdown);
        let title = title.unwrap_or(doc.slug);
        let mut batch = vec![
            Statement::new(
                "INSERT OR IGNORE INTO documents (slug, title, body_md, excerpt, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, unixepoch() - ?5, unixepoch() - ?5)",
            )
            .bind(doc.slug)
            .bind(title)
            .bind(body)
            .bind(markdown::excerpt(body, 220))
            .bind(age),
            Statement::new(
                "INSERT OR IGNORE INTO document_stats (document_id) SELECT id FROM documents WHERE slug = ?1",
            )
            .bind(doc.slug),
        ];
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
