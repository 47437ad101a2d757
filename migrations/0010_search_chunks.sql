-- Search: each version's heading-aware chunks (written by the `index` stage), a keyword index
-- over them, and the vector ids the vector index still has to forget. Expand-only.

CREATE TABLE chunks (
  id           INTEGER PRIMARY KEY,
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
CREATE INDEX chunks_by_document ON chunks (document_id, version);
CREATE INDEX chunks_to_embed ON chunks (version_id) WHERE embedded = 0;

-- Derived data: `INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild')` remakes it from chunks
-- (wrangler d1 export refuses a database holding it; see the README).
CREATE VIRTUAL TABLE chunks_fts USING fts5 (
  title, heading, body,
  content = 'chunks', content_rowid = 'id',
  tokenize = 'porter unicode61 remove_diacritics 2'
);

-- FTS5's own `rank` is bm25 with title and headings weighted over the body (search ranks
-- inside the index before joining). Stored in the index's config: a rebuild keeps it.
INSERT INTO chunks_fts (chunks_fts, rank) VALUES ('rank', 'bm25(8.0, 4.0, 1.0)');

-- Vector ids of deleted chunks, until the vector index has dropped them.
CREATE TABLE vector_garbage (
  id TEXT PRIMARY KEY
);

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

-- Backfill: every live version is chunked and indexed by its own job, once, by the next sweep.
INSERT OR IGNORE INTO ingest_jobs (version_id, stage)
  SELECT v.id, 'index' FROM documents d
  JOIN document_versions v ON v.document_id = d.id AND v.version = d.version
  WHERE d.published = 1;

-- The indexed words and how often they occur: where "showing results for …" finds corrections.
CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab (chunks_fts, 'row');
