#pragma once

#include <memory>
#include <string>

#include "config/node_config.hpp"
#include "model/result.hpp"

namespace hishamos {
class node;
} // namespace hishamos

namespace hishamos::security {
class accounts;
} // namespace hishamos::security

namespace hishamos::admin {

/// The admin HTTP server of a node: health, readiness, metrics and the
/// REST API (see docs/api.md). Boost.Beast on a few I/O threads that only
/// read and write connections; route handlers run on a pool of worker
/// threads of their own (http.workers), so slow clients never hold one.
/// Every input has a limit (config::http_limits): a request over one is
/// answered 408/413/414/431/400 in the error format, and every response
/// carries an X-Request-Id.
class http_server {
public:
  /// Serves `n`'s API with the limits of its config (`http:`).
  explicit http_server(node& n);
  http_server(node& n, config::http_limits limits);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Binds host:port (port 0 picks a free one) and starts serving.
  /// Returns the bound port, or a problem naming the address. An address
  /// other than loopback is refused unless http.tls_terminated_by_proxy
  /// says a proxy in front terminates TLS (then it warns).
  model::result<int> start(const std::string& host, int port);
  /// Stops accepting, closes every connection and joins the threads.
  void stop();
  /// While the store has no user: the one-time secret that creates the
  /// first admin through POST /api/v1/auth/setup; "" once one exists.
  [[nodiscard]] std::string setup_secret() const;
  /// Users, sessions and keys, as the API sees them.
  [[nodiscard]] security::accounts& accounts();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace hishamos::admin
