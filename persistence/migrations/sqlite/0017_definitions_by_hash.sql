-- Each distinct execution definition kept once, under its SHA-256
-- (store.definitions_by_hash): an execution row then carries the hash
-- and an empty `definition` instead of its workflow's whole text. Rows
-- are never deleted while an execution refers to them; a missing one is
-- named on read.
CREATE TABLE IF NOT EXISTS execution_definitions (
  hash       TEXT PRIMARY KEY,
  definition TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
-- NULL = the definition is in the row, as releases before this one wrote
-- and read it.
ALTER TABLE workflow_executions ADD COLUMN definition_hash TEXT;
