#include "security/crypto.hpp"

#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace hishamos::security {

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(n)) != 1)
    throw std::runtime_error("the random generator failed (RAND_bytes)");
  return out;
}

std::string random_token(size_t n) { return base64url_encode(random_bytes(n)); }

std::string base64_encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string base64url_encode(const std::string& bytes) {
  auto out = base64_encode(bytes);
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  for (auto& c : out)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::optional<std::string> base64url_decode(const std::string& text) {
  std::string std_text = text;
  for (auto& c : std_text) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (!std::isalnum(static_cast<unsigned char>(c)))
      return std::nullopt;
  }
  size_t pad = (4 - std_text.size() % 4) % 4;
  if (pad == 3)
    return std::nullopt;
  std_text.append(pad, '=');
  std::string out(std_text.size() / 4 * 3, '\0');
  int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(std_text.data()),
                      static_cast<int>(std_text.size()));
  if (n < 0)
    return std::nullopt;
  out.resize(static_cast<size_t>(n) - pad); // DecodeBlock counts the padding.
  return out;
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  return a.size() == b.size() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace hishamos::security
