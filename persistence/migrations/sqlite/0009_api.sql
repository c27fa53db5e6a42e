-- The REST API: executions named by their client (an idempotency key),
-- listed by state, department and time; workflows versioned in the store.
ALTER TABLE workflow_executions ADD COLUMN idempotency_key TEXT;
ALTER TABLE workflow_executions
  ADD COLUMN workflow_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE workflow_executions ADD COLUMN department TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX idx_executions_idempotency_key
  ON workflow_executions (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX idx_executions_created ON workflow_executions (created_at);
CREATE INDEX idx_executions_state_created
  ON workflow_executions (state, created_at);

ALTER TABLE workflows ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE workflows ADD COLUMN latest_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE workflows ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE workflows SET latest_version = version, updated_at = created_at;

CREATE TABLE workflow_versions (
  workflow_id TEXT NOT NULL,
  version     INTEGER NOT NULL,
  definition  TEXT NOT NULL,
  source      TEXT NOT NULL DEFAULT 'api',
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (workflow_id, version)
);
INSERT INTO workflow_versions (workflow_id, version, definition, source,
                               created_at)
  SELECT id, version, definition, 'catalog', created_at FROM workflows;

CREATE TABLE command_templates (
  id         TEXT NOT NULL,
  version    INTEGER NOT NULL,
  name       TEXT NOT NULL DEFAULT '',
  category   TEXT NOT NULL DEFAULT 'general',
  definition TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (id, version)
);
