-- The W3C trace context an execution runs in: its own span's traceparent
-- and the span that started it ("" = none), so that its steps and provider
-- calls join the caller's trace on whichever node resumes it.
ALTER TABLE workflow_executions
  ADD COLUMN IF NOT EXISTS trace_context TEXT NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS trace_parent_span TEXT NOT NULL DEFAULT '';
