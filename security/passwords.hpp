#pragma once

// Passwords, hashed with argon2id (libargon2; m = 19456 KiB, t = 2, p = 1,
// the OWASP minimum) into a PHC string that carries its salt and
// parameters. A password is never stored or logged in any other form.

#include <string>

namespace hishamos::security {

/// Passwords shorter than this are refused (NIST SP 800-63B's minimum).
constexpr size_t min_password_length = 12;
/// Longer ones are refused too: hashing is bounded work.
constexpr size_t max_password_length = 256;

/// The argon2id PHC string of `password` with a fresh 16-byte salt.
[[nodiscard]] std::string hash_password(const std::string& password);
/// Whether `password` matches `phc` (false for a malformed hash).
[[nodiscard]] bool verify_password(const std::string& password,
                                   const std::string& phc);
/// Why a new password is refused ("" = acceptable).
[[nodiscard]] std::string password_problem(const std::string& password);

} // namespace hishamos::security
