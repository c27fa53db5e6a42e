-- The REST API: executions named by their client (an idempotency key),
-- listed by state, department and time; workflows versioned in the store.
ALTER TABLE workflow_executions
  ADD COLUMN IF NOT EXISTS idempotency_key TEXT,
  ADD COLUMN IF NOT EXISTS workflow_version INTEGER NOT NULL DEFAULT 1,
  ADD COLUMN IF NOT EXISTS department TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX IF NOT EXISTS idx_executions_idempotency_key
  ON workflow_executions (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_executions_created
  ON workflow_executions (created_at);
CREATE INDEX IF NOT EXISTS idx_executions_state_created
  ON workflow_executions (state, created_at);

ALTER TABLE workflows
  ADD COLUMN IF NOT EXISTS description TEXT NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS latest_version INTEGER NOT NULL DEFAULT 1,
  ADD COLUMN IF NOT EXISTS updated_at TIMESTAMPTZ NOT NULL DEFAULT now();
UPDATE workflows SET latest_version = version;

-- Every version of every workflow; workflows.version is the active one.
CREATE TABLE IF NOT EXISTS workflow_versions (
  workflow_id TEXT NOT NULL,
  version     INTEGER NOT NULL,
  definition  TEXT NOT NULL,
  source      TEXT NOT NULL DEFAULT 'api',  -- api | catalog
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, version)
);
INSERT INTO workflow_versions (workflow_id, version, definition, source)
  SELECT id, version, definition::text, 'catalog' FROM workflows
  ON CONFLICT DO NOTHING;

-- Command templates by version, seeded from the catalog.
ALTER TABLE command_templates
  ADD COLUMN IF NOT EXISTS name TEXT NOT NULL DEFAULT '';
