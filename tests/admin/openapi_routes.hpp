#pragma once

// What the tests that hold the route table against the OpenAPI document
// share.

#include <cctype>
#include <set>
#include <string>

namespace hishamos::test {

/// The files the documentation pages load: served, not API operations.
inline const std::set<std::string> page_assets{
    "GET /api/docs/init.js",        "GET /api/docs/swagger-ui-bundle.js",
    "GET /api/docs/swagger-ui.css", "GET /api/redoc/redoc.standalone.js",
    "GET /console/app.js",          "GET /console/app.css"};

/// "get" -> "GET", as the route table names methods.
inline std::string upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

} // namespace hishamos::test
