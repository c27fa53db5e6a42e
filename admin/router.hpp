#pragma once

// The admin API's requests, responses and route table, independent of the
// HTTP server library (admin/http_server.cpp adapts one to these). A route
// is a method and a path pattern whose `{name}` segments bind path
// parameters; a path no route matches is 404, a path matched with another
// method is 405 with Allow, both in the error format.

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace hishamos::admin {

/// One HTTP request as a route handler sees it.
struct request {
  std::string method;                         ///< GET, POST, ...
  std::string path;                           ///< Decoded, without the query.
  std::map<std::string, std::string> query;   ///< Decoded; the first of each.
  std::map<std::string, std::string> params;  ///< From the pattern's {name}.
  std::map<std::string, std::string> headers; ///< Names in lower case.
  std::string body;
  std::string remote_addr;

  /// The path parameter `name` ("" when the pattern has none).
  [[nodiscard]] const std::string& param(const std::string& name) const;
  /// Whether the query has `name`, and its value.
  [[nodiscard]] bool has_query(const std::string& name) const;
  [[nodiscard]] std::string query_value(const std::string& name) const;
};

/// One HTTP response.
struct response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;
};

using handler = std::function<response(const request&)>;

class router {
public:
  /// Adds a route: `pattern` like "/api/v1/executions/{id}/cancel".
  void add(const std::string& method, const std::string& pattern, handler h);
  /// Runs the route `req` matches (binding its path parameters), or answers
  /// 404 / 405 in the error format.
  [[nodiscard]] response dispatch(request req) const;

private:
  struct route {
    std::string method;
    std::vector<std::string> segments; ///< "{x}" binds x.
    handler h;
  };
  std::vector<route> routes_;
};

} // namespace hishamos::admin
