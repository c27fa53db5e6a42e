#pragma once

// Request targets: percent-decoding and query strings.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hishamos::admin {

/// A decoded request target.
struct target {
  std::string path; ///< Decoded whole, for logs and messages.
  /// The path's segments, each decoded on its own, so that an escaped
  /// '/' (%2F) stays inside its segment: routes match these.
  std::vector<std::string> segments;
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
