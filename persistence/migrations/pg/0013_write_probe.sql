-- What /ready writes to learn whether the store takes writes: a counter, so
-- that every probe changes the row.
ALTER TABLE store_identity ADD COLUMN IF NOT EXISTS probes BIGINT NOT NULL DEFAULT 0;
