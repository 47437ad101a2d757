-- Site-wide leases: one row per piece of housekeeping that only one process or isolate should
-- run at a time. `sweep` spaces the after-response sweep where no cron runs it (Cloudflare
-- Pages): an isolate that claims it (its `until` has passed) sweeps; the row is not released,
-- so the next sweep waits until `until`. Expand-only.
CREATE TABLE site_leases (
  name  TEXT    NOT NULL PRIMARY KEY,
  until INTEGER NOT NULL
) WITHOUT ROWID;
