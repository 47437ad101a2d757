-- Insights: what readers searched for and asked, and what they thought of answers, so editors
-- see what the documents fail to answer. No row holds a reader's address: a vote's `voter` is
-- a hash of the address and the answer (one vote per reader per answer, not linkable across
-- answers). The sweep forgets every row after 90 days; `INSIGHTS = false` stops collecting.
-- Expand-only.

-- One search: the query as normalised (trimmed, spaces collapsed, lower-case), how many
-- documents it found, and whether a result was opened. `live` rows come from search-as-you-type
-- (the dialog): a reader's next keystroke extends the latest live row rather than adding one.
CREATE TABLE insight_searches (
  id      INTEGER PRIMARY KEY,
  query   TEXT    NOT NULL,
  results INTEGER NOT NULL,
  live    INTEGER NOT NULL DEFAULT 0 CHECK (live IN (0, 1)),
  clicked INTEGER NOT NULL DEFAULT 0 CHECK (clicked IN (0, 1)),
  at      INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX insight_searches_at ON insight_searches (at);
CREATE INDEX insight_searches_query ON insight_searches (query, at);

-- One question asked, as normalised, and whether it was answered "not found".
CREATE TABLE insight_questions (
  id        INTEGER PRIMARY KEY,
  question  TEXT    NOT NULL,
  not_found INTEGER NOT NULL CHECK (not_found IN (0, 1)),
  at        INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX insight_questions_at ON insight_questions (at);

-- 👍/👎 on an answer, with what the reader was shown: the question, the answer and its sources
-- (JSON `[{n, title, heading, url}]`). `answer_id` is a hash of the question and the answer:
-- the same answer to the same question is one thing to vote on.
CREATE TABLE answer_votes (
  answer_id TEXT    NOT NULL CHECK (length(answer_id) = 64),
  voter     TEXT    NOT NULL CHECK (length(voter) = 64),
  helpful   INTEGER NOT NULL CHECK (helpful IN (0, 1)),
  reason    TEXT    CHECK (reason IN ('wrong', 'incomplete', 'off-topic')),
  question  TEXT    NOT NULL,
  answer    TEXT    NOT NULL,
  sources   TEXT    NOT NULL,
  voted_at  INTEGER NOT NULL DEFAULT (unixepoch()),
  PRIMARY KEY (answer_id, voter)
) WITHOUT ROWID;
CREATE INDEX answer_votes_at ON answer_votes (voted_at);
