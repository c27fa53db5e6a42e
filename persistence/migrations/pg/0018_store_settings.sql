-- What the store says its nodes write, unless a node's own configuration
-- says otherwise. definitions_by_hash: each distinct execution definition
-- kept once (0017). Off in a store made before this migration, which nodes
-- of an earlier release may share; on in a store this release makes from
-- nothing (the migrator sets it then: no earlier release ever ran on it).
ALTER TABLE store_identity
  ADD COLUMN IF NOT EXISTS definitions_by_hash BOOLEAN NOT NULL DEFAULT FALSE;
