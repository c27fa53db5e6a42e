#pragma once

// The admin API's requests, responses and route table, independent of the
// HTTP server library (admin/http_server.cpp adapts one to these). A route
// is a method and a path pattern whose `{name}` segments bind path
// parameters; a path no route matches is 404, a path matched with another
// method is 405 with Allow, both in the error format.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/trace_context.hpp"
#include "security/permissions.hpp"
#include "security/principal.hpp"

namespace hishamos::admin {

using security::permission;

class event_stream;

/// One HTTP request as a route handler sees it.
struct request {
  std::string method; ///< GET, POST, ...
  std::string path;   ///< Decoded, without the query.
  /// The path's segments, each decoded on its own (url.hpp); empty: the
  /// router splits `path`.
  std::vector<std::string> segments;
  std::map<std::string, std::string> query;   ///< Decoded; the first of each.
  std::map<std::string, std::string> params;  ///< From the pattern's {name}.
  std::map<std::string, std::string> headers; ///< Names in lower case.
  std::string body;
  std::string remote_addr;
  std::string request_id; ///< X-Request-Id: the client's, or a new one.
  /// This node's span of the request: a child of the client's
  /// `traceparent`, or the root of a new trace.
  model::trace_context trace;
  std::string caller_span; ///< The client's span (traceparent); "" = none.
  int max_json_depth = 64; ///< http.max_json_depth, for json_body().
  /// Who asks: set by the server once the credential checked out (empty
  /// on an open route).
  security::principal who;

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
  /// Set for a stream (text/event-stream): called once the headers are
  /// out; the connection stays open until the stream closes.
  std::function<void(std::shared_ptr<event_stream>)> stream;
};

using handler = std::function<response(const request&)>;

class router {
public:
  /// Adds a route: `pattern` like "/api/v1/executions/{id}/cancel", and
  /// the permission a caller needs (permission::undeclared refuses all).
  void add(const std::string& method, const std::string& pattern,
           permission needs, handler h);
  /// Runs the route `req` matches (binding its path parameters), or answers
  /// 404 / 405 in the error format.
  [[nodiscard]] response dispatch(request req) const;
  /// What is known of a route before it runs: its pattern (metrics name
  /// routes by pattern, never by path: paths hold ids) and the permission
  /// it needs.
  struct route_info {
    std::string pattern;
    permission needs;
  };
  /// The route `req` would run; nullopt when none matches (the answer is
  /// 404 or 405, whoever asks).
  [[nodiscard]] std::optional<route_info> match(const request& req) const;
  /// Every route as "METHOD pattern", in the order they were added.
  [[nodiscard]] std::vector<std::string> table() const;
  /// Every route's "METHOD pattern" with its permission.
  [[nodiscard]] std::vector<std::pair<std::string, permission>>
  permissions() const;

private:
  struct route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments; ///< "{x}" binds x.
    permission needs;
    handler h;
  };
  std::vector<route> routes_;
};

} // namespace hishamos::admin
