-- A checksum beside each checkpoint, verified on every read
-- (checkpoint_codec.hpp); rows written before this migration have none
-- and are checked by decoding alone.
ALTER TABLE execution_steps ADD COLUMN checksum TEXT;
-- The store's identity, made once with the schema: a node that saw this
-- store refuses to start on another one (or on an empty one) in its place.
CREATE TABLE store_identity (
  only_row   INTEGER PRIMARY KEY CHECK (only_row = 1),
  id         TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
INSERT INTO store_identity (only_row, id, created_at)
  VALUES (1, lower(hex(randomblob(16))), CAST(strftime('%s', 'now') AS INTEGER) * 1000);
