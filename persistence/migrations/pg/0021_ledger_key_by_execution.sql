-- hishamos:no-transaction (the key's index is built concurrently: a large ledger stays writable)
-- The ledger's primary key becomes (execution_id, step_id, id): every
-- query finds lines by execution and step, and the key by id alone was a
-- second index each line paid for (54 of the 1,430 WAL bytes of
-- bench_step_throughput's step). idx_task_results_execution_step, now the
-- key's prefix, goes. The statements may run again after an interruption
-- and leave the same. A node of an earlier release still rates a result
-- by id alone, which then reads the ledger whole: rate results after the
-- upgrade, not during it.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS task_results_key
  ON task_results (execution_id, step_id, id);
ALTER TABLE task_results DROP CONSTRAINT task_results_pkey,
  ADD CONSTRAINT task_results_pkey PRIMARY KEY USING INDEX task_results_key;
DROP INDEX CONCURRENTLY IF EXISTS idx_task_results_execution_step;
