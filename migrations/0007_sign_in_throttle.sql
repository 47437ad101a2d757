-- Failed sign-ins per account and per client address, counted in fixed windows. Kept in the
-- database (not in memory) so the limit holds across processes and Worker isolates.
-- `key` is the SHA-256 of "account:<email>" or "address:<ip>": no addresses or typed emails
-- are stored in the clear. Rows older than a window are deleted as new failures arrive.
CREATE TABLE sign_in_failures (
  key           TEXT    PRIMARY KEY,
  failures      INTEGER NOT NULL,
  window_start  INTEGER NOT NULL
);
