-- Ingest stages are named in one place, the domain's `Stage` type, not in a CHECK: search and
-- enrichment add stages (chunk, embed, summarise) without rebuilding this table again.
-- SQLite cannot drop a CHECK in place, so this rebuilds the table once, keeping every job.
CREATE TABLE ingest_jobs_next (
  version_id   INTEGER PRIMARY KEY REFERENCES document_versions (id) ON DELETE CASCADE,
  stage        TEXT    NOT NULL DEFAULT 'extract',
  attempts     INTEGER NOT NULL DEFAULT 0,
  lease_until  INTEGER NOT NULL DEFAULT 0,
  last_error   TEXT,
  updated_at   INTEGER NOT NULL DEFAULT (unixepoch())
);
INSERT INTO ingest_jobs_next (version_id, stage, attempts, lease_until, last_error, updated_at)
  SELECT version_id, stage, attempts, lease_until, last_error, updated_at FROM ingest_jobs;
DROP TABLE ingest_jobs;
ALTER TABLE ingest_jobs_next RENAME TO ingest_jobs;
CREATE INDEX ingest_jobs_by_lease ON ingest_jobs (lease_until);
