-- Learned quality per node (see the PostgreSQL migration); SQLite cannot
-- change a primary key, so the table is rebuilt with the rows kept.
CREATE TABLE agent_stats_per_node (
  agent_id   TEXT NOT NULL,
  category   TEXT NOT NULL,
  node_id    TEXT NOT NULL DEFAULT '',
  successes  REAL NOT NULL DEFAULT 0,
  failures   REAL NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (agent_id, category, node_id)
);
INSERT INTO agent_stats_per_node (agent_id, category, successes, failures,
                                  updated_at)
  SELECT agent_id, category, successes, failures, updated_at FROM agent_stats;
DROP TABLE agent_stats;
ALTER TABLE agent_stats_per_node RENAME TO agent_stats;
