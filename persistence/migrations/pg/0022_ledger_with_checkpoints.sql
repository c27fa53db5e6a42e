-- hishamos:no-transaction (the new indexes are built concurrently: a large store stays writable)
-- A step's line in the cost ledger kept in its checkpoint's row: one row
-- a step instead of two (the ledger row's header, its key and its copies
-- of the execution, step, agent, cost and latency, about 500 of the 1,380
-- WAL bytes of bench_step_throughput's step). A row has a line when
-- line_at, the line's created_at, is set. Rows of steps checkpointed
-- before, lines without a checkpoint and the lines of a store whose nodes
-- still write task_results (store_identity.ledger_with_checkpoints off)
-- stay in task_results. Every reader reads both, through ledger_lines.
ALTER TABLE execution_steps
  ADD COLUMN IF NOT EXISTS line_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS quality_score DOUBLE PRECISION,
  ADD COLUMN IF NOT EXISTS tokens_in INTEGER,
  ADD COLUMN IF NOT EXISTS tokens_out INTEGER,
  ADD COLUMN IF NOT EXISTS decision TEXT,
  ADD COLUMN IF NOT EXISTS template_version INTEGER,
  ADD COLUMN IF NOT EXISTS tokens_cached INTEGER,
  ADD COLUMN IF NOT EXISTS cost_avoided NUMERIC(14, 6),
  ADD COLUMN IF NOT EXISTS provider TEXT,
  ADD COLUMN IF NOT EXISTS model TEXT,
  ADD COLUMN IF NOT EXISTS workflow TEXT,
  ADD COLUMN IF NOT EXISTS department TEXT;
-- The ledger's two report indexes, for the lines kept with checkpoints:
-- budgets sum a workflow's spend since a period start, and the cost and
-- agent reports read a range of created_at.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_execution_steps_line_workflow
  ON execution_steps (workflow, line_at) WHERE line_at IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_execution_steps_line_agent_quality
  ON execution_steps (line_at, agent_id, quality_score)
  WHERE line_at IS NOT NULL;
-- The whole ledger. line_id orders the lines of task_results among
-- themselves (NULL for a line kept with its checkpoint, of which a step
-- has one).
CREATE OR REPLACE VIEW ledger_lines AS
  SELECT execution_id, step_id, agent_id, quality_score, cost, tokens_in,
    tokens_out, latency_ms, created_at, decision, template_version,
    tokens_cached, cost_avoided, provider, model, workflow, department,
    id AS line_id
  FROM task_results
  UNION ALL
  SELECT execution_id, step_id, agent_id, quality_score, cost, tokens_in,
    tokens_out, (finished_at - started_at)::integer, line_at, decision,
    template_version, tokens_cached, cost_avoided, provider, model,
    workflow, department, NULL::bigint
  FROM execution_steps WHERE line_at IS NOT NULL;
-- What the store says its nodes write, as 0018: ledger_with_checkpoints,
-- each step's ledger line in its checkpoint's row. Off in a store made
-- before this migration, whose nodes of an earlier release read only
-- task_results. On in a store this release makes from nothing, and
-- after `hishamos db finalize`.
ALTER TABLE store_identity
  ADD COLUMN IF NOT EXISTS ledger_with_checkpoints BOOLEAN NOT NULL
  DEFAULT FALSE;
