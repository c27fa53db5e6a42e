-- Who may use the API: people, their API keys and sessions, the keys that
-- sign access tokens, and one rating per person and result. The tables of
-- 0001 with these names were never used; they are replaced.
DROP TABLE IF EXISTS api_keys;
DROP TABLE IF EXISTS users;

CREATE TABLE users (
  id              TEXT PRIMARY KEY,
  username        TEXT NOT NULL UNIQUE,
  password_hash   TEXT NOT NULL,
  role            TEXT NOT NULL,
  disabled        BOOLEAN NOT NULL DEFAULT false,
  totp_secret     TEXT NOT NULL DEFAULT '',
  totp_confirmed  BOOLEAN NOT NULL DEFAULT false,
  totp_last_step  BIGINT NOT NULL DEFAULT 0,
  failed_logins   INTEGER NOT NULL DEFAULT 0,
  locked_until_ms BIGINT NOT NULL DEFAULT 0,
  created_at_ms   BIGINT NOT NULL
);

CREATE TABLE api_keys (
  id            TEXT PRIMARY KEY,
  prefix        TEXT NOT NULL UNIQUE,
  key_hash      TEXT NOT NULL,
  user_id       TEXT NOT NULL,
  name          TEXT NOT NULL DEFAULT '',
  role          TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL DEFAULT 0,
  last_used_ms  BIGINT NOT NULL DEFAULT 0,
  revoked_at_ms BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE refresh_tokens (
  token_hash    TEXT PRIMARY KEY,
  family        TEXT NOT NULL,
  user_id       TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  used_at_ms    BIGINT NOT NULL DEFAULT 0,
  revoked_at_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX idx_refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX idx_refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE signing_keys (
  kid           TEXT PRIMARY KEY,
  secret        TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL
);

CREATE TABLE result_ratings (
  execution_id TEXT NOT NULL,
  step_id      TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  score        DOUBLE PRECISION NOT NULL,
  rated_at_ms  BIGINT NOT NULL,
  PRIMARY KEY (execution_id, step_id, user_id)
);
