#include "admin/params.hpp"

#include "admin/pagination.hpp"

#include <charconv>

#include "model/reports.hpp"

namespace hishamos::admin {

parsed<std::int64_t> int64_query(const request& req, const std::string& name,
                                 std::int64_t fallback, std::int64_t min,
                                 std::int64_t max, const std::string& code) {
  if (!req.has_query(name))
    return {fallback, std::nullopt};
  auto text = req.query_value(name);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < min ||
      v > max)
    return {0,
            api_error{400,
                      code,
                      name + " must be an integer from " + std::to_string(min) +
                          " to " + std::to_string(max) + " (got '" +
                          bounded(text) + "')",
                      {{"parameter", name}}}};
  return {v, std::nullopt};
}

parsed<int> int_query(const request& req, const std::string& name, int fallback,
                      int min, int max, const std::string& code) {
  auto got = int64_query(req, name, fallback, min, max, code);
  return {static_cast<int>(got.value), std::move(got.error)};
}

parsed<std::int64_t> day_query(const request& req, const std::string& name,
                               bool end_of_day) {
  if (!req.has_query(name))
    return {0, std::nullopt};
  auto day = req.query_value(name);
  auto ms = model::day_start_ms(day);
  if (!ms)
    return {0, api_error{400,
                         "invalid_query",
                         name + " must be a day YYYY-MM-DD (got '" +
                             bounded(day) + "')",
                         {{"parameter", name}}}};
  return {*ms + (end_of_day ? 86400 * 1000 : 0), std::nullopt};
}

std::optional<api_error> check_json_depth(const std::string& text,
                                          int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        return api_error{400,
                         "json_too_deep",
                         "the body nests JSON deeper than " +
                             std::to_string(max_depth) + " levels",
                         {{"limit", max_depth}}};
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::nullopt;
}

parsed<nlohmann::json> json_body(const request& req,
                                 const std::string& example) {
  if (req.body.empty())
    return {nlohmann::json::object(), std::nullopt};
  // nlohmann's parser recurses once per level: a deep document would
  // overflow the stack before it could be refused.
  if (auto e = check_json_depth(req.body, req.max_json_depth))
    return {{}, *e};
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return {{},
            api_error{400, "invalid_json",
                      "the body must be a JSON object like " + example}};
  return {std::move(body), std::nullopt};
}

parsed<page_request> page_of(const request& req) {
  auto page = int_query(req, "page", 1, 1, 1000000);
  if (!page)
    return {{}, page.error};
  auto limit = int_query(req, "limit", 20, 1, 100);
  if (!limit)
    return {{}, limit.error};
  return {{page.value, limit.value}, std::nullopt};
}

} // namespace hishamos::admin
