-- The cost ledger: what each call saved through caches, which provider
-- and model answered, and the workflow and department it is rolled up
-- and budgeted under.
ALTER TABLE task_results ADD COLUMN tokens_cached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE task_results ADD COLUMN cost_avoided REAL NOT NULL DEFAULT 0;
ALTER TABLE task_results ADD COLUMN provider TEXT NOT NULL DEFAULT '';
ALTER TABLE task_results ADD COLUMN model TEXT NOT NULL DEFAULT '';
ALTER TABLE task_results ADD COLUMN workflow TEXT NOT NULL DEFAULT '';
ALTER TABLE task_results ADD COLUMN department TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS idx_task_results_workflow_created
  ON task_results (workflow, created_at);
CREATE INDEX IF NOT EXISTS idx_task_results_department_created
  ON task_results (department, created_at);
-- What a person approved beyond its budgets: the execution runs on until
-- its own spend reaches this (USD); 0 = nothing approved.
ALTER TABLE workflow_executions
  ADD COLUMN budget_approved_until REAL NOT NULL DEFAULT 0;
-- What each finished step's call cost, with its checkpoint: an execution
-- resumed elsewhere knows what it has spent.
ALTER TABLE execution_steps ADD COLUMN cost REAL NOT NULL DEFAULT 0;
-- One execution's lines: its roll-up and the decisions of its steps.
CREATE INDEX IF NOT EXISTS idx_task_results_execution_step
  ON task_results (execution_id, step_id);
