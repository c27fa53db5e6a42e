#pragma once

// Who is asking, and whether they may: users signing in with a password
// (and a TOTP code where required), the access tokens and rotating refresh
// tokens of their sessions, API keys, users' administration and their 2FA
// enrolment. Every answer that refuses says what and how to fix it and
// names no secret. Thread-safe: HTTP workers share one.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "persistence/store_pool.hpp"
#include "security/principal.hpp"
#include "security/secret_box.hpp"
#include "security/tokens.hpp"

namespace hishamos::security {

/// A refusal: status, code, what happened, how to fix it.
struct denial {
  int status = 401;
  std::string code;
  std::string message;
  std::string fix;
};

template <class T> struct answer {
  T value{};
  std::optional<denial> error;
  explicit operator bool() const { return !error; }
};

struct auth_settings {
  token_settings tokens;
  std::int64_t refresh_ttl_s = 30 * 86400;
  int lockout_after = 5;        ///< Failed passwords or codes in a row.
  std::int64_t lockout_s = 900; ///< How long the account then stays locked.
  std::string totp_issuer = "HishamOS";
};

struct session_tokens {
  std::string access_token;
  std::int64_t expires_in_s = 0;
  std::string refresh_token;
  principal who;
};

struct new_api_key {
  persistence::api_key_row row;
  std::string key; ///< Shown once; only its hash is stored.
};

struct totp_enrolment {
  std::string secret; ///< Base32.
  std::string uri;    ///< otpauth://
};

class accounts {
public:
  /// With `ring`, TOTP seeds and token-signing keys are stored encrypted
  /// under its active KEK (security/secret_box.hpp); without, in clear.
  explicit accounts(persistence::store_pool& pool, auth_settings s = {},
                    std::optional<key_ring> ring = std::nullopt);

  [[nodiscard]] answer<session_tokens> login(const std::string& username,
                                             const std::string& password,
                                             const std::string& totp_code);
  [[nodiscard]] answer<session_tokens> refresh(const std::string& token);
  /// Ends the session of `who` (its refresh tokens and access tokens).
  [[nodiscard]] answer<bool> logout(const principal& who);
  /// From the Authorization (Bearer) or X-API-Key header's value; both
  /// empty: 401 unauthenticated.
  [[nodiscard]] answer<principal> authenticate(const std::string& authorization,
                                               const std::string& api_key);

  [[nodiscard]] answer<persistence::user_row>
  add_user(const std::string& username, const std::string& password,
           const std::string& role);
  /// Changing the password, role or disabling signs the user out
  /// everywhere.
  [[nodiscard]] answer<bool> set_password(const std::string& username,
                                          const std::string& password);
  [[nodiscard]] answer<bool> set_role(const std::string& username,
                                      const std::string& role);
  [[nodiscard]] answer<bool> set_disabled(const std::string& username,
                                          bool disabled);
  [[nodiscard]] answer<std::vector<persistence::user_row>> users();
  [[nodiscard]] answer<std::int64_t> user_count();

  /// A new TOTP secret for `who` (replacing an unconfirmed one); 2FA is on
  /// once confirm_totp accepts a code.
  [[nodiscard]] answer<totp_enrolment> enrol_totp(const principal& who);
  [[nodiscard]] answer<bool> confirm_totp(const principal& who,
                                          const std::string& code);

  /// A key with `role` (at most the owner's) for `owner`; expires_at_ms 0 =
  /// never.
  [[nodiscard]] answer<new_api_key> create_api_key(const principal& owner,
                                                   const std::string& name,
                                                   const std::string& role,
                                                   std::int64_t expires_at_ms);
  /// The keys `who` may see: an admin's are everyone's.
  [[nodiscard]] answer<std::vector<persistence::api_key_row>>
  api_keys(const principal& who);
  [[nodiscard]] answer<bool> revoke_api_key(const principal& by,
                                            const std::string& id);
  /// A new signing key that signs from now on; older ones still verify.
  [[nodiscard]] answer<std::string> rotate_signing_key();

private:
  answer<session_tokens> open_session(const persistence::user_row& u,
                                      const std::string& family);
  answer<principal> by_token(const std::string& token);
  answer<principal> by_api_key(const std::string& key);
  answer<std::optional<persistence::user_row>>
  find_user(const std::string& username);
  answer<bool> signed_out(const persistence::user_row& u,
                          const persistence::status& st);
  denial failed_sign_in(const persistence::user_row& u, const char* code,
                        const std::string& message);
  std::vector<signing_key> keys(bool reload);
  /// A secret as stored: sealed under the ring as `name` when there is one.
  std::string at_rest(const std::string& name, const std::string& value) const;
  /// A stored secret's value; nullopt when it is sealed and cannot be
  /// opened (no ring, another KEK, tampered), after logging why.
  std::optional<std::string> in_use(const std::string& name,
                                    const std::string& stored) const;
  void forget_cached(const std::string& user_id);

  /// How long a checked API key or session is trusted without the store:
  /// a revocation on another node takes effect within this.
  static constexpr std::int64_t cache_ms = 2000;
  static constexpr size_t cache_limit = 10000;

  persistence::store_pool& pool_;
  const auth_settings settings_;
  const std::optional<key_ring> ring_;
  std::mutex mutex_; ///< Guards the caches below.
  std::vector<signing_key> keys_;
  std::int64_t keys_loaded_ms_ = 0;
  struct cached {
    principal who;
    std::int64_t checked_ms;
  };
  std::map<std::string, cached> key_cache_;           ///< By key hash.
  std::map<std::string, std::int64_t> live_sessions_; ///< Family: checked.
};

/// A refusal that names the store's failure (503, retry later).
[[nodiscard]] denial store_denial(const persistence::status& st);

} // namespace hishamos::security
