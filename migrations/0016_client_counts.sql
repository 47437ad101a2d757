-- Per-client counts of searches and questions, in fixed windows (domain::site::limits).
-- Used where many isolates serve one site (Workers); the native host counts in memory.
-- `bucket` is `<action>:<hashed client>:<window number>`; `until` is when the window ends,
-- for the sweep to forget it.
CREATE TABLE client_calls (
  bucket TEXT PRIMARY KEY,
  calls INTEGER NOT NULL,
  until INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX client_calls_until ON client_calls (until);
