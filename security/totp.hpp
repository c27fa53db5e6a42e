#pragma once

// Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s steps)
// through liboath. A code is accepted one step either side of now; which
// step matched is returned so that the caller accepts each code once.

#include <cstdint>
#include <optional>
#include <string>

namespace hishamos::security {

/// A new shared secret: 20 random bytes, base32 (as authenticator apps
/// take it).
[[nodiscard]] std::string new_totp_secret();
/// otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER&... for a QR code.
[[nodiscard]] std::string otpauth_uri(const std::string& issuer,
                                      const std::string& account,
                                      const std::string& secret_base32);
/// The time step `code` is valid for, at `now_s` ±1 step; nullopt when it
/// is not a valid code.
[[nodiscard]] std::optional<std::int64_t>
totp_step_of(const std::string& secret_base32, const std::string& code,
             std::int64_t now_s);
/// The code of `secret_base32` at `now_s` (for tests and tools).
[[nodiscard]] std::string totp_code(const std::string& secret_base32,
                                    std::int64_t now_s);

} // namespace hishamos::security
