#include "admin/url.hpp"

#include <algorithm>

namespace hishamos::admin {

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

std::optional<std::string> percent_decode(const std::string& s,
                                          bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= s.size())
        return std::nullopt;
      int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<target> parse_target(const std::string& raw) {
  if (raw.empty() || raw.front() != '/')
    return std::nullopt;
  auto q = raw.find('?');
  auto raw_path = raw.substr(0, q);
  target out;
  for (size_t pos = 1; pos <= raw_path.size();) {
    auto end = std::min(raw_path.find('/', pos), raw_path.size());
    auto segment = percent_decode(raw_path.substr(pos, end - pos), false);
    if (!segment)
      return std::nullopt;
    out.path += "/" + *segment;
    out.segments.push_back(std::move(*segment));
    pos = end + 1;
  }
  if (q == std::string::npos)
    return out;
  auto query = raw.substr(q + 1);
  size_t pos = 0;
  while (pos <= query.size()) {
    auto end = query.find('&', pos);
    if (end == std::string::npos)
      end = query.size();
    auto pair = query.substr(pos, end - pos);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      auto name = percent_decode(pair.substr(0, eq), true);
      auto value = percent_decode(
          eq == std::string::npos ? "" : pair.substr(eq + 1), true);
      if (!name || !value)
        return std::nullopt;
      out.query.emplace(std::move(*name), std::move(*value));
    }
    pos = end + 1;
  }
  return out;
}

} // namespace hishamos::admin
