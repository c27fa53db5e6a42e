// The provider gateway's way upstream: admission (per node, or
// cluster-wide through the L2 cache actor), the request through the HTTP
// client, retries with backoff and full jitter (Retry-After honoured),
// circuit breakers and fallbacks.

#include <spdlog/spdlog.h>

#include "actors/internal/gateway_state.hpp"
#include "model/log_context.hpp"
#include "providers/adapters.hpp"
#include "providers/local_provider.hpp"
#include "providers/secrets.hpp"

namespace hishamos::actors::gateway_internal {

namespace {

std::int64_t estimate_of(const provider_call& c) {
  return providers::estimate_tokens(c.prompt) + c.max_tokens;
}

const std::string& provider_name(const pending_call& pc) {
  return pc.provider == 0 ? pc.call.provider
                          : pc.call.fallbacks[pc.provider - 1];
}

providers::circuit_breaker& breaker_of(gateway_state& st,
                                       const std::string& name,
                                       const config::provider_settings& p) {
  auto it = st.breakers.find(name);
  if (it == st.breakers.end())
    it = st.breakers
             .emplace(name,
                      providers::circuit_breaker{
                          p.breaker_failures, milliseconds{p.breaker_open_ms}})
             .first;
  return it->second;
}

// The upstream request's span opens: its traceparent goes with the
// request, so the provider's own traces join the step's.
void open_request_span(pending_call& pc, providers::http_request& req) {
  if (pc.trace.empty())
    return;
  auto request = pc.trace.child();
  pc.request_span = request.span_id;
  pc.request_start_ns = providers::unix_now_ns();
  req.headers.push_back("traceparent: " + request.traceparent());
}

// ... and closes with its answer, as OpenTelemetry's conventions for model
// calls name it ("chat <model>", gen_ai.*).
void close_request_span(gateway_state& st, pending_call& pc,
                        const std::string& provider, const std::string& type,
                        const providers::http_response& res, bool ok) {
  if (pc.request_span.empty() || !st.cfg.spans || !pc.trace.sampled)
    return pc.request_span.clear();
  providers::span s;
  s.trace_id = pc.trace.trace_id;
  s.span_id = std::move(pc.request_span);
  s.parent_span_id = pc.trace.span_id;
  s.name = "chat " + pc.call.model;
  s.kind = providers::span_kind::client;
  s.start_ns = pc.request_start_ns;
  s.end_ns = providers::unix_now_ns();
  s.error = !ok;
  if (!ok)
    s.status_message =
        res.status == 0 ? res.error : "HTTP " + std::to_string(res.status);
  s.attributes = {{"gen_ai.operation.name", "chat"},
                  {"gen_ai.system", type},
                  {"gen_ai.request.model", pc.call.model},
                  {"hishamos.provider", provider}};
  s.numbers = {{"http.response.status_code", res.status},
               {"hishamos.attempt", pc.attempts}};
  st.cfg.spans->record(std::move(s));
  pc.request_span.clear();
}

} // namespace

double price_of(const config::provider_settings& p, const std::string& model,
                int in, int out) {
  auto it = p.prices.find(model);
  if (it == p.prices.end())
    return 0;
  return in / 1000.0 * it->second.first + out / 1000.0 * it->second.second;
}

void deliver(gateway_self* self, std::uint64_t id, provider_answer a) {
  auto& st = self->state;
  auto it = st.calls.find(id);
  if (it == st.calls.end())
    return;
  for (auto& rp : it->second.waiters)
    rp.deliver(a);
  if (!it->second.key.empty())
    st.upstream.erase(it->second.key);
  st.calls.erase(it);
}

// The current provider failed the call for good: the next fallback takes
// it, or its agents hear the last error.
void next_provider(gateway_self* self, std::uint64_t id) {
  auto& pc = self->state.calls.at(id);
  ++pc.provider;
  pc.retry = 0;
  if (pc.provider <= pc.call.fallbacks.size()) {
    spdlog::warn("provider call falls back to '{}': {}", provider_name(pc),
                 pc.last_error);
    return attempt(self, id);
  }
  provider_answer a;
  a.text = pc.last_error;
  a.retryable = pc.last_retryable;
  a.attempts = pc.attempts;
  deliver(self, id, std::move(a));
}

void fail_here(gateway_self* self, std::uint64_t id, std::string why,
               bool retryable) {
  auto& pc = self->state.calls.at(id);
  pc.last_error = "provider '" + provider_name(pc) + "': " + std::move(why);
  pc.last_retryable = retryable;
  next_provider(self, id);
}

// Past admission: the breaker, the key, then the request.
void send_upstream(gateway_self* self, std::uint64_t id) {
  auto& st = self->state;
  auto& pc = st.calls.at(id);
  const auto& name = provider_name(pc);
  const auto& ps = st.cfg.providers.at(name);
  auto now = clock::now();
  if (!breaker_of(st, name, ps).allow(now))
    return fail_here(self, id, "circuit breaker open after repeated failures",
                     true);
  auto key = providers::resolve_secret(ps.api_key, st.cfg.secrets_dir,
                                       st.cfg.stored_secrets.get());
  if (!key)
    return fail_here(self, id, key.errors().front().to_string(), false);
  pc.api_key = *key;
  providers::chat_call call{pc.call.model, pc.call.prompt, pc.call.temperature,
                            pc.call.max_tokens};
  ++pc.attempts;
  ++st.upstream_requests;
  // A weak handle: the client's pending calls must not keep it alive.
  auto me = self->address();
  auto req = providers::build_request(ps, call, pc.api_key);
  open_request_span(pc, req);
  st.http->submit(std::move(req), [me, id](providers::http_response r) {
    if (auto alive = caf::actor_cast<caf::actor>(me))
      caf::anon_send(alive, http_done_atom::value, id, std::move(r));
  });
}

// This node's own window: the limits hold per node (no Redis, or Redis
// unavailable).
void admit_locally(gateway_self* self, std::uint64_t id) {
  auto& st = self->state;
  auto& pc = st.calls.at(id);
  const auto& ps = st.cfg.providers.at(provider_name(pc));
  auto w = st.windows.find(pc.window);
  if (w == st.windows.end())
    w = st.windows
            .emplace(pc.window,
                     providers::minute_window{ps.requests_per_minute,
                                              ps.tokens_per_minute,
                                              milliseconds{ps.limit_window_ms}})
            .first;
  milliseconds wait{0};
  pc.reservation = w->second.reserve(estimate_of(pc.call), clock::now(), wait);
  if (pc.reservation < 0)
    return self->delayed_send(self, wait, retry_atom::value, id);
  send_upstream(self, id);
}

// Admission first: a call that waits its turn holds no breaker trial. With
// Redis, one window for the whole cluster; it waits, it is never failed.
void attempt(gateway_self* self, std::uint64_t id) {
  auto& st = self->state;
  auto& pc = st.calls.at(id);
  const auto& name = provider_name(pc);
  auto p = st.cfg.providers.find(name);
  if (p == st.cfg.providers.end() || p->second.type == "local")
    return fail_here(self, id, "not an HTTP provider of this node's config",
                     false);
  const auto& ps = p->second;
  pc.window = name + "/" + pc.call.model + "/" + ps.api_key;
  if (ps.requests_per_minute <= 0 && ps.tokens_per_minute <= 0)
    return send_upstream(self, id);
  if (!st.l2 || !st.l2_down.empty())
    return admit_locally(self, id);
  pc.shared_reservation = st.instance + "-" + std::to_string(st.reservations++);
  admission_request ask{pc.window,
                        pc.shared_reservation,
                        estimate_of(pc.call),
                        ps.requests_per_minute,
                        ps.tokens_per_minute,
                        ps.limit_window_ms};
  self->request(st.l2, std::chrono::seconds{2}, std::move(ask))
      .then(
          [self, id](admission_answer& answer) {
            note_l2(self, answer.down);
            auto wait = answer.wait_ms;
            auto it = self->state.calls.find(id);
            if (it == self->state.calls.end())
              return;
            if (wait == 0)
              return send_upstream(self, id);
            if (wait > 0)
              return self->delayed_send(self, milliseconds{wait},
                                        retry_atom::value, id);
            it->second.shared_reservation.clear();
            admit_locally(self, id);
          },
          [self, id](caf::error& e) {
            note_l2(self, "the cache actor did not answer: " +
                              self->system().render(e));
            if (auto it = self->state.calls.find(id);
                it != self->state.calls.end()) {
              it->second.shared_reservation.clear();
              admit_locally(self, id);
            }
          });
}

void answered(gateway_self* self, std::uint64_t id,
              providers::http_response& res) {
  auto& st = self->state;
  auto it = st.calls.find(id);
  if (it == st.calls.end())
    return;
  auto& pc = it->second;
  const auto& name = provider_name(pc);
  const auto& ps = st.cfg.providers.at(name);
  // Redacted before parsing: the error message keeps only an excerpt of
  // the body, and a key cut by the excerpt would no longer be found.
  res.body = providers::redact(std::move(res.body), pc.api_key);
  res.error = providers::redact(std::move(res.error), pc.api_key);
  auto r = providers::parse_response(ps.type, res);
  r.text = providers::redact(std::move(r.text), pc.api_key);
  close_request_span(st, pc, name, ps.type, res, r.ok);
  pc.api_key.clear();
  if (r.ok && pc.reservation >= 0)
    st.windows.at(pc.window).settle(pc.reservation, r.tokens_in + r.tokens_out);
  if (r.ok && !pc.shared_reservation.empty() && st.l2)
    self->send(st.l2, settle_atom::value, pc.window, pc.shared_reservation,
               static_cast<std::int64_t>(r.tokens_in + r.tokens_out));
  pc.reservation = -1;
  pc.shared_reservation.clear();
  auto& breaker = breaker_of(st, name, ps);
  auto now = clock::now();
  if (r.ok) {
    breaker.on_success();
    provider_answer a{true,
                      std::move(r.text),
                      false,
                      r.tokens_in,
                      r.tokens_out,
                      r.cached_tokens,
                      price_of(ps, pc.call.model, r.tokens_in, r.tokens_out),
                      0,
                      "",
                      name,
                      pc.attempts,
                      pc.call.model};
    if (!pc.key.empty()) {
      st.l1->put(pc.key, {a.text, a.tokens_in, a.tokens_out, a.cost});
      if (st.l2)
        self->send(st.l2, l2_put_atom::value, pc.key,
                   l2_entry{true, a.text, a.tokens_in, a.tokens_out, a.cost});
    }
    return deliver(self, id, std::move(a));
  }
  if (!r.retryable)
    return fail_here(self, id, r.text, false);
  breaker.on_failure(now);
  if (pc.retry >= ps.max_retries)
    return fail_here(self, id,
                     r.text + " (after " + std::to_string(pc.retry + 1) +
                         " attempts)",
                     true);
  auto delay = providers::backoff_delay(pc.retry++, milliseconds{ps.backoff_ms},
                                        milliseconds{ps.max_backoff_ms},
                                        r.retry_after_ms, st.rng);
  model::log_scope about{{"", "", "", pc.trace.trace_id}};
  spdlog::info("provider '{}' call failed ({}); retry {} in {} ms", name,
               r.text.substr(0, 120), pc.retry, delay.count());
  self->delayed_send(self, delay, retry_atom::value, id);
}

// Logs when Redis goes away and comes back; calls go on with L1 alone.
void note_l2(gateway_self* self, const std::string& down) {
  auto& st = self->state;
  if (down == st.l2_down)
    return;
  if (down.empty())
    spdlog::info("the L2 cache (Redis) is back");
  else if (st.l2_down.empty())
    spdlog::warn("the L2 cache (Redis) is unavailable, calls use L1 only: {}",
                 down);
  st.l2_down = down;
}

} // namespace hishamos::actors::gateway_internal
