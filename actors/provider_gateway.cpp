#include "actors/provider_gateway.hpp"
#include "actors/internal/exceptions.hpp"

#include <spdlog/spdlog.h>

#include "actors/internal/gateway_state.hpp"
#include "actors/l2_cache.hpp"
#include "providers/adapters.hpp"
#include "providers/redis_cache.hpp"

namespace hishamos::actors::gateway_internal {

namespace {

// A cache hit's answer: no upstream call, nothing spent, all of its input
// tokens cached; `cost_avoided` is what the call cost when it was made.
provider_answer cached(std::string text, int tokens_in, int tokens_out,
                       double cost_avoided, const char* layer,
                       const provider_call& c) {
  return {true, std::move(text), false, tokens_in,  tokens_out, tokens_in,
          0,    cost_avoided,    layer, c.provider, 0,          c.model};
}

// Asks the L2 cache (Redis) before going upstream.
void look_up_l2(gateway_self* self, std::uint64_t id, const std::string& key) {
  self->request(self->state.l2, std::chrono::seconds{2}, l2_get_atom::value,
                key)
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
            deliver(self, id,
                    cached(std::move(e.text), e.tokens_in, e.tokens_out, e.cost,
                           "l2", st.calls.at(id).call));
          },
          [self, id](caf::error& e) {
            note_l2(self, "the cache actor did not answer: " +
                              self->system().render(e));
            attempt(self, id);
          });
}

// Answers from L1, or joins an identical call already on its way; false
// when neither can.
bool answer_from_l1(gateway_state& st, const std::string& key,
                    const provider_call& c,
                    caf::typed_response_promise<provider_answer>& rp) {
  if (auto hit = st.l1->get(key)) {
    ++st.hits;
    rp.deliver(cached(std::move(hit->text), hit->tokens_in, hit->tokens_out,
                      hit->cost, "l1", c));
    return true;
  }
  ++st.misses;
  if (auto up = st.upstream.find(key); up != st.upstream.end()) {
    ++st.coalesced;
    st.calls.at(up->second).waiters.push_back(rp);
    return true;
  }
  return false;
}

} // namespace

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
  if (!key.empty() && answer_from_l1(st, key, c, rp))
    return rp;
  auto id = st.next_id++;
  pending_call pc;
  if (auto t = model::parse_traceparent(c.traceparent))
    pc.trace = std::move(*t);
  pc.call = std::move(c);
  pc.waiters.push_back(rp);
  pc.key = key;
  st.calls.emplace(id, std::move(pc));
  if (!key.empty())
    st.upstream[key] = id;
  if (key.empty() || !st.l2)
    attempt(self, id);
  else
    look_up_l2(self, id, key);
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
  log_exceptions(self, "provider gateway");
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
      st.l2 = spawn_l2_cache(self, *where, st.cfg.l2_ttl);
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

} // namespace hishamos::actors::gateway_internal

namespace hishamos::actors {

caf::actor spawn_provider_gateway(caf::actor_system& sys,
                                  gateway_settings settings) {
  return sys.spawn(gateway_internal::gateway, std::move(settings));
}

} // namespace hishamos::actors
