#pragma once

// Access tokens: JWTs signed with HS256 through libjwt. The algorithm is
// pinned (a token whose header names another, "none" included, is refused
// before its signature is looked at), every token names its signing key
// (`kid`) so that keys can be rotated while older tokens stay valid, and
// iss, aud, exp, iat, jti, sub, name, role and sid (the session, which
// signing out revokes) are all required.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hishamos::security {

struct signing_key {
  std::string kid;
  std::string secret; ///< Raw bytes, at least 32.
};

struct token_settings {
  std::string issuer = "hishamos";
  std::string audience = "hishamos-api";
  std::int64_t access_ttl_s = 900; ///< 15 minutes.
  /// Clock difference between nodes tolerated for iat.
  std::int64_t leeway_s = 30;
};

struct access_claims {
  std::string user_id;
  std::string username;
  std::string role;
  std::string session; ///< The refresh-token family of the sign-in.
  std::string jti;
  std::int64_t issued_at_s = 0;
  std::int64_t expires_at_s = 0;
  /// An admin without 2FA: the token serves only to enrol it.
  bool must_enrol_totp = false;
};

/// A signed token for `claims` (jti, iat and exp are filled in here).
[[nodiscard]] std::string issue_access_token(const signing_key& key,
                                             const token_settings& s,
                                             access_claims claims,
                                             std::int64_t now_s);

struct verified_token {
  std::optional<access_claims> claims;
  std::string problem; ///< Why not, when claims is empty (no token text).
};

/// Checks a token against `keys` (found by its kid) and `s` at `now_s`.
[[nodiscard]] verified_token
verify_access_token(const std::string& token,
                    const std::vector<signing_key>& keys,
                    const token_settings& s, std::int64_t now_s);

} // namespace hishamos::security
