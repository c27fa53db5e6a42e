#pragma once

// Request targets: percent-decoding and query strings.

#include <map>
#include <optional>
#include <string>

namespace hishamos::admin {

/// A decoded request target.
struct target {
  std::string path;
  std::map<std::string, std::string> query; ///< The first of each name.
};

/// Splits and decodes "/a/b%20c?x=1&y=%2F" ('+' is a space in the query);
/// nullopt for a malformed escape or a target that is not a path.
[[nodiscard]] std::optional<target> parse_target(const std::string& raw);

/// Decodes %XX escapes (and '+' when `plus_is_space`); nullopt when an
/// escape is malformed or decodes to a NUL byte.
[[nodiscard]] std::optional<std::string> percent_decode(const std::string& s,
                                                        bool plus_is_space);

} // namespace hishamos::admin
