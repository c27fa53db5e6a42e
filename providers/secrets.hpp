#pragma once

// Provider keys are referenced, never written down: `env://NAME` reads the
// environment variable NAME, `secret://name` the file `name` of the
// secrets directory (as container platforms mount secrets). Resolved at
// call time, so a rotated key is used from the next call on. Errors name
// the reference, never a value.

#include <map>
#include <string>

#include "model/result.hpp"

namespace hishamos::providers {

/// Secrets the node read from its store at start (decrypted), by name.
using secret_values = std::map<std::string, std::string>;

/// The key a reference stands for; "" resolves to "" (no key).
/// `secret://name` is looked up in `stored` first (the store's encrypted
/// secrets), then in the file `name` of `secrets_dir`.
[[nodiscard]] model::result<std::string>
resolve_secret(const std::string& reference, const std::string& secrets_dir,
               const secret_values* stored = nullptr);

/// `text` with every occurrence of `secret` (when it is at least 4
/// characters long) replaced by "***", as it is and base64-, base64url- or
/// percent-encoded: for upstream answers that echo the key back. Redact
/// before cutting a text to length (a key cut in two is not found).
[[nodiscard]] std::string redact(std::string text, const std::string& secret);

} // namespace hishamos::providers
