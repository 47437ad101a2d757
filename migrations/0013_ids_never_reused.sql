-- Ids are never given again. A plain INTEGER PRIMARY KEY hands a deleted row's id to the next
-- insert: delete the newest document, upload another, and the new one gets the same document,
-- version and chunk ids, so the deleted one's queued vector ids ('<version>:<ordinal>') forget
-- its vectors, a late job of the deleted one writes into its rows, and related links and stored
-- answers name it. AUTOINCREMENT keeps each id above every id the table ever held.
--
-- SQLite cannot add AUTOINCREMENT in place, so these three tables and every table with a
-- foreign key to them are rebuilt, keeping every row, id, index and trigger. Foreign keys are
-- on while this runs (natively, and always on D1), which sets the order:
--   1. copy the rows into plain staging tables;
--   2. drop the old tables, children first: dropping a parent deletes its rows first, and that
--      delete cascades into any table naming it (no RENAME either: it rewrites the names other
--      tables' foreign keys use);
--   3. create the tables under their own names, as before but for AUTOINCREMENT;
--   4. copy the rows back, parents first, ids as they were;
--   5. lift each table's sequence past the ids other rows still name (a deleted document in a
--      related list, a deleted version's vector ids, a deleted chunk in a stored answer);
--   6. recreate the indexes, then the chunks triggers (after the copy: the keyword index
--      chunks_fts already holds these rows under the same ids, and so stays as it is);
--   7. drop the staging tables.

-- 1. Copy.
CREATE TABLE documents_copy AS SELECT * FROM documents;
CREATE TABLE document_versions_copy AS SELECT * FROM document_versions;
CREATE TABLE chunks_copy AS SELECT * FROM chunks;
CREATE TABLE document_stats_copy AS SELECT * FROM document_stats;
CREATE TABLE attachments_copy AS SELECT * FROM attachments;
CREATE TABLE document_tags_copy AS SELECT * FROM document_tags;
CREATE TABLE enrichments_copy AS SELECT * FROM enrichments;
CREATE TABLE enrichment_claims_copy AS SELECT * FROM enrichment_claims;
CREATE TABLE ingest_jobs_copy AS SELECT * FROM ingest_jobs;

-- 2. Drop, children first (their indexes and triggers go with them; triggers do not fire).
DROP TABLE ingest_jobs;
DROP TABLE chunks;
DROP TABLE enrichment_claims;
DROP TABLE enrichments;
DROP TABLE document_tags;
DROP TABLE attachments;
DROP TABLE document_stats;
DROP TABLE document_versions;
DROP TABLE documents;

-- 3. Create: the columns, defaults, checks and keys of migrations 0001-0012, in their order.
CREATE TABLE documents (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  slug             TEXT    NOT NULL UNIQUE,
  title            TEXT    NOT NULL,
  body_md          TEXT    NOT NULL,
  excerpt          TEXT    NOT NULL DEFAULT '',
  created_at       INTEGER NOT NULL DEFAULT (unixepoch()),
  updated_at       INTEGER NOT NULL DEFAULT (unixepoch()),
  published        INTEGER NOT NULL DEFAULT 1,
  folder           TEXT    NOT NULL DEFAULT '',
  version          INTEGER NOT NULL DEFAULT 1,
  word_count       INTEGER NOT NULL DEFAULT 0,
  reading_minutes  INTEGER NOT NULL DEFAULT 1,
  body_key         TEXT    REFERENCES blobs (key),
  body_html        TEXT,
  html_key         TEXT    REFERENCES blobs (key),
  outline_json     TEXT,
  summary_hidden   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE document_stats (
  document_id  INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
  views        INTEGER NOT NULL DEFAULT 0,
  helpful_yes  INTEGER NOT NULL DEFAULT 0,
  helpful_no   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE attachments (
  document_id  INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  name         TEXT    NOT NULL,
  blob_key     TEXT    NOT NULL REFERENCES blobs (key),
  PRIMARY KEY (document_id, name)
);

CREATE TABLE document_versions (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  document_id      INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  version          INTEGER NOT NULL,
  blob_key         TEXT    NOT NULL REFERENCES blobs (key),
  source_name      TEXT    NOT NULL,
  kind             TEXT    NOT NULL,
  status           TEXT    NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'extracting', 'ready', 'failed')),
  error            TEXT,
  body_md          TEXT,
  created_by       INTEGER REFERENCES users (id) ON DELETE SET NULL,
  created_at       INTEGER NOT NULL DEFAULT (unixepoch()),
  title            TEXT,
  word_count       INTEGER,
  reading_minutes  INTEGER,
  outline_json     TEXT,
  folder           TEXT    NOT NULL DEFAULT '',
  body_key         TEXT    REFERENCES blobs (key),
  UNIQUE (document_id, version)
);

CREATE TABLE ingest_jobs (
  version_id   INTEGER PRIMARY KEY REFERENCES document_versions (id) ON DELETE CASCADE,
  stage        TEXT    NOT NULL DEFAULT 'extract',
  attempts     INTEGER NOT NULL DEFAULT 0,
  lease_until  INTEGER NOT NULL DEFAULT 0,
  last_error   TEXT,
  updated_at   INTEGER NOT NULL DEFAULT (unixepoch())
);

CREATE TABLE document_tags (
  document_id  INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  tag          TEXT    NOT NULL CHECK (length(tag) BETWEEN 1 AND 40),
  PRIMARY KEY (document_id, tag)
);

CREATE TABLE chunks (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  version_id   INTEGER NOT NULL REFERENCES document_versions (id) ON DELETE CASCADE,
  document_id  INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  -- The version's number: a chunk is searchable only while documents.version equals it.
  version      INTEGER NOT NULL,
  ordinal      INTEGER NOT NULL,
  title        TEXT    NOT NULL,
  -- The heading path, outermost first, joined by ' › ' ('' before the first heading).
  heading      TEXT    NOT NULL,
  anchor       TEXT,
  body         TEXT    NOT NULL,
  words        INTEGER NOT NULL,
  -- 1 once the vector index holds this chunk (id: '<version_id>:<ordinal>').
  embedded     INTEGER NOT NULL DEFAULT 0,
  UNIQUE (version_id, ordinal)
);

CREATE TABLE enrichments (
  document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  -- 'summary', 'topics' or 'related'.
  kind        TEXT    NOT NULL,
  -- What it was made from and by: stale when the live version or the model differs.
  version     INTEGER NOT NULL,
  model       TEXT    NOT NULL,
  input_hash  TEXT    NOT NULL,
  made_at     INTEGER NOT NULL DEFAULT (unixepoch()),
  -- The summary's text; topics and related document ids as JSON arrays.
  body        TEXT    NOT NULL,
  PRIMARY KEY (document_id, kind)
);

CREATE TABLE enrichment_claims (
  document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  kind        TEXT    NOT NULL,
  until       INTEGER NOT NULL,
  failed      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (document_id, kind)
);

-- 4. Copy back, parents first, every column by name.
INSERT INTO documents (id, slug, title, body_md, excerpt, created_at, updated_at, published, folder,
                       version, word_count, reading_minutes, body_key, body_html, html_key,
                       outline_json, summary_hidden)
  SELECT id, slug, title, body_md, excerpt, created_at, updated_at, published, folder,
         version, word_count, reading_minutes, body_key, body_html, html_key,
         outline_json, summary_hidden
  FROM documents_copy;
INSERT INTO document_versions (id, document_id, version, blob_key, source_name, kind, status, error,
                               body_md, created_by, created_at, title, word_count, reading_minutes,
                               outline_json, folder, body_key)
  SELECT id, document_id, version, blob_key, source_name, kind, status, error,
         body_md, created_by, created_at, title, word_count, reading_minutes,
         outline_json, folder, body_key
  FROM document_versions_copy;
INSERT INTO chunks (id, version_id, document_id, version, ordinal, title, heading, anchor, body,
                    words, embedded)
  SELECT id, version_id, document_id, version, ordinal, title, heading, anchor, body,
         words, embedded
  FROM chunks_copy;
INSERT INTO document_stats (document_id, views, helpful_yes, helpful_no)
  SELECT document_id, views, helpful_yes, helpful_no FROM document_stats_copy;
INSERT INTO attachments (document_id, name, blob_key)
  SELECT document_id, name, blob_key FROM attachments_copy;
INSERT INTO document_tags (document_id, tag)
  SELECT document_id, tag FROM document_tags_copy;
INSERT INTO enrichments (document_id, kind, version, model, input_hash, made_at, body)
  SELECT document_id, kind, version, model, input_hash, made_at, body FROM enrichments_copy;
INSERT INTO enrichment_claims (document_id, kind, until, failed)
  SELECT document_id, kind, until, failed FROM enrichment_claims_copy;
INSERT INTO ingest_jobs (version_id, stage, attempts, lease_until, last_error, updated_at)
  SELECT version_id, stage, attempts, lease_until, last_error, updated_at FROM ingest_jobs_copy;

-- 5. Each sequence now holds its table's largest id; ids of deleted rows still named elsewhere
-- lift it further (read defensively: a malformed list names nothing).
INSERT INTO sqlite_sequence (name, seq)
  SELECT t.name, 0 FROM (SELECT 'documents' AS name UNION ALL SELECT 'document_versions'
                         UNION ALL SELECT 'chunks') t
  WHERE t.name NOT IN (SELECT name FROM sqlite_sequence);
UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE(
  (SELECT MAX(j.value) FROM enrichments e,
     json_each(CASE WHEN e.kind = 'related' AND json_valid(e.body) THEN e.body ELSE '[]' END) j
   WHERE j.type = 'integer'), 0))
  WHERE name = 'documents';
UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE(
  (SELECT MAX(CAST(substr(id, 1, instr(id, ':') - 1) AS INTEGER)) FROM vector_garbage), 0))
  WHERE name = 'document_versions';
UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE(
  (SELECT MAX(j.value) FROM ask_answers a,
     json_each(CASE WHEN json_valid(a.chunk_ids) THEN a.chunk_ids ELSE '[]' END) j
   WHERE j.type = 'integer'), 0))
  WHERE name = 'chunks';

-- 6. Indexes, then the triggers that keep the keyword index and vector_garbage following chunks.
CREATE INDEX documents_by_updated ON documents (updated_at DESC, id DESC);
CREATE INDEX documents_by_folder ON documents (folder, updated_at DESC, id DESC);
CREATE INDEX ingest_jobs_by_lease ON ingest_jobs (lease_until);
CREATE INDEX document_tags_by_tag ON document_tags (tag, document_id);
CREATE INDEX chunks_by_document ON chunks (document_id, version);
CREATE INDEX chunks_to_embed ON chunks (version_id) WHERE embedded = 0;

CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
  INSERT INTO chunks_fts (rowid, title, heading, body) VALUES (new.id, new.title, new.heading, new.body);
END;
CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, title, heading, body)
    VALUES ('delete', old.id, old.title, old.heading, old.body);
  INSERT OR IGNORE INTO vector_garbage (id)
    SELECT old.version_id || ':' || old.ordinal WHERE old.embedded = 1;
END;
CREATE TRIGGER chunks_au AFTER UPDATE OF title, heading, body ON chunks BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, title, heading, body)
    VALUES ('delete', old.id, old.title, old.heading, old.body);
  INSERT INTO chunks_fts (rowid, title, heading, body) VALUES (new.id, new.title, new.heading, new.body);
END;

-- 7. Staging tables go.
DROP TABLE documents_copy;
DROP TABLE document_versions_copy;
DROP TABLE chunks_copy;
DROP TABLE document_stats_copy;
DROP TABLE attachments_copy;
DROP TABLE document_tags_copy;
DROP TABLE enrichments_copy;
DROP TABLE enrichment_claims_copy;
DROP TABLE ingest_jobs_copy;
