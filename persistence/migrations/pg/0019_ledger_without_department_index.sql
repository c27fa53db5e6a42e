-- No query reads the ledger by department alone: budgets and the cost
-- API sum a department's spend over a range of created_at, which
-- idx_task_results_created_agent_quality serves, and no filter names a
-- department. The index cost every step an entry (71 of the 1,700 WAL
-- bytes of bench_step_throughput's step) and was never the best plan.
DROP INDEX IF EXISTS idx_task_results_department_created;
