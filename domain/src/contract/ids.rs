//! The Db contract's check on Folio's own tables: ids are never given again.

use super::expect;
use crate::error::DbError;
use crate::ports::{Db, DbExt};
use crate::sql::{Id, Statement};

/// The slug prefix and blob key of the rows [`ids_never_reused`] adds (and removes again).
const IDS_SLUG: &str = "contract-ids-never-reused";
const IDS_BLOB: &str = "c0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0de";

/// Ingest jobs, vector ids (`<version>:<ordinal>`), related links and stored answers name rows
/// by id after reading them: the newest document deleted and another added at once must get
/// new ids, never the deleted one's (SQLite's plain `INTEGER PRIMARY KEY` would reuse them).
pub(super) async fn ids_never_reused(db: &dyn Db) -> Result<(), String> {
    let run = async {
        // Leftovers of an interrupted run go first (their versions and chunks with them).
        db.execute(Statement::new("DELETE FROM documents WHERE slug LIKE ?1 || '%'").bind(IDS_SLUG)).await?;
        db.execute(
            Statement::new(
                "INSERT OR IGNORE INTO blobs (key, content_type, size) VALUES (?1, 'text/markdown', 0)",
            )
            .bind(IDS_BLOB),
        )
        .await?;
        let deleted = add_document(db, "a").await?;
        db.execute(Statement::new("DELETE FROM documents WHERE id = ?1").bind(deleted[0])).await?;
        let added = add_document(db, "b").await?;
        db.execute(Statement::new("DELETE FROM documents WHERE id = ?1").bind(added[0])).await?;
        Ok::<_, DbError>((deleted, added))
    };
    let outcome = run.await.map_err(|e| e.to_string());
    let cleanup = async {
        db.execute(Statement::new("DELETE FROM documents WHERE slug LIKE ?1 || '%'").bind(IDS_SLUG)).await?;
        db.execute(Statement::new("DELETE FROM blobs WHERE key = ?1").bind(IDS_BLOB)).await
    };
    cleanup.await.map_err(|e| format!("cleaning up: {e}"))?;
    let (deleted, added) = outcome?;
    expect(added.iter().zip(&deleted).all(|(a, d)| a > d), || {
        format!("ids [document, version, chunk] {deleted:?} deleted, then {added:?} given")
    })
}

/// Adds a document with one version and one chunk; their ids.
async fn add_document(db: &dyn Db, name: &str) -> Result<[i64; 3], DbError> {
    let document = db
        .query_one::<Id>(
            Statement::new(
                "INSERT INTO documents (slug, title, body_md, published) VALUES (?1, 'contract', '', 0)
                 RETURNING id",
            )
            .bind(format!("{IDS_SLUG}-{name}")),
        )
        .await?
        .id;
    let version = db
        .query_one::<Id>(
            Statement::new(
                "INSERT INTO document_versions (document_id, version, blob_key, source_name, kind)
                 VALUES (?1, 1, ?2, 'contract.md', 'markdown') RETURNING id",
            )
            .bind(document)
            .bind(IDS_BLOB),
        )
        .await?
        .id;
    let chunk = db
        .query_one::<Id>(
            Statement::new(
                "INSERT INTO chunks (version_id, document_id, version, ordinal, title, heading, body, words)
                 VALUES (?1, ?2, 1, 0, 'contract', '', 'contract', 1) RETURNING id",
            )
            .bind(version)
            .bind(document),
        )
        .await?
        .id;
    Ok([document, version, chunk])
}
