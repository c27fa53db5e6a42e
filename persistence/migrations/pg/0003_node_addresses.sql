-- Where a node's peers reach it (CAF middleman) and its admin HTTP address.
ALTER TABLE nodes ADD COLUMN IF NOT EXISTS address TEXT NOT NULL DEFAULT '';
ALTER TABLE nodes ADD COLUMN IF NOT EXISTS http_address TEXT NOT NULL DEFAULT '';
