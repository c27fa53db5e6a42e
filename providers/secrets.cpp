#include "providers/secrets.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace hishamos::providers {

namespace {

model::problem secret_problem(const std::string& reference,
                              const std::string& what, const std::string& fix) {
  return model::problem{"", 0, "", "api key " + reference + ": " + what, fix};
}

} // namespace

model::result<std::string> resolve_secret(const std::string& reference,
                                          const std::string& secrets_dir) {
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

std::string redact(std::string text, const std::string& secret) {
  if (secret.size() < 4)
    return text;
  for (auto at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + 3))
    text.replace(at, secret.size(), "***");
  return text;
}

} // namespace hishamos::providers
