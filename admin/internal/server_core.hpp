#pragma once

// What the HTTP server's connections share: limits, routes, the worker
// pool, the throttle, and how a request is run and timed. Free of Beast and
// CAF, so that admin/http_session.cpp alone pulls in Boost.Beast.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "admin/rate_limits.hpp"
#include "admin/router.hpp"
#include "admin/worker_pool.hpp"
#include "config/node_config.hpp"
#include "persistence/audit_writer.hpp"
#include "persistence/store_pool.hpp"
#include "security/accounts.hpp"

namespace hishamos {
class node;
} // namespace hishamos

namespace hishamos::admin {

struct server_core {
  server_core(node& n, config::http_limits l);

  node& n;
  const config::http_limits limits;
  /// Connections of its own for who-is-asking, so that sign-ins never wait
  /// behind the node's own store calls.
  persistence::store_pool auth_pool;
  /// Why the key-encryption keys could not be loaded ("" = they were, or
  /// none is configured): the server then refuses to start.
  std::string kek_problem;
  bool has_kek = false;
  security::accounts accounts;
  /// Every mutation's record, committed before the mutation runs.
  persistence::audit_writer audits;
  rate_limits rates;
  /// While the store has no user: the one-time secret that creates the
  /// first admin (POST /api/v1/auth/setup); "" once one exists.
  std::string setup_secret;
  std::mutex setup_mutex;
  router routes;
  worker_pool workers;
  throttle limiter;
  std::atomic<int> connections{0};
  /// Connections at once; beyond, a new one is answered 503 and closed.
  static constexpr int max_connections = 4096;

  /// Runs `req` on a worker: `done` gets its response there. False (and
  /// `done` not called) when the throttle (probes are exempt) or the full
  /// queue refuses it.
  bool run(request req, std::function<void(response)> done);
  /// routes.dispatch(req), with a handler's exception answered 500.
  response dispatch_guarded(const request& req);
  /// Sets this node's span of `req` and its client's (router.hpp's
  /// request::trace and caller_span).
  void trace(request& req) const;
  /// Sends the request's span, when it is sampled and spans go somewhere.
  void record_span(const request& req, const std::string& route, int status,
                   std::int64_t start_ns) const;
  /// Authenticates and authorises `req` for its route: nullopt when it may
  /// run (req.who is set), else the refusal (401 with WWW-Authenticate,
  /// 403).
  std::optional<response> refused(request& req);
  /// As refused(req), for the route already matched (one lookup per
  /// request).
  std::optional<response>
  refused(request& req, const std::optional<router::route_info>& found);
  /// The rate limit of the request's user or API key (an open route's
  /// request is not limited).
  rate_decision rate_of(const request& req);
  /// Commits the audit record of a mutating request (any method but GET on
  /// a route that needs a credential): nullopt when it is written, else
  /// the 503 that refuses the request.
  std::optional<response> unaudited(const request& req,
                                    const std::string& route);
  /// The response for a refused request: 503 with Retry-After.
  [[nodiscard]] response overloaded(const std::string& why) const;
};

/// `res` with the RateLimit-* headers of `d` (and Retry-After when it
/// refused).
void add_rate_headers(response& res, const rate_decision& d);
/// The 429 for a refused decision, in the error format.
[[nodiscard]] response rate_limited(const rate_decision& d,
                                    const std::string& what);

/// A request id from the client's X-Request-Id when it is short and plain,
/// else a new random one.
[[nodiscard]] std::string request_id_from(const std::string& given);

} // namespace hishamos::admin
