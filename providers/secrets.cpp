#include "providers/secrets.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include <openssl/evp.h>

namespace hishamos::providers {

namespace {

model::problem secret_problem(const std::string& reference,
                              const std::string& what, const std::string& fix) {
  return model::problem{"", 0, "", "api key " + reference + ": " + what, fix};
}

} // namespace

model::result<std::string> resolve_secret(const std::string& reference,
                                          const std::string& secrets_dir,
                                          const secret_values* stored) {
  if (reference.empty())
    return std::string{};
  if (reference.rfind("env://", 0) == 0) {
    auto name = reference.substr(6);
    const char* value = name.empty() ? nullptr : std::getenv(name.c_str());
    if (!value || !*value)
      return secret_problem(reference, "the environment variable is not set",
                            "export " + (name.empty() ? "it" : name) +
                                " in the node's environment");
    return std::string{value};
  }
  if (reference.rfind("secret://", 0) == 0) {
    auto name = reference.substr(9);
    if (name.empty() || name.find('/') != std::string::npos || name == "..")
      return secret_problem(reference, "not a secret name",
                            "write secret://NAME with a plain file name");
    if (stored)
      if (auto it = stored->find(name); it != stored->end())
        return it->second;
    std::ifstream in{secrets_dir + "/" + name};
    if (!in)
      return secret_problem(reference,
                            "no readable file " + name + " in " + secrets_dir,
                            "put the key in that file, or set secrets.dir");
    std::stringstream text;
    text << in.rdbuf();
    auto key = text.str();
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r'))
      key.pop_back();
    return key;
  }
  return secret_problem(reference, "not a reference",
                        "write env://NAME or secret://NAME");
}

namespace {

std::string mask_all(std::string text, const std::string& needle) {
  if (needle.size() < 4)
    return text;
  for (auto at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 3))
    text.replace(at, needle.size(), "***");
  return text;
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// The forms an upstream may echo a key in: as it is, base64 (padded or
// not), base64url, percent-encoded.
std::vector<std::string> echoed_forms(const std::string& secret) {
  auto b64 = base64(secret);
  auto unpadded = b64;
  while (!unpadded.empty() && unpadded.back() == '=')
    unpadded.pop_back();
  auto url = unpadded;
  for (auto& c : url)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string percent;
  for (unsigned char c : secret) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      percent += static_cast<char>(c);
    } else {
      percent += '%';
      percent += hex[c >> 4];
      percent += hex[c & 15];
    }
  }
  return {secret, b64, unpadded, url, percent};
}

} // namespace

std::string redact(std::string text, const std::string& secret) {
  if (secret.size() < 4)
    return text;
  for (const auto& form : echoed_forms(secret))
    text = mask_all(std::move(text), form);
  return text;
}

} // namespace hishamos::providers
