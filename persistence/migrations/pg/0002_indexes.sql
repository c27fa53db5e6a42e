-- hishamos:no-transaction (CREATE INDEX CONCURRENTLY cannot run in a transaction)
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_executions_workflow_state_created
  ON workflow_executions (workflow_id, state, created_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_executions_unfinished_owner
  ON workflow_executions (owner_node) WHERE state IN ('pending', 'running', 'paused');
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_task_results_created_agent_quality
  ON task_results (created_at, agent_id, quality_score);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_audit_logs_user_created_action
  ON audit_logs (user_id, created_at, action);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_workflows_active_department_created
  ON workflows (department, created_at) WHERE status = 'active';
