-- The history of an execution's attempts, beyond the one that succeeded
-- (that one is its checkpoint): every attempt that ended without a result
-- (failed, timed out, given up at a cancel), written in the transaction of
-- the execution's next checkpoint or state change, so it is as durable as
-- they are; and every change of owner (a restart, a takeover, a retry),
-- written in the transaction that bumped the epoch.
CREATE TABLE step_attempts (
  execution_id TEXT NOT NULL REFERENCES workflow_executions (id),
  step_id      TEXT NOT NULL,
  epoch        INTEGER NOT NULL,
  attempt      INTEGER NOT NULL,
  node_id      TEXT NOT NULL,
  agent_id     TEXT NOT NULL,
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER NOT NULL,
  outcome      TEXT NOT NULL,
  error        TEXT NOT NULL,
  PRIMARY KEY (execution_id, step_id, epoch, attempt)
);

CREATE TABLE execution_owners (
  execution_id  TEXT NOT NULL REFERENCES workflow_executions (id),
  epoch         INTEGER NOT NULL,
  node_id       TEXT NOT NULL,
  previous_node TEXT NOT NULL,
  reason        TEXT NOT NULL,
  at_ms         INTEGER NOT NULL,
  PRIMARY KEY (execution_id, epoch)
);
