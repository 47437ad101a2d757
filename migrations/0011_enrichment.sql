-- AI enrichment: summaries, topics and related documents, made in the background by
-- stale-while-revalidate (a page shows what is stored here and schedules the rest). Expand-only.

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

-- Who is making an item now: one claim per (document, kind), a lease until `until`, so 50
-- views of a page with no summary make one, across processes and isolates, and the claim of
-- a crashed or evicted worker lapses. After a failure the claim stays, `failed`, as the item's
-- back-off: until it ends nobody asks the model for that item again.
CREATE TABLE enrichment_claims (
  document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  kind        TEXT    NOT NULL,
  until       INTEGER NOT NULL,
  failed      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (document_id, kind)
);

-- Text-model calls counted per minute ('m:<minute>') and per day ('d:<day>') for the budget.
CREATE TABLE ai_calls (
  bucket TEXT    PRIMARY KEY,
  calls  INTEGER NOT NULL
);

-- The circuit breaker, shared by every process and isolate: consecutive failures, and while
-- `open_until` is in the future no call is made.
CREATE TABLE ai_breaker (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  failures   INTEGER NOT NULL DEFAULT 0,
  open_until INTEGER NOT NULL DEFAULT 0
);
INSERT INTO ai_breaker (id) VALUES (1);

-- An editor may hide a document's summary.
ALTER TABLE documents ADD COLUMN summary_hidden INTEGER NOT NULL DEFAULT 0;
