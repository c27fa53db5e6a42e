-- A step's line in the cost ledger kept in its checkpoint's row: one row
-- a step instead of two (the ledger row, its key, its index by execution
-- and step, and its AUTOINCREMENT counter). A row has a line when
-- line_at, the line's created_at (ms), is set. Rows of steps checkpointed
-- before, lines without a checkpoint and the lines of a store whose nodes
-- still write task_results (store_identity.ledger_with_checkpoints off)
-- stay in task_results. Every reader reads both, through ledger_lines.
ALTER TABLE execution_steps ADD COLUMN line_at INTEGER;
ALTER TABLE execution_steps ADD COLUMN quality_score REAL;
ALTER TABLE execution_steps ADD COLUMN tokens_in INTEGER;
ALTER TABLE execution_steps ADD COLUMN tokens_out INTEGER;
ALTER TABLE execution_steps ADD COLUMN decision TEXT;
ALTER TABLE execution_steps ADD COLUMN template_version INTEGER;
ALTER TABLE execution_steps ADD COLUMN tokens_cached INTEGER;
ALTER TABLE execution_steps ADD COLUMN cost_avoided REAL;
ALTER TABLE execution_steps ADD COLUMN provider TEXT;
ALTER TABLE execution_steps ADD COLUMN model TEXT;
ALTER TABLE execution_steps ADD COLUMN workflow TEXT;
ALTER TABLE execution_steps ADD COLUMN department TEXT;
-- The ledger's two report indexes, for the lines kept with checkpoints:
-- budgets sum a workflow's spend since a period start, and the cost and
-- agent reports read a range of created_at.
CREATE INDEX IF NOT EXISTS idx_execution_steps_line_workflow
  ON execution_steps (workflow, line_at) WHERE line_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_execution_steps_line_agent_quality
  ON execution_steps (line_at, agent_id, quality_score)
  WHERE line_at IS NOT NULL;
-- The whole ledger. line_id orders the lines of task_results among
-- themselves (NULL for a line kept with its checkpoint, of which a step
-- has one).
CREATE VIEW IF NOT EXISTS ledger_lines AS
  SELECT execution_id, step_id, agent_id, quality_score, cost, tokens_in,
    tokens_out, latency_ms, created_at, decision, template_version,
    tokens_cached, cost_avoided, provider, model, workflow, department,
    id AS line_id
  FROM task_results
  UNION ALL
  SELECT execution_id, step_id, agent_id, quality_score, cost, tokens_in,
    tokens_out, finished_at - started_at, line_at, decision,
    template_version, tokens_cached, cost_avoided, provider, model,
    workflow, department, NULL
  FROM execution_steps WHERE line_at IS NOT NULL;
-- What the store says its nodes write, as 0018: ledger_with_checkpoints,
-- each step's ledger line in its checkpoint's row. Off in a store made
-- before this migration (a file an earlier release may open again); on
-- in a store this release makes from nothing, and after
-- `hishamos db finalize`.
ALTER TABLE store_identity
  ADD COLUMN ledger_with_checkpoints INTEGER NOT NULL DEFAULT 0;
