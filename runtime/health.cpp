// Health: a node whose node-wide actors (dispatcher, persistence
// supervisor, batch processor, gateway, lock authority, membership, budget
// keeper) are alive. One that fails (an exception its handler logged, a
// kill) is not restarted in place: the node reports itself unhealthy
// (/health 503, /ready 503) so that whoever runs it restarts the process,
// and every execution resumes from its checkpoints. Crash-only, because a
// half-working node (no dispatcher) would hold leases and do nothing.

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/exit_reason.hpp>
#include <spdlog/spdlog.h>

#include "runtime/internal/node_impl.hpp"

namespace hishamos {

void node::impl::watch_health() {
  auto watch = [this](const caf::strong_actor_ptr& a, const char* name) {
    if (!a)
      return;
    a->get()->attach_functor([this, name](const caf::error& reason) {
      if (draining || !reason || reason == caf::exit_reason::user_shutdown ||
          reason == caf::exit_reason::normal)
        return;
      {
        std::lock_guard<std::mutex> guard{mx};
        if (broken.empty())
          broken = std::string{name} + " failed: " + sys->render(reason);
      }
      spdlog::critical("node {} is unhealthy: its {} failed ({}); restart "
                       "it: executions resume from their checkpoints",
                       opts.config.node_id, name, sys->render(reason));
    });
  };
  using caf::actor_cast;
  using caf::strong_actor_ptr;
  watch(actor_cast<strong_actor_ptr>(dispatcher), "dispatcher");
  watch(actor_cast<strong_actor_ptr>(supervisor), "persistence supervisor");
  watch(actor_cast<strong_actor_ptr>(batch), "batch processor");
  watch(actor_cast<strong_actor_ptr>(gateway), "provider gateway");
  watch(actor_cast<strong_actor_ptr>(lock_authority), "lock authority");
  watch(actor_cast<strong_actor_ptr>(membership), "membership");
  watch(actor_cast<strong_actor_ptr>(budgets), "budget keeper");
}

std::string node::unhealthy_reason() {
  std::lock_guard<std::mutex> guard{impl_->mx};
  return impl_->broken;
}

} // namespace hishamos
