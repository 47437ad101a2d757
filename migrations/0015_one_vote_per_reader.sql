-- One "helpful?" vote per reader per document: a reader who votes again changes their vote,
-- never adds one. `voter` is a hash of the reader's address (the address is never stored).
-- The triggers keep document_stats' totals, so earlier (anonymous) votes keep counting and a
-- repeated identical vote writes nothing (kept pages stay kept).
CREATE TABLE document_votes (
  document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  voter       TEXT    NOT NULL CHECK (length(voter) = 64),
  helpful     INTEGER NOT NULL CHECK (helpful IN (0, 1)),
  voted_at    INTEGER NOT NULL DEFAULT (unixepoch()),
  PRIMARY KEY (document_id, voter)
);

CREATE TRIGGER document_votes_ai AFTER INSERT ON document_votes BEGIN
  INSERT INTO document_stats (document_id, helpful_yes, helpful_no)
    VALUES (new.document_id, new.helpful, 1 - new.helpful)
    ON CONFLICT (document_id) DO UPDATE SET
      helpful_yes = helpful_yes + excluded.helpful_yes,
      helpful_no = helpful_no + excluded.helpful_no;
END;

CREATE TRIGGER document_votes_au AFTER UPDATE OF helpful ON document_votes
WHEN old.helpful <> new.helpful BEGIN
  UPDATE document_stats SET
    helpful_yes = max(0, helpful_yes + new.helpful - old.helpful),
    helpful_no = max(0, helpful_no + old.helpful - new.helpful)
  WHERE document_id = new.document_id;
END;
