-- Secrets at rest, encrypted (security/secret_box.hpp): the value under a
-- data key of its own, the data key wrapped by a key-encryption key named
-- by kek_id. The table of 0001 with this name was never used.
DROP TABLE IF EXISTS secrets;
CREATE TABLE secrets (
  name          TEXT PRIMARY KEY,
  kek_id        TEXT NOT NULL,
  wrapped_key   TEXT NOT NULL,
  ciphertext    TEXT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
