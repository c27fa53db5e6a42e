#include "admin/internal/server_core.hpp"

#include <chrono>
#include <random>

#include <spdlog/spdlog.h>

#include "admin/errors.hpp"
#include "admin/routes.hpp"
#include "hishamos/node.hpp"

namespace hishamos::admin {

server_core::server_core(node& node, config::http_limits l)
    : n(node), limits(l), workers(l.workers, static_cast<size_t>(l.queue)),
      limiter(l.requests_per_second) {
  add_cluster_routes(routes, n);
  add_execution_routes(routes, n);
  add_workflow_routes(routes, n);
  add_agent_routes(routes, n);
  add_cost_routes(routes, n);
  add_docs_routes(routes);
}

namespace {

// Probes are never throttled: a liveness check refused under load would
// have an orchestrator restart a node that is only busy.
bool is_probe(const std::string& path) {
  return path == "/health" || path == "/ready" || path == "/metrics";
}

} // namespace

bool server_core::run(request req, std::function<void(response)> done) {
  if (!is_probe(req.path) && !limiter.admit())
    return false;
  return workers.try_post([this, req = std::move(req),
                           done = std::move(done)]() mutable {
    auto t0 = std::chrono::steady_clock::now();
    auto route = routes.pattern_of(req);
    auto res = routes.dispatch(req);
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
    n.record_http(route.empty() ? "unmatched" : route, req.method, res.status,
                  took.count());
    if (took.count() * 1000 > static_cast<double>(limits.slow_call_ms))
      spdlog::warn("slow request {} {} took {:.0f} ms (request {})", req.method,
                   route.empty() ? "unmatched" : route, took.count() * 1000,
                   req.request_id);
    done(std::move(res));
  });
}

response server_core::overloaded(const std::string& why) const {
  auto res = error_response(
      {503,
       "overloaded",
       "node " + n.id() + " is overloaded: " + why,
       {{"fix", "retry after the number of seconds in Retry-After"}}});
  res.headers["Retry-After"] = "1";
  return res;
}

std::string request_id_from(const std::string& given) {
  bool plain = !given.empty() && given.size() <= 64;
  for (char c : given)
    plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                      c == '_' || c == '.');
  if (plain)
    return given;
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>(rng()));
  return buf;
}

} // namespace hishamos::admin
