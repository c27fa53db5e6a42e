-- Learned quality is kept per node: each node writes the evidence it
-- observed itself, and routing adds up what every node learned. Rows from
-- before are kept as the evidence of an unnamed node.
ALTER TABLE agent_stats ADD COLUMN node_id TEXT NOT NULL DEFAULT '';
ALTER TABLE agent_stats DROP CONSTRAINT agent_stats_pkey;
ALTER TABLE agent_stats ADD PRIMARY KEY (agent_id, category, node_id);
