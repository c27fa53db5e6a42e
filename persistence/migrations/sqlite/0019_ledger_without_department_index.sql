-- No query reads the ledger by department alone: budgets and the cost
-- API sum a department's spend over a range of created_at, which
-- idx_task_results_created_agent_quality serves, and no filter names a
-- department. The index cost every step an entry.
DROP INDEX IF EXISTS idx_task_results_department_created;
