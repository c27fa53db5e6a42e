#pragma once

// Masking passwords in URLs meant for people (errors, logs), in every form
// a URL carries one. (A known secret in any text: providers/secrets.hpp.)

#include <string>

namespace hishamos::model {

/// `url` with its password masked as "***": the userinfo's
/// (`scheme://user:pass@host`, `redis://:pass@host`) and any query
/// parameter named password, pass, pwd, secret, token, sslpassword or
/// api_key.
[[nodiscard]] std::string redact_url(const std::string& url);

} // namespace hishamos::model
