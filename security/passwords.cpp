#include "security/passwords.hpp"

#include <stdexcept>

#include <argon2.h>

#include "security/crypto.hpp"

namespace hishamos::security {

namespace {
constexpr std::uint32_t memory_kib = 19456;
constexpr std::uint32_t passes = 2;
constexpr std::uint32_t lanes = 1;
constexpr size_t salt_bytes = 16;
constexpr size_t hash_bytes = 32;
} // namespace

std::string hash_password(const std::string& password) {
  auto salt = random_bytes(salt_bytes);
  std::string encoded(argon2_encodedlen(passes, memory_kib, lanes, salt_bytes,
                                        hash_bytes, Argon2_id),
                      '\0');
  int rc = argon2id_hash_encoded(passes, memory_kib, lanes, password.data(),
                                 password.size(), salt.data(), salt.size(),
                                 hash_bytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK)
    throw std::runtime_error(std::string{"argon2id failed: "} +
                             argon2_error_message(rc));
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool verify_password(const std::string& password, const std::string& phc) {
  if (phc.rfind("$argon2id$", 0) != 0 || password.size() > max_password_length)
    return false;
  return argon2id_verify(phc.c_str(), password.data(), password.size()) ==
         ARGON2_OK;
}

std::string password_problem(const std::string& password) {
  if (password.size() < min_password_length)
    return "a password has at least " + std::to_string(min_password_length) +
           " characters";
  if (password.size() > max_password_length)
    return "a password has at most " + std::to_string(max_password_length) +
           " characters";
  return {};
}

} // namespace hishamos::security
