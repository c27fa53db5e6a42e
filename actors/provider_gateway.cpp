#include "actors/provider_gateway.hpp"

#include <chrono>
#include <random>
#include <unordered_map>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/messages.hpp"
#include "providers/adapters.hpp"
#include "providers/http_client.hpp"
#include "providers/local_provider.hpp"
#include "providers/redis_cache.hpp"
#include "providers/resilience.hpp"
#include "providers/response_cache.hpp"
#include "providers/secrets.hpp"

namespace hishamos::actors {

namespace {

using providers::clock;
using providers::milliseconds;

/// One call on its way: the agents waiting for it (more than one when
/// identical calls were coalesced), and where it is.
struct pending_call {
  provider_call call;
  std::vector<caf::typed_response_promise<provider_answer>> waiters;
  std::string key;     ///< Cache key; "" = not cacheable.
  size_t provider = 0; ///< 0 = call.provider, i = call.fallbacks[i - 1].
  int retry = 0;       ///< Retries on the current provider.
  int attempts = 0;    ///< Upstream requests, all providers.
  std::string api_key; ///< Resolved for the request under way only.
  std::int64_t reservation = -1;  ///< In this node's window.
  std::string shared_reservation; ///< In Redis's window; "" = none.
  std::string window;             ///< Admission window of the reservation.
  std::string last_error;
  bool last_retryable = false;
};

struct gateway_state {
  static inline const char* name = "hishamos.provider_gateway";
  gateway_settings cfg;
  std::unique_ptr<providers::http_client> http;
  std::map<std::string, providers::circuit_breaker> breakers;
  std::map<std::string, providers::minute_window> windows;
  std::unique_ptr<providers::response_cache> l1;
  std::unordered_map<std::uint64_t, pending_call> calls;
  std::unordered_map<std::string, std::uint64_t> upstream; ///< key -> call
  std::uint64_t next_id = 0;
  std::mt19937_64 rng;
  std::uint64_t upstream_requests = 0, hits = 0, misses = 0, coalesced = 0;
  caf::actor l2; ///< null = no Redis configured.
  std::uint64_t l2_hits = 0, l2_misses = 0;
  std::string l2_down;  ///< Why Redis is not used now, as last heard.
  std::string instance; ///< Names this gateway's reservations in Redis.
  std::uint64_t reservations = 0;
};

std::int64_t estimate_of(const provider_call& c) {
  return providers::estimate_tokens(c.prompt) + c.max_tokens;
}

using gateway_self = caf::stateful_actor<gateway_state>;

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

void attempt(gateway_self* self, std::uint64_t id);
void note_l2(gateway_self* self, const std::string& down);

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
  auto key = providers::resolve_secret(ps.api_key, st.cfg.secrets_dir);
  if (!key)
    return fail_here(self, id, key.errors().front().to_string(), false);
  pc.api_key = *key;
  providers::chat_call call{pc.call.model, pc.call.prompt, pc.call.temperature,
                            pc.call.max_tokens};
  ++pc.attempts;
  ++st.upstream_requests;
  // A weak handle: the client's pending calls must not keep it alive.
  auto me = self->address();
  st.http->submit(providers::build_request(ps, call, pc.api_key),
                  [me, id](providers::http_response r) {
                    if (auto alive = caf::actor_cast<caf::actor>(me))
                      caf::anon_send(alive, http_done_atom::value, id,
                                     std::move(r));
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
  self->request(st.l2, std::chrono::seconds{2}, limit_atom::value, pc.window,
                pc.shared_reservation, estimate_of(pc.call),
                ps.requests_per_minute, ps.tokens_per_minute,
                ps.limit_window_ms)
      .then(
          [self, id](std::int64_t wait, std::string& down) {
            note_l2(self, down);
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
  auto r = providers::parse_response(ps.type, res);
  r.text = providers::redact(std::move(r.text), pc.api_key);
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

struct l2_state {
  static inline const char* name = "hishamos.l2_cache";
  std::unique_ptr<providers::redis_cache> redis;
};

// Redis calls block: this actor has a thread of its own.
caf::behavior l2_actor(caf::stateful_actor<l2_state>* self,
                       providers::redis_address where,
                       std::chrono::milliseconds ttl) {
  self->state.redis = std::make_unique<providers::redis_cache>(where, ttl);
  return {
      [self](l2_get_atom, const std::string& key) {
        auto& r = *self->state.redis;
        l2_entry e;
        if (auto hit = r.get(key))
          e = {true, std::move(hit->text), hit->tokens_in, hit->tokens_out,
               hit->cost};
        e.down = r.down();
        return e;
      },
      [self](limit_atom, const std::string& window, const std::string& id,
             std::int64_t tokens, std::int64_t rpm, std::int64_t tpm,
             std::int64_t window_ms) {
        auto& r = *self->state.redis;
        auto wait = r.reserve(window, id, tokens, rpm, tpm, window_ms);
        return std::make_tuple(wait, r.down());
      },
      [self](settle_atom, const std::string& window, const std::string& id,
             std::int64_t tokens) {
        self->state.redis->settle(window, id, tokens);
      },
      [self](l2_put_atom, const std::string& key, const l2_entry& e) {
        self->state.redis->put(key,
                               {e.text, e.tokens_in, e.tokens_out, e.cost});
      },
  };
}

caf::result<provider_answer> call(gateway_self* self, provider_call& c) {
  auto& st = self->state;
  auto rp = self->make_response_promise<provider_answer>();
  auto p = st.cfg.providers.find(c.provider);
  if (p == st.cfg.providers.end()) {
    rp.deliver(provider_answer{false, "no provider '" + c.provider +
                                          "' in this node's config"});
    return rp;
  }
  std::string key;
  if (c.temperature == 0 || c.cache)
    key = providers::cache_key(
        p->second, {c.model, c.prompt, c.temperature, c.max_tokens});
  if (!key.empty()) {
    if (auto hit = st.l1->get(key)) {
      ++st.hits;
      provider_answer a{true,
                        std::move(hit->text),
                        false,
                        hit->tokens_in,
                        hit->tokens_out,
                        hit->tokens_in,
                        0,
                        hit->cost,
                        "l1",
                        c.provider,
                        0,
                        c.model};
      rp.deliver(std::move(a));
      return rp;
    }
    ++st.misses;
    if (auto up = st.upstream.find(key); up != st.upstream.end()) {
      ++st.coalesced;
      st.calls.at(up->second).waiters.push_back(rp);
      return rp;
    }
  }
  auto id = st.next_id++;
  pending_call pc;
  pc.call = std::move(c);
  pc.waiters.push_back(rp);
  pc.key = key;
  st.calls.emplace(id, std::move(pc));
  if (!key.empty())
    st.upstream[key] = id;
  if (key.empty() || !st.l2) {
    attempt(self, id);
    return rp;
  }
  self->request(st.l2, std::chrono::seconds{2}, l2_get_atom::value, key)
      .then(
          [self, id, key](l2_entry& e) {
            auto& st = self->state;
            note_l2(self, e.down);
            if (!e.found) {
              ++st.l2_misses;
              return attempt(self, id);
            }
            ++st.l2_hits;
            st.l1->put(key, {e.text, e.tokens_in, e.tokens_out, e.cost});
            provider_answer a{true,
                              std::move(e.text),
                              false,
                              e.tokens_in,
                              e.tokens_out,
                              e.tokens_in,
                              0,
                              e.cost,
                              "l2",
                              st.calls.at(id).call.provider,
                              0,
                              st.calls.at(id).call.model};
            deliver(self, id, std::move(a));
          },
          [self, id](caf::error& e) {
            note_l2(self, "the cache actor did not answer: " +
                              self->system().render(e));
            attempt(self, id);
          });
  return rp;
}

model::gateway_stats stats(const gateway_state& st) {
  model::gateway_stats out;
  out.in_flight = static_cast<double>(st.http->in_flight());
  out.upstream_requests = static_cast<double>(st.upstream_requests);
  out.coalesced = static_cast<double>(st.coalesced);
  out.l1_entries = static_cast<double>(st.l1->size());
  out.l1_bytes = static_cast<double>(st.l1->bytes());
  out.l1_hits = static_cast<double>(st.hits);
  out.l1_misses = static_cast<double>(st.misses);
  out.l2_hits = static_cast<double>(st.l2_hits);
  out.l2_misses = static_cast<double>(st.l2_misses);
  out.l2_down = st.l2_down;
  auto now = clock::now();
  for (const auto& [name, b] : st.breakers)
    out.breakers[name] = providers::circuit_breaker::name(b.current(now));
  return out;
}

caf::behavior gateway(gateway_self* self, gateway_settings cfg) {
  auto& st = self->state;
  st.rng.seed(cfg.seed != 0 ? cfg.seed
                            : static_cast<std::uint64_t>(
                                  clock::now().time_since_epoch().count()));
  st.instance = std::to_string(st.rng());
  st.l1 = std::make_unique<providers::response_cache>(
      static_cast<size_t>(cfg.l1_cache_bytes));
  st.cfg = std::move(cfg);
  st.http = std::make_unique<providers::http_client>();
  if (!st.cfg.redis_url.empty()) {
    if (auto where = providers::parse_redis_url(st.cfg.redis_url))
      st.l2 = self->spawn<caf::detached + caf::linked>(l2_actor, *where,
                                                       st.cfg.l2_ttl);
    else
      spdlog::error("no L2 cache: {}", where.errors().front().to_string());
  }
  return {
      [self](provider_call& c) { return call(self, c); },
      [self](http_done_atom, std::uint64_t id, providers::http_response& r) {
        answered(self, id, r);
      },
      [self](retry_atom, std::uint64_t id) {
        if (self->state.calls.count(id))
          attempt(self, id);
      },
      [self](stats_atom) { return stats(self->state); },
  };
}

} // namespace

caf::actor spawn_provider_gateway(caf::actor_system& sys,
                                  gateway_settings settings) {
  return sys.spawn(gateway, std::move(settings));
}

} // namespace hishamos::actors
