#pragma once

#include <memory>
#include <string>

#include "model/result.hpp"

namespace hishamos {
class node;
} // namespace hishamos

namespace hishamos::admin {

/// The admin HTTP server of a node: health, readiness, metrics and the
/// REST API (see docs/api.md). Serves on threads of its own; every route
/// answers JSON, errors as {"error", "message", "details"}.
class http_server {
public:
  explicit http_server(node& n);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Binds host:port (port 0 picks a free one) and starts serving.
  /// Returns the bound port, or a problem naming the address.
  model::result<int> start(const std::string& host, int port);
  /// Stops serving and joins the server thread.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace hishamos::admin
