#pragma once

// Reading what a request carries: integers and days from the query, a JSON
// object from the body. Each answers the value or the 400 that says what
// was wrong with it.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "admin/errors.hpp"
#include "admin/router.hpp"

namespace hishamos::admin {

/// A value read from a request, or the error to answer instead.
template <class T> struct parsed {
  T value{};
  std::optional<api_error> error;
  explicit operator bool() const { return !error; }
};

/// The integer query parameter `name` in [min, max], or `fallback` when it
/// is absent; anything else ("5abc", "1e9", out of range) is a 400 with
/// `code`.
[[nodiscard]] parsed<int> int_query(const request& req, const std::string& name,
                                    int fallback, int min, int max,
                                    const std::string& code = "invalid_query");

/// int_query for 64-bit values (times in ms).
[[nodiscard]] parsed<std::int64_t>
int64_query(const request& req, const std::string& name, std::int64_t fallback,
            std::int64_t min, std::int64_t max,
            const std::string& code = "invalid_query");

/// The day query parameter `name` (YYYY-MM-DD, UTC) as ms: its start, or
/// with `end_of_day` the start of the next day; 0 when absent.
[[nodiscard]] parsed<std::int64_t>
day_query(const request& req, const std::string& name, bool end_of_day);

/// The body as a JSON object (an empty body is {}); a document nested
/// deeper than req.max_json_depth is a 400 json_too_deep (checked before
/// parsing), anything else not an object a 400 invalid_json naming `example`.
[[nodiscard]] parsed<nlohmann::json> json_body(const request& req,
                                               const std::string& example);

/// The 400 for JSON nested deeper than `max_depth`, found without parsing.
[[nodiscard]] std::optional<api_error> check_json_depth(const std::string& text,
                                                        int max_depth);

} // namespace hishamos::admin
