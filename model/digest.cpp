#include "model/digest.hpp"

#include <stdexcept>

#include <openssl/evp.h>

namespace hishamos::model {

namespace {

// OpenSSL 3's one-shot SHA256() looks the algorithm up in its provider
// store at every call; on a checkpoint's few hundred bytes the lookup cost
// more than the hashing (perf: 3% of a node's samples). Fetched once here;
// never freed, as OpenSSL may be torn down before static destructors run.
const EVP_MD* sha256_algorithm() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (!md)
    throw std::runtime_error("OpenSSL offers no SHA-256 (EVP_MD_fetch)");
  return md;
}

} // namespace

std::string sha256_hex(std::string_view text, size_t bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, sha256_algorithm(),
                 nullptr) != 1)
    throw std::runtime_error("SHA-256 failed (EVP_Digest)");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes);
  for (size_t i = 0; i < bytes && i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

} // namespace hishamos::model
