-- The audit log as a hash chain (persistence/audit_chain.hpp): each row's
-- hash covers the one before; the head keeps the newest. Rows written
-- before this migration stay outside the chain (hash '').
ALTER TABLE audit_logs ADD COLUMN created_at_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_logs ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_logs ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE TABLE audit_chain_head (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  last_id   BIGINT NOT NULL,
  last_hash TEXT NOT NULL
);
INSERT INTO audit_chain_head (id, last_id, last_hash)
  SELECT 1, COALESCE(max(id), 0), '' FROM audit_logs;
CREATE INDEX idx_audit_logs_action_time ON audit_logs (action, created_at_ms);
