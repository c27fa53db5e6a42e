-- Append-only audit events (mirrors the PostgreSQL audit_logs table).
CREATE TABLE audit_logs (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id    TEXT,
  action     TEXT NOT NULL,
  details    TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);
CREATE INDEX idx_audit_logs_user_created_action
  ON audit_logs (user_id, created_at, action);
