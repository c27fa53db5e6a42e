-- What /ready writes to learn whether the store takes writes: a counter, so
-- that every probe changes the row (SQLite skips writing a row rewritten
-- with the same bytes, which would probe nothing).
ALTER TABLE store_identity ADD COLUMN probes INTEGER NOT NULL DEFAULT 0;
