-- Ask: answers to readers' questions, kept so the same question is answered from storage.
-- Expand-only.

-- One answer per normalised question and filters (`key`) and model. `chunk_ids` are the
-- passages it was built from: a reader is only given it while every one of them is still in
-- its document's live version, so an answer goes as soon as a passage changes or disappears.
CREATE TABLE ask_answers (
  key        TEXT    NOT NULL PRIMARY KEY,
  model      TEXT    NOT NULL,
  answer     TEXT    NOT NULL,
  -- The sources as the reader saw them (JSON), numbered as the answer cites them.
  sources    TEXT    NOT NULL,
  chunk_ids  TEXT    NOT NULL,
  made_at    INTEGER NOT NULL DEFAULT (unixepoch())
);

-- Who is answering a question now: a lease, so concurrent identical questions (across
-- processes and isolates) share one generation, and a claim whose asker vanished lapses.
CREATE TABLE ask_claims (
  key   TEXT    NOT NULL PRIMARY KEY,
  until INTEGER NOT NULL
);
