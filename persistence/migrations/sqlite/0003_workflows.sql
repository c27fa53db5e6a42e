-- Catalog workflows, for the workflow list with execution statistics.
CREATE TABLE workflows (
  id           TEXT PRIMARY KEY,
  version      INTEGER NOT NULL DEFAULT 1,
  status       TEXT NOT NULL DEFAULT 'active',
  department   TEXT NOT NULL DEFAULT '',
  trigger_type TEXT NOT NULL DEFAULT 'manual',
  definition   TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX idx_workflows_active_department_created
  ON workflows (department, created_at) WHERE status = 'active';
