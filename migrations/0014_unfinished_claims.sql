-- Claims of an ingest job that did not come back with an outcome (the process died, the
-- isolate was evicted, a converter aborted). A job claimed again after 3 such claims is set
-- aside (quarantined) instead of taking the host down once more.
ALTER TABLE ingest_jobs ADD COLUMN unfinished INTEGER NOT NULL DEFAULT 0;
