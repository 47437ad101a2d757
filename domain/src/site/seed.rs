//! Loading sample content (the pages about Folio itself). The pages go live through the same
//! ingest stages as uploads; seeding twice leaves one copy of everything.

use bytes::Bytes;
use serde::Deserialize;

use crate::content::markdown;
use crate::error::{DbError, DomainError};
use crate::ingest;
use crate::ports::{DbExt, Ports};
use crate::site::Site;
use crate::sql::Statement;
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

/// True when there are no documents yet.
pub async fn is_empty(ports: &Ports) -> Result<bool, DomainError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let count: Count = ports.db.query_one(Statement::new("SELECT COUNT(*) AS n FROM documents")).await?;
    Ok(count.n == 0)
}

/// Stores the files, adds each page as version 1 with an ingest job (like an upload, so editing
/// a sample works like editing an upload), attaches the files a page names, then runs the jobs
/// until the pages are live (keyword-searchable) when this returns; their vectors come from the
/// background like an upload's, so a first start never waits for a model. Pages are added last-first: the first page gets
/// the highest id and heads the listing.
pub async fn seed(site: &Site, docs: &[SampleDoc], files: &[SampleFile]) -> Result<(), DomainError> {
    let ports = &site.ports;
    let mut stored = Vec::with_capacity(files.len());
    for file in files {
        let key = blobs::store(ports, Bytes::from_static(file.bytes), file.content_type).await?;
        stored.push((file.name, key));
    }
    for doc in docs.iter().rev() {
        let id = match ingest::add_sample(ports, doc.slug, doc.folder, doc.markdown).await {
            Ok(id) => id,
            // Another isolate is seeding the same page at this moment: its copy stands.
            Err(DomainError::Db(DbError::Constraint(_))) => continue,
            Err(err) => return Err(err),
        };
        let named = markdown::relative_image_targets(doc.markdown);
        let attachments: Vec<_> = stored
            .iter()
            .filter(|(name, _)| named.iter().any(|n| n == name))
            .map(|(name, key)| {
                Statement::new(
                    "INSERT OR IGNORE INTO attachments (document_id, name, blob_key) VALUES (?1, ?2, ?3)",
                )
                .bind(id)
                .bind(*name)
                .bind(key.as_str())
            })
            .collect();
        if !attachments.is_empty() {
            ports.db.batch(attachments).await?;
        }
    }
    // Jobs whose lease is out of reach (a retry waiting) are left to the sweep.
    while ingest::run_until_live(site, 20).await? > 0 {}
    ingest::run_later(site);
    Ok(())
}
