#pragma once

#include <string>

namespace hishamos::security {

/// Who a request comes from, once authenticated.
struct principal {
  std::string user_id;
  std::string username;
  std::string role;
  std::string session;    ///< A token's sid; "" for an API key.
  std::string api_key_id; ///< "" for a token.
  /// An admin without 2FA may only enrol it (and see and end the session).
  bool must_enrol_totp = false;
};

} // namespace hishamos::security
