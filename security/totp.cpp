#include "security/totp.hpp"

#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include <liboath/oath.h>

#include "security/crypto.hpp"

namespace hishamos::security {

namespace {

constexpr unsigned step_seconds = 30;
constexpr unsigned digits = 6;

void init_once() {
  static std::once_flag once;
  std::call_once(once, [] { oath_init(); });
}

// The raw secret of a base32 one; empty when it is not base32.
std::string raw_secret(const std::string& base32) {
  init_once();
  char* out = nullptr;
  size_t len = 0;
  if (oath_base32_decode(base32.data(), base32.size(), &out, &len) != OATH_OK)
    return {};
  std::string raw{out, len};
  free(out);
  return raw;
}

std::string url_encode(const std::string& s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

} // namespace

std::string new_totp_secret() {
  init_once();
  auto raw = random_bytes(20);
  char* out = nullptr;
  size_t len = 0;
  if (oath_base32_encode(raw.data(), raw.size(), &out, &len) != OATH_OK)
    throw std::runtime_error("oath_base32_encode failed");
  std::string secret{out, len};
  free(out);
  while (!secret.empty() && secret.back() == '=')
    secret.pop_back();
  return secret;
}

std::string otpauth_uri(const std::string& issuer, const std::string& account,
                        const std::string& secret_base32) {
  return "otpauth://totp/" + url_encode(issuer) + ":" + url_encode(account) +
         "?secret=" + secret_base32 + "&issuer=" + url_encode(issuer) +
         "&algorithm=SHA1&digits=6&period=30";
}

std::optional<std::int64_t> totp_step_of(const std::string& secret_base32,
                                         const std::string& code,
                                         std::int64_t now_s) {
  if (code.size() != digits)
    return std::nullopt;
  for (char c : code)
    if (c < '0' || c > '9')
      return std::nullopt;
  auto raw = raw_secret(secret_base32);
  if (raw.empty())
    return std::nullopt;
  int pos = 0;
  std::uint64_t counter = 0;
  int rc = oath_totp_validate3(raw.data(), raw.size(), now_s, step_seconds, 0,
                               1, &pos, &counter, code.c_str());
  if (rc < 0)
    return std::nullopt;
  return static_cast<std::int64_t>(counter);
}

std::string totp_code(const std::string& secret_base32, std::int64_t now_s) {
  auto raw = raw_secret(secret_base32);
  char out[digits + 1] = {};
  if (raw.empty() ||
      oath_totp_generate(raw.data(), raw.size(), now_s, step_seconds, 0, digits,
                         out) != OATH_OK)
    return {};
  return out;
}

} // namespace hishamos::security
