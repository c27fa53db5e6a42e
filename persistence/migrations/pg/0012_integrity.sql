-- A checksum beside each checkpoint, verified on every read
-- (checkpoint_codec.hpp); rows written before this migration have none
-- and are checked by decoding alone.
ALTER TABLE execution_steps ADD COLUMN IF NOT EXISTS checksum TEXT;
-- The store's identity, made once with the schema: a node that saw this
-- store refuses to start on another one (or on an empty one) in its place.
CREATE TABLE IF NOT EXISTS store_identity (
  only_row   BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
  id         TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO store_identity (id) VALUES (gen_random_uuid()::text)
  ON CONFLICT DO NOTHING;
