-- The version of the command template each result was rendered from.
ALTER TABLE task_results ADD COLUMN IF NOT EXISTS template_version INTEGER;
