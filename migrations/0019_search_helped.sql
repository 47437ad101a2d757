-- "Did this help?" on a result opened from the search dialog: the reader's answer is kept on
-- the search it came from (the latest clicked-through search for that query within the hour),
-- NULL until they say. Expand-only.
ALTER TABLE insight_searches ADD COLUMN helped INTEGER CHECK (helped IN (0, 1));
