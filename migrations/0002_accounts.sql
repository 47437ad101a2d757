-- Editors and admins, and their sessions. Readers are anonymous and have no row.

CREATE TABLE users (
  id             INTEGER PRIMARY KEY,
  email          TEXT    NOT NULL UNIQUE,
  -- PHC string: names its algorithm ($argon2id$… natively, $pbkdf2-sha256$… on Workers).
  password_hash  TEXT    NOT NULL,
  role           TEXT    NOT NULL CHECK (role IN ('editor', 'admin')),
  created_at     INTEGER NOT NULL DEFAULT (unixepoch())
);

-- The cookie holds a random token; only its SHA-256 is stored, so a leaked table signs no one in.
CREATE TABLE sessions (
  token_hash  TEXT    PRIMARY KEY CHECK (length(token_hash) = 64),
  user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at  INTEGER NOT NULL DEFAULT (unixepoch()),
  expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
