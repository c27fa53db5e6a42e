#include "admin/internal/server_core.hpp"

#include <chrono>
#include <cstdlib>
#include <random>

#include <spdlog/spdlog.h>

#include "admin/errors.hpp"
#include "admin/routes.hpp"
#include "hishamos/node.hpp"
#include "model/log_context.hpp"
#include "persistence/open_store.hpp"
#include "providers/span_exporter.hpp"
#include "security/crypto.hpp"

namespace hishamos::admin {

namespace {

persistence::store_factory store_of(const node& n) {
  return [url = n.config().store_url] { return persistence::open_store(url); };
}

// The node's key-encryption keys, when it has any (secrets.kek_file or
// HISHAMOS_KEK).
std::optional<security::key_ring> ring_of(const node& n, std::string& problem,
                                          bool& has) {
  const auto& file = n.config().kek_file;
  const char* env = std::getenv("HISHAMOS_KEK");
  if (file.empty() && (!env || !*env))
    return std::nullopt;
  auto ring = security::load_key_ring(file);
  if (!ring) {
    problem = ring.errors()[0].to_string();
    return std::nullopt;
  }
  has = true;
  return *ring;
}

persistence::pool_options auth_pool_options() {
  persistence::pool_options o;
  o.size = 4;
  return o;
}

} // namespace

server_core::server_core(node& node, config::http_limits l)
    : n(node), limits(l), auth_pool(store_of(node), auth_pool_options()),
      accounts(auth_pool, {}, ring_of(node, kek_problem, has_kek)),
      audits(auth_pool), rates(node.config().redis_url),
      workers(l.workers, static_cast<size_t>(l.queue)),
      limiter(l.requests_per_second) {
  if (auto users = accounts.user_count(); users && users.value == 0)
    setup_secret = security::random_token(24);
  add_auth_routes(routes, *this);
  add_audit_routes(routes, *this);
  add_cluster_routes(routes, n);
  add_execution_routes(routes, n);
  add_workflow_routes(routes, n);
  add_agent_routes(routes, n);
  add_cost_routes(routes, n);
  add_docs_routes(routes);
  add_console_routes(routes);
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
    auto start_ns = providers::unix_now_ns();
    trace(req);
    model::log_scope about{{"", "", req.request_id, req.trace.trace_id}};
    auto found = routes.match(req);
    auto route = found ? found->pattern : std::string{};
    auto denied = refused(req, found);
    rate_decision rate;
    if (!denied) {
      rate = rate_of(req);
      if (!rate.allowed)
        denied = rate_limited(
            rate,
            "requests by this " +
                std::string{req.who.api_key_id.empty() ? "user" : "API key"});
    }
    if (!denied)
      denied = unaudited(req, route);
    auto res = denied ? std::move(*denied) : dispatch_guarded(req);
    if (rate.limit > 0)
      add_rate_headers(res, rate);
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
    n.record_http(route.empty() ? "unmatched" : route, req.method, res.status,
                  took.count());
    if (took.count() * 1000 > static_cast<double>(limits.slow_call_ms))
      spdlog::warn("slow request {} {} took {:.0f} ms (request {})", req.method,
                   route.empty() ? "unmatched" : route, took.count() * 1000,
                   req.request_id);
    record_span(req, route, res.status, start_ns);
    done(std::move(res));
  });
}

void server_core::trace(request& req) const {
  if (auto it = req.headers.find("traceparent"); it != req.headers.end())
    if (auto caller = model::parse_traceparent(it->second)) {
      req.trace = caller->child();
      req.caller_span = caller->span_id;
      return;
    }
  auto* spans = n.spans();
  req.trace = model::new_trace(spans && !is_probe(req.path) && spans->sample());
}

// The request's span (kind server), under the caller's when it sent one.
// Probes make none unless a caller traces them.
void server_core::record_span(const request& req, const std::string& route,
                              int status, std::int64_t start_ns) const {
  auto* spans = n.spans();
  if (!spans || !req.trace.sampled)
    return;
  providers::span s;
  s.trace_id = req.trace.trace_id;
  s.span_id = req.trace.span_id;
  s.parent_span_id = req.caller_span;
  auto shown = route.empty() ? std::string{"unmatched"} : route;
  s.name = req.method + " " + shown;
  s.kind = providers::span_kind::server;
  s.start_ns = start_ns;
  s.end_ns = providers::unix_now_ns();
  s.error = status >= 500;
  s.attributes = {{"http.request.method", req.method},
                  {"http.route", shown},
                  {"hishamos.request_id", req.request_id}};
  s.numbers = {{"http.response.status_code", status}};
  spans->record(std::move(s));
}

std::optional<response> server_core::refused(request& req) {
  return refused(req, routes.match(req));
}

std::optional<response>
server_core::refused(request& req,
                     const std::optional<router::route_info>& found) {
  std::optional<permission> needs;
  if (found)
    needs = found->needs;
  // No route: 404 or 405 whoever asks (the table is public in
  // /api/openapi.json anyway); open and sign-in routes need no header.
  if (!needs || *needs == permission::open || *needs == permission::sign_in)
    return std::nullopt;
  auto header = [&](const char* name) {
    auto it = req.headers.find(name);
    return it == req.headers.end() ? std::string{} : it->second;
  };
  auto who =
      accounts.authenticate(header("authorization"), header("x-api-key"));
  if (!who) {
    const auto& d = *who.error;
    spdlog::warn("refused a credential from {} for {} {}: {} (request {})",
                 req.remote_addr, req.method, bounded(req.path, 100), d.message,
                 req.request_id);
    auto res = error_response({d.status, d.code, d.message, {{"fix", d.fix}}});
    if (d.status == 401)
      res.headers["WWW-Authenticate"] =
          "Bearer realm=\"hishamos\", error=\"invalid_token\"";
    return res;
  }
  req.who = who.value;
  if (req.who.must_enrol_totp && *needs != permission::authenticated)
    return error_response(
        {403,
         "totp_enrolment_required",
         "an admin signs in with 2FA: enrol it before anything else",
         {{"fix", "POST /api/v1/auth/totp/enrol, then "
                  "/api/v1/auth/totp/confirm with a code, then sign in "
                  "again"}}});
  if (!security::role_permits(req.who.role, *needs))
    return error_response(
        {403,
         "forbidden",
         "role " + req.who.role + " may not " + security::to_string(*needs),
         {{"needs", security::to_string(*needs)},
          {"fix", "ask an admin for a role that may"}}});
  return std::nullopt;
}

rate_decision server_core::rate_of(const request& req) {
  if (req.who.user_id.empty())
    return {};
  bool by_key = !req.who.api_key_id.empty();
  return rates.admit(
      by_key ? "key:" + req.who.api_key_id : "user:" + req.who.user_id,
      by_key ? limits.key_requests_per_window : limits.user_requests_per_window,
      std::chrono::seconds{limits.rate_window_s});
}

void add_rate_headers(response& res, const rate_decision& d) {
  res.headers["RateLimit-Limit"] = std::to_string(d.limit);
  res.headers["RateLimit-Remaining"] = std::to_string(d.remaining);
  res.headers["RateLimit-Reset"] =
      std::to_string(d.allowed ? d.window_s : d.retry_after_s);
  res.headers["RateLimit-Policy"] =
      std::to_string(d.limit) + ";w=" + std::to_string(d.window_s);
  if (!d.allowed)
    res.headers["Retry-After"] = std::to_string(d.retry_after_s);
}

response rate_limited(const rate_decision& d, const std::string& what) {
  auto res = error_response(
      {429,
       "rate_limited",
       "too many " + what + ": at most " + std::to_string(d.limit) + " in " +
           std::to_string(d.window_s) + " s",
       {{"fix", "retry after " + std::to_string(d.retry_after_s) +
                    " s (Retry-After)"}}});
  add_rate_headers(res, d);
  return res;
}

// A handler that throws answers 500 in the error format, never an empty
// body or a dead worker; what was thrown is logged, bounded, with the
// request id the client sees.
response server_core::dispatch_guarded(const request& req) {
  std::string what;
  try {
    return routes.dispatch(req);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "an exception of unknown type";
  }
  spdlog::error("{} {} (request {}) failed on an internal error: {}",
                req.method, bounded(req.path, 128), req.request_id,
                bounded(what, 200));
  return error_response(
      {500,
       "internal_error",
       "the request failed on an internal error; it is logged under its "
       "request id",
       {{"request_id", req.request_id}}});
}

std::optional<response> server_core::unaudited(const request& req,
                                               const std::string& route) {
  if (req.method == "GET" || req.who.user_id.empty())
    return std::nullopt;
  nlohmann::json details{{"route", route},
                         {"client", req.remote_addr},
                         {"request_id", req.request_id},
                         {"username", req.who.username}};
  details["path"] = bounded(req.path, 256);
  if (!req.who.api_key_id.empty())
    details["api_key_id"] = req.who.api_key_id;
  auto st = audits.write({req.who.user_id, "request." + req.method,
                          details.dump(), persistence::now_ms()});
  if (st)
    return std::nullopt;
  spdlog::error("refused {} {} (request {}): its audit record cannot be "
                "written: {}",
                req.method, route, req.request_id, st.message);
  auto res = error_response(
      {503,
       "audit_unavailable",
       "the request is refused: its audit record cannot be written",
       {{"fix", "retry later; /ready says when the store is back"}}});
  res.headers["Retry-After"] = "1";
  return res;
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
