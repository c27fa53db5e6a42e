#include "model/redaction.hpp"

#include <algorithm>
#include <cctype>

namespace hishamos::model {

namespace {

bool is_secret_name(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (const char* s : {"password", "pass", "pwd", "secret", "token",
                        "sslpassword", "api_key", "apikey"})
    if (name == s)
      return true;
  return false;
}

} // namespace

std::string redact_url(const std::string& url) {
  std::string out = url;
  auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    auto host_end = out.find_first_of("/?#", scheme + 3);
    auto at = out.rfind('@', host_end == std::string::npos ? out.size() - 1
                                                           : host_end);
    if (at != std::string::npos && at > scheme) {
      auto colon = out.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at)
        out = out.substr(0, colon + 1) + "***" + out.substr(at);
    }
  }
  auto query = out.find('?');
  while (query != std::string::npos && query < out.size()) {
    auto end = out.find('&', query + 1);
    auto pair =
        out.substr(query + 1, end == std::string::npos ? std::string::npos
                                                       : end - query - 1);
    auto eq = pair.find('=');
    if (eq != std::string::npos && is_secret_name(pair.substr(0, eq))) {
      auto value_at = query + 1 + eq + 1;
      auto value_end = end == std::string::npos ? out.size() : end;
      out.replace(value_at, value_end - value_at, "***");
      end = out.find('&', value_at);
    }
    query = end;
  }
  return out;
}

} // namespace hishamos::model
