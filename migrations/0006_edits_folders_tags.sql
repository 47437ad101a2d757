-- Browsing by folder and tag, and what ingest derives for each version. Expand-only: every
-- column has a default, so code from the previous release keeps reading and writing.

-- Derived by the publish stage and kept per version (chunking and embedding will use them).
ALTER TABLE document_versions ADD COLUMN title TEXT;
ALTER TABLE document_versions ADD COLUMN word_count INTEGER;
ALTER TABLE document_versions ADD COLUMN reading_minutes INTEGER;
ALTER TABLE document_versions ADD COLUMN outline_json TEXT;
-- Where the upload put it ('' = top level, else `a/b`), from the upload's `folder` field.
ALTER TABLE document_versions ADD COLUMN folder TEXT NOT NULL DEFAULT '';

-- The live version's numbers, copied on publish so listings need no join.
ALTER TABLE documents ADD COLUMN folder TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE documents ADD COLUMN word_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE documents ADD COLUMN reading_minutes INTEGER NOT NULL DEFAULT 1;
CREATE INDEX documents_by_folder ON documents (folder, updated_at DESC, id DESC);

-- Tags of the live version (from its front matter), replaced on each publish.
CREATE TABLE document_tags (
  document_id  INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  tag          TEXT    NOT NULL CHECK (length(tag) BETWEEN 1 AND 40),
  PRIMARY KEY (document_id, tag)
);
CREATE INDEX document_tags_by_tag ON document_tags (tag, document_id);

-- Markdown too large for a database row (D1 caps a row at 2 MB) is stored as a blob instead;
-- exactly one of body_md / body_key is used.
ALTER TABLE document_versions ADD COLUMN body_key TEXT REFERENCES blobs (key);
ALTER TABLE documents ADD COLUMN body_key TEXT REFERENCES blobs (key);
