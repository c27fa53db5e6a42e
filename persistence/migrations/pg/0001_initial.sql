-- The HishamOS schema (ARCHITECTURE.md, "Store schema").
CREATE TABLE nodes (
  id               TEXT PRIMARY KEY,
  lease_expires_at TIMESTAMPTZ NOT NULL,
  heartbeat_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  started_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE agents (
  id           TEXT PRIMARY KEY,
  node_id      TEXT,
  department   TEXT NOT NULL DEFAULT '',
  capabilities TEXT[] NOT NULL DEFAULT '{}',
  capacity     INTEGER NOT NULL DEFAULT 1,
  definition   JSONB NOT NULL DEFAULT '{}',
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE command_templates (
  id         TEXT NOT NULL,
  version    INTEGER NOT NULL,
  category   TEXT NOT NULL DEFAULT 'general',
  definition JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (id, version)
);

CREATE TABLE workflows (
  id           TEXT PRIMARY KEY,
  version      INTEGER NOT NULL DEFAULT 1,
  status       TEXT NOT NULL DEFAULT 'active',
  department   TEXT NOT NULL DEFAULT '',
  trigger_type TEXT NOT NULL DEFAULT 'manual',
  definition   JSONB NOT NULL,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE workflow_executions (
  id          TEXT PRIMARY KEY,
  workflow_id TEXT NOT NULL,
  definition  TEXT NOT NULL,
  input       TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('pending', 'running', 'paused',
                                             'completed', 'failed', 'cancelled')),
  owner_node  TEXT,
  epoch       BIGINT NOT NULL DEFAULT 1,
  output      TEXT NOT NULL DEFAULT '',
  error       TEXT NOT NULL DEFAULT '',
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE execution_steps (
  execution_id TEXT NOT NULL REFERENCES workflow_executions (id),
  step_id      TEXT NOT NULL,
  attempt      INTEGER NOT NULL,
  epoch        BIGINT NOT NULL,
  output       BYTEA NOT NULL,
  agent_id     TEXT NOT NULL,
  started_at   BIGINT NOT NULL,
  finished_at  BIGINT NOT NULL,
  committed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (execution_id, step_id)
);

CREATE TABLE task_results (
  id            BIGSERIAL PRIMARY KEY,
  execution_id  TEXT NOT NULL,
  step_id       TEXT NOT NULL,
  agent_id      TEXT NOT NULL,
  quality_score DOUBLE PRECISION,
  cost          NUMERIC(14, 6) NOT NULL DEFAULT 0,
  tokens_in     INTEGER NOT NULL DEFAULT 0,
  tokens_out    INTEGER NOT NULL DEFAULT 0,
  latency_ms    INTEGER NOT NULL DEFAULT 0,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE agent_stats (
  agent_id   TEXT NOT NULL,
  category   TEXT NOT NULL,
  successes  DOUBLE PRECISION NOT NULL DEFAULT 0,
  failures   DOUBLE PRECISION NOT NULL DEFAULT 0,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (agent_id, category)
);

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL DEFAULT 'viewer',
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id         TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users (id),
  key_hash   TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  revoked_at TIMESTAMPTZ
);

CREATE TABLE secrets (
  name       TEXT PRIMARY KEY,
  ciphertext BYTEA NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE audit_logs (
  id         BIGSERIAL PRIMARY KEY,
  user_id    TEXT,
  action     TEXT NOT NULL,
  details    JSONB NOT NULL DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
