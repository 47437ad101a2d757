-- Folio's first schema. SQLite dialect: applied natively at start-up and by
-- `wrangler d1 migrations apply` on D1. Expand/contract only: later files add, never break.

CREATE TABLE documents (
  id          INTEGER PRIMARY KEY,
  slug        TEXT    NOT NULL UNIQUE,
  title       TEXT    NOT NULL,
  body_md     TEXT    NOT NULL,
  excerpt     TEXT    NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL DEFAULT (unixepoch()),
  updated_at  INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX documents_by_updated ON documents (updated_at DESC, id DESC);

-- Counters change on every view; kept apart from the documents they count.
CREATE TABLE document_stats (
  document_id  INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
  views        INTEGER NOT NULL DEFAULT 0,
  helpful_yes  INTEGER NOT NULL DEFAULT 0,
  helpful_no   INTEGER NOT NULL DEFAULT 0
);

-- What each stored blob is. The bytes live in the blob store under the same key.
CREATE TABLE blobs (
  key           TEXT    PRIMARY KEY CHECK (length(key) = 64),
  content_type  TEXT    NOT NULL,
  size          INTEGER NOT NULL CHECK (size >= 0),
  created_at    INTEGER NOT NULL DEFAULT (unixepoch())
);

-- Files a document refers to by name, e.g. ![diagram](hosts.png).
CREATE TABLE attachments (
  document_id  INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  name         TEXT    NOT NULL,
  blob_key     TEXT    NOT NULL REFERENCES blobs (key),
  PRIMARY KEY (document_id, name)
);
