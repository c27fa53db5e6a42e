#pragma once

// The few primitives the security module builds on, all from OpenSSL:
// random bytes from the OS's generator, SHA-256, base64url, and a
// comparison whose time does not depend on where two strings differ.

#include <optional>
#include <string>

#include "model/digest.hpp"

namespace hishamos::security {

/// `n` bytes from OpenSSL's CSPRNG; throws std::runtime_error if it fails
/// (it never returns predictable bytes).
[[nodiscard]] std::string random_bytes(size_t n);
/// `n` random bytes, base64url without padding: tokens, ids, secrets.
[[nodiscard]] std::string random_token(size_t n);
/// Lower-case hex of SHA-256(text).
using model::sha256_hex;
[[nodiscard]] std::string base64url_encode(const std::string& bytes);
/// nullopt when `text` is not base64url.
[[nodiscard]] std::optional<std::string>
base64url_decode(const std::string& text);
/// Standard base64 with padding (how a key is echoed in other APIs' errors).
[[nodiscard]] std::string base64_encode(const std::string& bytes);
/// Equality in time that depends only on the lengths.
[[nodiscard]] bool constant_time_equal(const std::string& a,
                                       const std::string& b);

} // namespace hishamos::security
