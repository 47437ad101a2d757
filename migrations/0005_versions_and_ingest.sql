-- Uploaded content: every upload of a document is an immutable version; a durable job takes
-- each version through ingest (extract → publish). Expand-only: readers' queries keep working.

-- Documents created by an upload stay unpublished until their first version is ready.
ALTER TABLE documents ADD COLUMN published INTEGER NOT NULL DEFAULT 1;

CREATE TABLE document_versions (
  id           INTEGER PRIMARY KEY,
  document_id  INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  version      INTEGER NOT NULL,
  blob_key     TEXT    NOT NULL REFERENCES blobs (key),
  source_name  TEXT    NOT NULL,
  kind         TEXT    NOT NULL,
  status       TEXT    NOT NULL DEFAULT 'queued'
               CHECK (status IN ('queued', 'extracting', 'ready', 'failed')),
  error        TEXT,
  body_md      TEXT,
  created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
  created_at   INTEGER NOT NULL DEFAULT (unixepoch()),
  UNIQUE (document_id, version)
);

-- One row per version still being ingested. A worker leases a job before running a stage; a
-- crash or an evicted isolate leaves an expired lease, and the next sweep picks the job up.
CREATE TABLE ingest_jobs (
  version_id   INTEGER PRIMARY KEY REFERENCES document_versions (id) ON DELETE CASCADE,
  stage        TEXT    NOT NULL DEFAULT 'extract' CHECK (stage IN ('extract', 'publish')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  lease_until  INTEGER NOT NULL DEFAULT 0,
  last_error   TEXT,
  updated_at   INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX ingest_jobs_by_lease ON ingest_jobs (lease_until);
