-- Site-wide switches, read on each request that needs them (so a change reaches every isolate
-- on its next request). `writes_disabled` = '1' makes the site read-only.
CREATE TABLE settings (
  key         TEXT    PRIMARY KEY,
  value       TEXT    NOT NULL,
  updated_at  INTEGER NOT NULL DEFAULT (unixepoch()),
  updated_by  INTEGER REFERENCES users (id) ON DELETE SET NULL
);
