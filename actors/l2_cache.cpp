#include "actors/l2_cache.hpp"

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "providers/redis_cache.hpp"

namespace hishamos::actors {

namespace {

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
      [self](const admission_request& a) {
        auto& r = *self->state.redis;
        auto wait =
            r.reserve(a.window, a.reservation, a.tokens, a.requests_per_minute,
                      a.tokens_per_minute, a.window_ms);
        return admission_answer{wait, r.down()};
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

} // namespace

caf::actor spawn_l2_cache(caf::local_actor* parent,
                          providers::redis_address where,
                          std::chrono::milliseconds ttl) {
  return parent->spawn<caf::detached + caf::linked>(l2_actor, std::move(where),
                                                    ttl);
}

} // namespace hishamos::actors
