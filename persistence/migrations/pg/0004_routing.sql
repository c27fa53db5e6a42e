-- Why each result's agent was chosen (the dispatcher's decision, JSON).
ALTER TABLE task_results ADD COLUMN IF NOT EXISTS decision TEXT;
