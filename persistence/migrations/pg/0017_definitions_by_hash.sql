-- Each distinct execution definition kept once, under its SHA-256
-- (store.definitions_by_hash): an execution row then carries the hash
-- and an empty `definition` instead of its workflow's whole text (about
-- 1 KB per execution, written at insert and again when the row moves to
-- another page). Rows are never deleted while an execution refers to
-- them; there is no foreign key, whose check would lock the one shared
-- row on every insert: a missing definition is named on read.
CREATE TABLE IF NOT EXISTS execution_definitions (
  hash       TEXT PRIMARY KEY,
  definition TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- NULL = the definition is in the row, as releases before this one wrote
-- and read it.
ALTER TABLE workflow_executions ADD COLUMN IF NOT EXISTS definition_hash TEXT;
