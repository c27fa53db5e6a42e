-- Learned quality per (agent, command category), and why each result's
-- agent was chosen.
CREATE TABLE agent_stats (
  agent_id   TEXT NOT NULL,
  category   TEXT NOT NULL,
  successes  REAL NOT NULL DEFAULT 0,
  failures   REAL NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (agent_id, category)
);
ALTER TABLE task_results ADD COLUMN decision TEXT;
