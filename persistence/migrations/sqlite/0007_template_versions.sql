-- The version of the command template each result was rendered from.
ALTER TABLE task_results ADD COLUMN template_version INTEGER;
