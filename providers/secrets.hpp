#pragma once

// Provider keys are referenced, never written down: `env://NAME` reads the
// environment variable NAME, `secret://name` the file `name` of the
// secrets directory (as container platforms mount secrets). Resolved at
// call time, so a rotated key is used from the next call on. Errors name
// the reference, never a value.

#include <string>

#include "model/result.hpp"

namespace hishamos::providers {

/// The key a reference stands for; "" resolves to "" (no key).
[[nodiscard]] model::result<std::string>
resolve_secret(const std::string& reference, const std::string& secrets_dir);

/// `text` with every occurrence of `secret` (when it is at least 4
/// characters long) replaced by "***", as it is and base64-, base64url- or
/// percent-encoded: for upstream answers that echo the key back. Redact
/// before cutting a text to length (a key cut in two is not found).
[[nodiscard]] std::string redact(std::string text, const std::string& secret);

} // namespace hishamos::providers
