//! Migration 0013 rebuilds `documents`, `document_versions` and `chunks` so ids are never given
//! again. Run on a database as the previous release left it (with foreign keys on, as natively
//! and on D1): every row, index, trigger and key survives, the keyword index still answers, and
//! the schema differs only by AUTOINCREMENT.

use rusqlite::types::Value;
use rusqlite::Connection;
use server::migrations::{apply_these, MIGRATIONS};

const IDS: &str = "0013_ids_never_reused.sql";

/// The tables whose ids must never be given again.
const REBUILT: [&str; 3] = ["documents", "document_versions", "chunks"];

/// The tables the rebuild copies, with what each row is ordered by.
const COPIED: [(&str, &str); 10] = [
    ("documents", "id"),
    ("document_versions", "id"),
    ("chunks", "id"),
    ("document_stats", "document_id"),
    ("attachments", "document_id, name"),
    ("document_tags", "document_id, tag"),
    ("enrichments", "document_id, kind"),
    ("enrichment_claims", "document_id, kind"),
    ("ingest_jobs", "version_id"),
    ("vector_garbage", "id"),
];

/// Where 0013 is in the list.
fn ids_at() -> usize {
    MIGRATIONS.iter().position(|(name, _)| *name == IDS).expect("migration 0013 is listed")
}

/// A database with foreign keys on, migrated up to (not including) 0013.
fn before_ids() -> Connection {
    let mut conn = Connection::open_in_memory().expect("open");
    conn.execute_batch("PRAGMA foreign_keys = ON").expect("foreign keys");
    apply_these(&mut conn, &MIGRATIONS[..ids_at()]).expect("migrations before 0013");
    conn
}

/// Applies 0013 alone (later migrations change the schema for their own reasons).
fn apply_ids(conn: &mut Connection) -> Vec<&'static str> {
    apply_these(conn, &MIGRATIONS[..=ids_at()]).expect("0013")
}

fn rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut stmt = conn.prepare(sql).expect(sql);
    let width = stmt.column_count();
    stmt.query_map([], |row| (0..width).map(|i| row.get::<_, Value>(i)).collect())
        .expect(sql)
        .collect::<Result<_, _>>()
        .expect(sql)
}

fn one(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |row| row.get(0)).expect(sql)
}

/// Three documents as ingest leaves them (one with an older version and a job, chunks with and
/// without vectors, stats, tags, attachments, enrichment), and a fourth, the newest, deleted:
/// its vector ids wait in `vector_garbage`, and a related list and a stored answer still name it.
fn fill(conn: &Connection) {
    let blob = |c: char| c.to_string().repeat(64);
    let (a, b) = (blob('a'), blob('b'));
    conn.execute_batch(&format!(
        "INSERT INTO users (id, email, password_hash, role) VALUES (1, 'a@folio.test', '$x$y$z', 'admin');
         INSERT INTO blobs (key, content_type, size) VALUES ('{a}', 'text/markdown', 10), ('{b}', 'image/png', 20);
         INSERT INTO documents (id, slug, title, body_md, excerpt, published, folder, version, word_count,
                                reading_minutes, body_html, html_key, outline_json, summary_hidden)
           VALUES (1, 'backups', 'Backups', 'Copy the data folder.', 'Copy', 1, 'ops', 1, 4, 1, '<p>Copy</p>', NULL, '[]', 0),
                  (2, 'garden', 'Garden', 'Water the tomatoes.', 'Water', 1, '', 2, 3, 1, NULL, '{b}', NULL, 1),
                  (3, 'draft', 'Draft', '', '', 0, '', 1, 0, 1, NULL, NULL, NULL, 0),
                  (4, 'gone', 'Gone', 'Soon deleted.', '', 1, '', 1, 2, 1, NULL, NULL, NULL, 0);
         INSERT INTO document_versions (id, document_id, version, blob_key, source_name, kind, status, body_md,
                                        created_by, title, word_count, folder, body_key)
           VALUES (1, 1, 1, '{a}', 'backups.md', 'markdown', 'ready', 'Copy the data folder.', 1, 'Backups', 4, 'ops', NULL),
                  (2, 2, 1, '{a}', 'garden.md', 'markdown', 'ready', NULL, NULL, 'Garden', 3, '', '{a}'),
                  (3, 2, 2, '{a}', 'garden.md', 'markdown', 'ready', 'Water the tomatoes.', 1, 'Garden', 3, '', NULL),
                  (4, 3, 1, '{b}', 'draft.png', 'png', 'queued', NULL, 1, NULL, NULL, '', NULL),
                  (5, 4, 1, '{a}', 'gone.md', 'markdown', 'ready', 'Soon deleted.', 1, 'Gone', 2, '', NULL);
         INSERT INTO ingest_jobs (version_id, stage, attempts, lease_until, last_error)
           VALUES (4, 'extract', 2, 99, 'busy');
         INSERT INTO chunks (id, version_id, document_id, version, ordinal, title, heading, anchor, body, words, embedded)
           VALUES (1, 1, 1, 1, 0, 'Backups', '', NULL, 'Copy the data folder to another disk.', 7, 1),
                  (2, 1, 1, 1, 1, 'Backups', 'Restore', 'restore', 'Restoring the copy brings everything back.', 6, 0),
                  (3, 3, 2, 2, 0, 'Garden', 'Watering', 'watering', 'Water the tomatoes at the roots.', 6, 1),
                  (4, 5, 4, 1, 0, 'Gone', '', NULL, 'Soon deleted tomatoes.', 3, 1);
         INSERT INTO document_stats (document_id, views, helpful_yes, helpful_no) VALUES (1, 7, 2, 1), (2, 3, 0, 0);
         INSERT INTO attachments (document_id, name, blob_key) VALUES (2, 'plan.png', '{b}');
         INSERT INTO document_tags (document_id, tag) VALUES (1, 'ops'), (2, 'outdoors'), (2, 'plants');
         INSERT INTO enrichments (document_id, kind, version, model, input_hash, made_at, body)
           VALUES (1, 'summary', 1, 'm', 'h1', 5, 'About copies.'), (1, 'related', 1, 'vectors', 'h2', 6, '[4, 2]'),
                  (2, 'topics', 2, 'm', 'h3', 7, '[\"plants\"]');
         INSERT INTO enrichment_claims (document_id, kind, until, failed) VALUES (2, 'summary', 123, 1);
         INSERT INTO ask_answers (key, model, answer, sources, chunk_ids) VALUES ('q', 'm', 'A.', '[]', '[4, 1]');
         INSERT INTO facets (kind, name, count) VALUES ('folder', 'ops', 1), ('tag', 'plants', 1);
         DELETE FROM documents WHERE id = 4;"
    ))
    .expect("fill");
}

/// What the rebuild must keep: every copied table's rows, in order.
fn snapshot(conn: &Connection) -> Vec<(&'static str, Vec<Vec<Value>>)> {
    COPIED
        .iter()
        .map(|(table, order)| (*table, rows(conn, &format!("SELECT * FROM {table} ORDER BY {order}"))))
        .collect()
}

fn matching(conn: &Connection, words: &str) -> Vec<i64> {
    rows(conn, &format!("SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH '{words}' ORDER BY rank"))
        .into_iter()
        .map(|row| match row[0] {
            Value::Integer(id) => id,
            ref other => panic!("rowid {other:?}"),
        })
        .collect()
}

fn assert_sound(conn: &Connection) {
    assert!(rows(conn, "PRAGMA foreign_key_check").is_empty(), "no row names a missing parent");
    assert_eq!(rows(conn, "PRAGMA integrity_check"), vec![vec![Value::Text("ok".into())]]);
    // FTS5 compares its index with the content table (chunks) and fails on any difference.
    conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('integrity-check')", [])
        .expect("the keyword index matches chunks");
}

#[test]
fn the_rebuild_keeps_every_row_and_what_follows_rows() {
    let mut conn = before_ids();
    fill(&conn);
    let before = snapshot(&conn);
    let (tomatoes, copies) = (matching(&conn, "tomatoes"), matching(&conn, "copy"));
    assert_eq!(tomatoes, vec![3], "the deleted document's chunk left the index");
    assert_eq!(copies.len(), 2);
    assert_sound(&conn);

    assert_eq!(apply_ids(&mut conn), vec![IDS]);

    assert_eq!(snapshot(&conn), before, "every row kept, ids included");
    assert_eq!((matching(&conn, "tomatoes"), matching(&conn, "copy")), (tomatoes, copies));
    assert_eq!(one(&conn, "SELECT doc FROM chunks_vocab WHERE term = 'tomato'"), 1, "vocabulary kept");
    assert_sound(&conn);
    let leftovers = one(&conn, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '%copy%'");
    assert_eq!(leftovers, 0, "no staging table is left");

    // New rows get ids above every id ever used or still named: the deleted document (4, named
    // by a related list), its version (5, in vector_garbage) and its chunk (4, in a stored answer).
    conn.execute_batch(
        "INSERT INTO documents (slug, title, body_md) VALUES ('new', 'New', 'Fresh tomatoes.');
         INSERT INTO document_versions (document_id, version, blob_key, source_name, kind)
           SELECT MAX(id), 1, (SELECT key FROM blobs LIMIT 1), 'new.md', 'markdown' FROM documents;
         INSERT INTO chunks (version_id, document_id, version, ordinal, title, heading, body, words)
           SELECT MAX(v.id), MAX(v.document_id), 1, 0, 'New', '', 'Fresh tomatoes.', 2 FROM document_versions v;",
    )
    .expect("add a document");
    let new_ids = REBUILT.map(|table| one(&conn, &format!("SELECT MAX(id) FROM {table}")));
    assert_eq!(new_ids, [5, 6, 5], "ids after the largest ever used");
    // The triggers follow inserts and updates into the keyword index.
    assert_eq!(matching(&conn, "fresh"), vec![5]);
    conn.execute("UPDATE chunks SET body = 'Ripe peppers.' WHERE id = 5", []).expect("update");
    assert_eq!((matching(&conn, "fresh"), matching(&conn, "peppers")), (vec![], vec![5]));

    // Deleting a document still takes everything of it, and its vectors are queued to go.
    conn.execute("DELETE FROM documents WHERE id = 2", []).expect("delete");
    for (table, column) in [
        ("document_versions", "document_id"),
        ("chunks", "document_id"),
        ("document_stats", "document_id"),
        ("attachments", "document_id"),
        ("document_tags", "document_id"),
        ("enrichments", "document_id"),
        ("enrichment_claims", "document_id"),
    ] {
        assert_eq!(one(&conn, &format!("SELECT COUNT(*) FROM {table} WHERE {column} = 2")), 0, "{table}");
    }
    let garbage = rows(&conn, "SELECT id FROM vector_garbage ORDER BY id");
    assert_eq!(garbage, vec![vec![Value::Text("3:0".into())], vec![Value::Text("5:0".into())]]);
    assert!(matching(&conn, "tomatoes").is_empty(), "its chunks left the keyword index");
    conn.execute("DELETE FROM documents WHERE id = 3", []).expect("delete");
    assert_eq!(one(&conn, "SELECT COUNT(*) FROM ingest_jobs"), 0, "a deleted version's job goes too");
    assert_sound(&conn);
}

/// How SQLite stored a schema object's SQL, without comments and layout (ALTER TABLE appends
/// columns in place, RENAME quotes the name), so equal definitions compare equal.
fn normalised(sql: &str) -> String {
    let code: String =
        sql.lines().map(|line| line.split("--").next().unwrap_or("")).collect::<Vec<_>>().join(" ");
    let spaced = code.replace('"', "").split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let mut out = String::new();
    for part in spaced.split(' ') {
        let glue = out.ends_with(['(', ',']) || part.starts_with([')', ',', '(']);
        if !out.is_empty() && !glue {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

fn schema(conn: &Connection) -> Vec<(String, String, String)> {
    let mut stmt = conn
        .prepare("SELECT type, name, COALESCE(sql, '') FROM sqlite_master ORDER BY name")
        .expect("schema");
    stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, normalised(&row.get::<_, String>(2)?))))
        .expect("schema")
        .collect::<Result<_, _>>()
        .expect("schema")
}

#[test]
fn the_schema_differs_only_by_autoincrement() {
    let old = schema(&before_ids());
    let mut conn = before_ids();
    apply_ids(&mut conn);
    let mut new = schema(&conn);
    for (kind, name, sql) in &mut new {
        if kind == "table" && REBUILT.contains(&name.as_str()) {
            assert!(sql.contains("id integer primary key autoincrement,"), "{name}: {sql}");
            *sql = sql.replace(" autoincrement", "");
        }
    }
    let differences: Vec<_> = old
        .iter()
        .filter(|o| !new.contains(o))
        .map(|o| format!("before: {o:?}"))
        .chain(new.iter().filter(|n| !old.contains(n)).map(|n| format!("after:  {n:?}")))
        .collect();
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
