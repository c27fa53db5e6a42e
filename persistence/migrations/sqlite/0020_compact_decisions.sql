-- What the store says its nodes write, as 0018: compact_decisions, each
-- routing decision of the cost ledger in its compact form (an array of
-- values without their keys, model::write_compact_json). Off in a store
-- made before this migration (a file an earlier release may open again);
-- on in a store this release makes from nothing, and after
-- `hishamos db finalize`.
ALTER TABLE store_identity
  ADD COLUMN compact_decisions INTEGER NOT NULL DEFAULT 0;
