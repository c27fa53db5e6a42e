-- Append-only results of every step attempt that produced output.
CREATE TABLE task_results (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  execution_id  TEXT NOT NULL,
  step_id       TEXT NOT NULL,
  agent_id      TEXT NOT NULL,
  quality_score REAL,
  cost          REAL NOT NULL DEFAULT 0,
  tokens_in     INTEGER NOT NULL DEFAULT 0,
  tokens_out    INTEGER NOT NULL DEFAULT 0,
  latency_ms    INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL
);
CREATE INDEX idx_task_results_created_agent_quality
  ON task_results (created_at, agent_id, quality_score);
