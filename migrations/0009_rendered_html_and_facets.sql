-- Pages read what publish made once per version instead of rendering on every view.
-- Expand-only: old code ignores the new columns, and a NULL body_html is rendered on demand.

-- The live version's sanitised HTML (or, when too large for a row, its blob) and outline.
ALTER TABLE documents ADD COLUMN body_html TEXT;
ALTER TABLE documents ADD COLUMN html_key TEXT REFERENCES blobs (key);
ALTER TABLE documents ADD COLUMN outline_json TEXT;

-- Folder and tag counts for the browse chips, recounted by every publish and delete (rare)
-- instead of by every view of the home page (often).
CREATE TABLE facets (
  kind   TEXT    NOT NULL CHECK (kind IN ('folder', 'tag')),
  name   TEXT    NOT NULL,
  count  INTEGER NOT NULL,
  PRIMARY KEY (kind, name)
);
INSERT INTO facets (kind, name, count)
  SELECT 'folder', folder, COUNT(*) FROM documents WHERE published = 1 AND folder <> '' GROUP BY folder;
INSERT INTO facets (kind, name, count)
  SELECT 'tag', t.tag, COUNT(*) FROM document_tags t
  JOIN documents d ON d.id = t.document_id AND d.published = 1 GROUP BY t.tag;
