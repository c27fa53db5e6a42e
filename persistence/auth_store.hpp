#pragma once

// Role: who may use the API. People (users with an argon2id password hash,
// a role and an optional TOTP secret), their API keys (SHA-256 hashes found
// by a public prefix), the refresh tokens of their sessions (hashes, in
// families that a reused token revokes whole), the keys access tokens are
// signed with, and the one rating each person gives a result. No value
// stored here is a secret in clear except the signing keys and TOTP seeds,
// which a node needs to use (security/accounts.hpp says who reads them).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "persistence/errors.hpp"

namespace hishamos::persistence {

struct user_row {
  std::string id;
  std::string username;      ///< Unique; what people sign in with.
  std::string password_hash; ///< argon2id, PHC string.
  std::string role;          ///< admin | operator | author | viewer
  bool disabled = false;
  std::string totp_secret;         ///< Base32; "" = not enrolled.
  bool totp_confirmed = false;     ///< A code was checked once after enrolment.
  std::int64_t totp_last_step = 0; ///< The last time step accepted.
  int failed_logins = 0;           ///< Since the last success or lockout.
  std::int64_t locked_until_ms = 0;
  std::int64_t created_at_ms = 0;
};

struct api_key_row {
  std::string id;
  std::string prefix;   ///< Public, unique: finds the row.
  std::string key_hash; ///< SHA-256 hex of the whole key.
  std::string user_id;  ///< Who created it.
  std::string name;
  std::string role;
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0; ///< 0 = never.
  std::int64_t last_used_ms = 0;
  std::int64_t revoked_at_ms = 0; ///< 0 = in force.
};

struct refresh_token_row {
  std::string token_hash; ///< SHA-256 hex.
  std::string family;     ///< Every rotation of one sign-in.
  std::string user_id;
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  std::int64_t used_at_ms = 0;    ///< Rotated: using it again is theft.
  std::int64_t revoked_at_ms = 0; ///< Signed out, or its family revoked.
};

struct signing_key_row {
  std::string kid;
  std::string secret; ///< Base64url of 32 random bytes.
  std::int64_t created_at_ms = 0;
};

/// A secret at rest: its value encrypted under a data key of its own,
/// that key wrapped by a key-encryption key (security/secret_box.hpp).
struct secret_row {
  std::string name;
  std::string kek_id;
  std::string wrapped_key; ///< Base64url of nonce | ciphertext | tag.
  std::string ciphertext;  ///< Base64url of nonce | ciphertext | tag.
  std::int64_t updated_at_ms = 0;
};

class auth_store {
public:
  virtual ~auth_store() = default;

  /// `conflict` when the username is taken.
  virtual status create_user(const user_row& u) = 0;
  virtual outcome<std::optional<user_row>>
  find_user(const std::string& username) = 0;
  virtual outcome<std::optional<user_row>>
  find_user_by_id(const std::string& id) = 0;
  /// Writes password hash, role, disabled, TOTP fields and the lockout of
  /// the row with u.id; `not_found` without one.
  virtual status update_user(const user_row& u) = 0;
  virtual outcome<std::vector<user_row>> list_users() = 0;
  virtual outcome<std::int64_t> count_users() = 0;
  /// Accepts TOTP time step `step` for the user once: true when it is
  /// later than the last one accepted (atomically: a code replayed by two
  /// requests at once is accepted by one).
  virtual outcome<bool> use_totp_step(const std::string& user_id,
                                      std::int64_t step) = 0;
  /// Counts a failed sign-in; at `lock_at` failures the account is locked
  /// until `locked_until_ms` and the count starts again. Returns the count
  /// (0 after a lockout).
  virtual outcome<int> count_login_failure(const std::string& user_id,
                                           int lock_at,
                                           std::int64_t locked_until_ms) = 0;

  /// `conflict` when the prefix is taken.
  virtual status create_api_key(const api_key_row& k) = 0;
  virtual outcome<std::optional<api_key_row>>
  find_api_key(const std::string& prefix) = 0;
  /// Every key, or one user's ("" = all), newest first.
  virtual outcome<std::vector<api_key_row>>
  list_api_keys(const std::string& user_id) = 0;
  virtual status touch_api_key(const std::string& id, std::int64_t at_ms) = 0;
  /// false when there is no such key in force.
  virtual outcome<bool> revoke_api_key(const std::string& id,
                                       std::int64_t at_ms) = 0;

  virtual status create_refresh_token(const refresh_token_row& t) = 0;
  /// Marks the token used and returns it as it was: used_at_ms != 0 in the
  /// answer means it had been used before (or by a concurrent request).
  virtual outcome<std::optional<refresh_token_row>>
  consume_refresh_token(const std::string& token_hash, std::int64_t at_ms) = 0;
  virtual status revoke_refresh_family(const std::string& family,
                                       std::int64_t at_ms) = 0;
  /// Whether a session (a refresh-token family) was signed out or revoked.
  virtual outcome<bool> session_revoked(const std::string& family) = 0;
  /// Signs a user out everywhere (password change, disable).
  virtual status revoke_user_sessions(const std::string& user_id,
                                      std::int64_t at_ms) = 0;

  /// Oldest first; the newest signs.
  virtual outcome<std::vector<signing_key_row>> signing_keys() = 0;
  virtual status add_signing_key(const signing_key_row& k) = 0;

  /// Stores (or replaces) a secret.
  virtual status put_secret(const secret_row& s) = 0;
  /// Every secret, by name.
  virtual outcome<std::vector<secret_row>> secrets() = 0;

  /// One rating per person and result: true when it is the person's
  /// first of this result, false when it replaced theirs.
  virtual outcome<bool> record_rating(const std::string& execution_id,
                                      const std::string& step_id,
                                      const std::string& user_id,
                                      double score) = 0;
};

} // namespace hishamos::persistence
