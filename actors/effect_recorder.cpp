// The effect ledger's writer: a detached actor with a connection of its
// own, so that agents never block a scheduler thread on the ledger.

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/agent.hpp"
#include "actors/messages.hpp"

namespace hishamos::actors {

namespace {

struct recorder_state {
  static inline const char* name = "hishamos.effect_recorder";
  std::string url;
  std::unique_ptr<persistence::effect_ledger> ledger;
};

caf::behavior effect_recorder(caf::stateful_actor<recorder_state>* self,
                              std::string url) {
  self->state.url = std::move(url);
  return {
      [self](persistence::effect& e) -> store_ack {
        auto& st = self->state;
        if (!st.ledger) { // (re)opened on demand: the database may come back
          auto opened = persistence::open_effect_ledger(st.url);
          if (!opened)
            return {opened.st.code, opened.st.message};
          st.ledger = std::move(opened.value);
        }
        auto done = st.ledger->record(e);
        if (!done) {
          spdlog::warn("effect ledger: {}", done.message);
          st.ledger.reset();
        }
        return {done.code, done.message};
      },
  };
}

} // namespace

caf::actor spawn_effect_recorder(caf::actor_system& sys, std::string url) {
  return sys.spawn<caf::detached>(effect_recorder, std::move(url));
}

} // namespace hishamos::actors
