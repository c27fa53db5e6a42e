-- Executions and their step checkpoints (mirrors the PostgreSQL schema).
CREATE TABLE workflow_executions (
  id            TEXT PRIMARY KEY,
  workflow_name TEXT NOT NULL,
  definition    TEXT NOT NULL,
  input         TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('pending', 'running', 'paused',
                                               'completed', 'failed', 'cancelled')),
  owner_node    TEXT,
  epoch         INTEGER NOT NULL DEFAULT 1,
  output        TEXT,
  error         TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX idx_executions_workflow_state_created
  ON workflow_executions (workflow_name, state, created_at);
CREATE INDEX idx_executions_unfinished
  ON workflow_executions (state) WHERE state IN ('pending', 'running', 'paused');

CREATE TABLE execution_steps (
  execution_id TEXT NOT NULL REFERENCES workflow_executions (id),
  step_id      TEXT NOT NULL,
  attempt      INTEGER NOT NULL,
  epoch        INTEGER NOT NULL,
  output       BLOB NOT NULL,
  agent_id     TEXT NOT NULL,
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER NOT NULL,
  PRIMARY KEY (execution_id, step_id)
);
