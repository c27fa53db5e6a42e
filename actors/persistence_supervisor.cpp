#include "actors/persistence_supervisor.hpp"

#include <algorithm>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/messages.hpp"

namespace hishamos::actors {

namespace {

using persistence::errc;

struct writer_state {
  static inline const char* name = "hishamos.checkpoint_writer";
  std::unique_ptr<persistence::store> db;
};

using writer_self = caf::stateful_actor<writer_state>;

// Turns a store status into an ack; a lost connection also ends the writer
// so that its supervisor opens a fresh one.
store_ack settle(writer_self* self, const persistence::status& st) {
  if (!st && persistence::is_retryable(st.code)) {
    spdlog::warn("checkpoint writer: {}; restarting", st.message);
    self->quit(caf::make_error(caf::sec::runtime_error, st.message));
  }
  return {st.code, st.message};
}

caf::behavior checkpoint_writer(writer_self* self, store_factory factory) {
  auto opened = factory();
  if (!opened) {
    spdlog::error("checkpoint writer cannot open the store: {}",
                  opened.st.message);
    self->quit(caf::make_error(caf::sec::runtime_error, opened.st.message));
    return {};
  }
  self->state.db = std::move(opened.value);
  return {
      [self](persistence::checkpoint& cp) {
        auto saved = self->state.db->save_checkpoints({cp});
        if (!saved)
          return settle(self, saved.st);
        return settle(self, saved.value.front());
      },
      [self](persistence::state_change& change) {
        return settle(self, self->state.db->change_state(change));
      },
      [self](persistence::execution_record& x) {
        return settle(self, self->state.db->create_execution(x));
      },
  };
}

struct supervisor_state {
  static inline const char* name = "hishamos.persistence_supervisor";
  store_factory factory;
  std::shared_ptr<node_metrics> metrics;
  caf::actor writer;
  std::chrono::milliseconds backoff{50};
};

using supervisor_self = caf::stateful_actor<supervisor_state>;

void spawn_writer(supervisor_self* self) {
  self->state.writer = self->spawn<caf::detached + caf::monitored>(
      checkpoint_writer, self->state.factory);
}

// Forwards a request to the writer and relays its ack; a writer that dies
// before answering yields a retryable ack.
template <class T>
caf::result<store_ack> forward(supervisor_self* self, T& msg) {
  if (!self->state.writer)
    return store_ack{errc::unavailable, "checkpoint writer is restarting"};
  auto rp = self->make_response_promise<store_ack>();
  self->request(self->state.writer, caf::infinite, std::move(msg))
      .then(
          [self, rp](store_ack& ack) mutable {
            if (ack.code == errc::ok) // a healthy writer earns a fresh backoff
              self->state.backoff = std::chrono::milliseconds{50};
            rp.deliver(std::move(ack));
          },
          [self, rp](caf::error& e) mutable {
            rp.deliver(
                store_ack{errc::unavailable, "checkpoint writer stopped: " +
                                                 self->system().render(e)});
          });
  return rp;
}

caf::behavior persistence_supervisor(supervisor_self* self,
                                     store_factory factory,
                                     std::shared_ptr<node_metrics> metrics) {
  self->state.factory = std::move(factory);
  self->state.metrics = std::move(metrics);
  spawn_writer(self);
  self->set_down_handler([self](caf::down_msg& dm) {
    if (dm.source != self->state.writer.address())
      return;
    self->state.writer = nullptr;
    auto delay = self->state.backoff;
    self->state.backoff = std::min(delay * 2, std::chrono::milliseconds{5000});
    spdlog::warn("checkpoint writer died ({}); restarting in {} ms",
                 self->system().render(dm.reason), delay.count());
    self->delayed_send(self, delay, respawn_atom::value);
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    if (self->state.writer)
      self->send_exit(self->state.writer, msg.reason);
    self->quit(msg.reason);
  });
  return {
      [self](persistence::checkpoint& cp) { return forward(self, cp); },
      [self](persistence::state_change& c) { return forward(self, c); },
      [self](persistence::execution_record& x) { return forward(self, x); },
      [self](respawn_atom) {
        spawn_writer(self);
        self->state.metrics->writer_restarted();
      },
      [self](writer_atom) { return self->state.writer; },
  };
}

} // namespace

caf::actor spawn_persistence_supervisor(caf::actor_system& sys,
                                        store_factory factory,
                                        std::shared_ptr<node_metrics> metrics) {
  return sys.spawn(persistence_supervisor, std::move(factory),
                   std::move(metrics));
}

} // namespace hishamos::actors
