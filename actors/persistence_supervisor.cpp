#include "actors/persistence_supervisor.hpp"

#include <algorithm>
#include <map>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/interfaces.hpp"
#include "actors/messages.hpp"

namespace hishamos::actors {

namespace {

using persistence::errc;

struct pending_checkpoint {
  persistence::checkpoint cp;
  caf::typed_response_promise<store_ack> rp;
};

struct writer_state {
  static inline const char* name = "hishamos.checkpoint_writer";
  std::unique_ptr<persistence::store> db;
  std::shared_ptr<node_metrics> metrics;
  std::vector<pending_checkpoint> pending; ///< Waiting for the next commit.
  bool flush_scheduled = false;
};

using writer_self = caf::stateful_actor<writer_state>;

// A lost connection ends the writer so that its supervisor opens a fresh
// one; the senders of the checkpoints it held resend them.
void die_if_disconnected(writer_self* self, const persistence::status& st) {
  if (!st && persistence::is_retryable(st.code)) {
    spdlog::warn("checkpoint writer: {}; restarting", st.message);
    self->quit(caf::make_error(caf::sec::runtime_error, st.message));
  }
}

store_ack settle(writer_self* self, const persistence::status& st) {
  die_if_disconnected(self, st);
  return {st.code, st.message};
}

// Group commit: every checkpoint that arrived before the flush message
// (which queues behind them) goes into one transaction, then each is
// acknowledged. While one commit runs, the next batch gathers.
void flush(writer_self* self) {
  auto batch = std::move(self->state.pending);
  self->state.pending.clear();
  self->state.flush_scheduled = false;
  std::vector<persistence::checkpoint> cps;
  for (const auto& p : batch)
    cps.push_back(p.cp);
  auto saved = self->state.db->save_checkpoints(cps);
  self->state.metrics->checkpoints_committed(cps.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& st = saved ? saved.value[i] : saved.st;
    batch[i].rp.deliver(store_ack{st.code, st.message});
  }
  die_if_disconnected(self, saved.st);
}

caf::behavior checkpoint_writer(writer_self* self, store_factory factory,
                                std::shared_ptr<node_metrics> metrics) {
  auto opened = factory();
  if (!opened) {
    spdlog::error("checkpoint writer cannot open the store: {}",
                  opened.st.message);
    self->quit(caf::make_error(caf::sec::runtime_error, opened.st.message));
    return {};
  }
  self->state.db = std::move(opened.value);
  self->state.metrics = std::move(metrics);
  return {
      [self](persistence::checkpoint& cp) -> caf::result<store_ack> {
        auto rp = self->make_response_promise<store_ack>();
        self->state.pending.push_back({std::move(cp), rp});
        if (!self->state.flush_scheduled) {
          self->state.flush_scheduled = true;
          self->send(self, flush_atom::value);
        }
        return rp;
      },
      [self](flush_atom) { flush(self); },
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
  std::vector<caf::actor> writers; ///< Null while one is restarting.
  std::vector<std::chrono::milliseconds> backoff;
  /// Requests forwarded to each writer and not yet answered. A writer that
  /// dies drops the promises it parked without answering (CAF 0.17 sends
  /// no "broken promise"), so these are answered here when it goes down.
  std::vector<std::map<std::uint64_t, caf::typed_response_promise<store_ack>>>
      inflight;
  std::uint64_t next_request = 0;
};

using supervisor_self =
    caf::stateful_actor<supervisor_state, persistence_actor::base>;

constexpr std::chrono::milliseconds first_backoff{50};

void spawn_writer(supervisor_self* self, size_t i) {
  self->state.writers[i] = self->spawn<caf::detached + caf::monitored>(
      checkpoint_writer, self->state.factory, self->state.metrics);
}

// All writes of one execution go to the same writer, in order.
size_t writer_of(supervisor_self* self, const std::string& execution_id) {
  return std::hash<std::string>{}(execution_id) % self->state.writers.size();
}

// Forwards a request to the execution's writer and relays its ack; a
// writer that is down or dies before answering yields a retryable ack.
// Answers a forwarded request once, whichever comes first: the writer's
// ack, a request error or the writer's death.
void settle_forwarded(supervisor_self* self, size_t i, std::uint64_t id,
                      store_ack ack) {
  auto& pending = self->state.inflight[i];
  auto it = pending.find(id);
  if (it == pending.end())
    return;
  if (ack.code == errc::ok) // a healthy writer earns a fresh backoff
    self->state.backoff[i] = first_backoff;
  it->second.deliver(std::move(ack));
  pending.erase(it);
}

// Forwards a request to the execution's writer and relays its ack; a
// writer that is down or dies before answering yields a retryable ack.
template <class T>
caf::result<store_ack> forward(supervisor_self* self,
                               const std::string& execution_id, T& msg) {
  auto i = writer_of(self, execution_id);
  if (!self->state.writers[i])
    return store_ack{errc::unavailable, "checkpoint writer is restarting"};
  auto id = self->state.next_request++;
  auto rp = self->make_response_promise<store_ack>();
  self->state.inflight[i].emplace(id, rp);
  self->request(self->state.writers[i], caf::infinite, std::move(msg))
      .then(
          [self, i, id](store_ack& ack) {
            settle_forwarded(self, i, id, std::move(ack));
          },
          [self, i, id](caf::error& e) {
            settle_forwarded(self, i, id,
                             {errc::unavailable, "checkpoint writer stopped: " +
                                                     self->system().render(e)});
          });
  return rp;
}

void on_writer_down(supervisor_self* self, caf::down_msg& dm) {
  auto& ws = self->state.writers;
  for (size_t i = 0; i < ws.size(); ++i) {
    if (!ws[i] || ws[i].address() != dm.source)
      continue;
    ws[i] = nullptr;
    for (auto& [id, rp] : self->state.inflight[i])
      rp.deliver(
          store_ack{errc::unavailable, "checkpoint writer died; send again"});
    self->state.inflight[i].clear();
    auto delay = self->state.backoff[i];
    self->state.backoff[i] =
        std::min(delay * 2, std::chrono::milliseconds{5000});
    spdlog::warn("checkpoint writer {} died ({}); restarting in {} ms", i,
                 self->system().render(dm.reason), delay.count());
    self->delayed_send(self, delay, respawn_atom::value, static_cast<int>(i));
  }
}

persistence_actor::behavior_type
persistence_supervisor(supervisor_self* self, store_factory factory,
                       std::shared_ptr<node_metrics> metrics, int writers) {
  self->state.factory = std::move(factory);
  self->state.metrics = std::move(metrics);
  self->state.writers.resize(std::max(writers, 1));
  self->state.backoff.assign(self->state.writers.size(), first_backoff);
  self->state.inflight.resize(self->state.writers.size());
  for (size_t i = 0; i < self->state.writers.size(); ++i)
    spawn_writer(self, i);
  self->set_down_handler(
      [self](caf::down_msg& dm) { on_writer_down(self, dm); });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& w : self->state.writers)
      if (w)
        self->send_exit(w, msg.reason);
    self->quit(msg.reason);
  });
  return {
      [self](persistence::checkpoint& cp) {
        auto id = cp.execution_id;
        return forward(self, id, cp);
      },
      [self](persistence::state_change& c) {
        auto id = c.execution_id;
        return forward(self, id, c);
      },
      [self](persistence::execution_record& x) {
        auto id = x.id;
        return forward(self, id, x);
      },
      [self](respawn_atom, int i) {
        spawn_writer(self, static_cast<size_t>(i));
        self->state.metrics->writer_restarted();
      },
      [self](writer_atom) { return self->state.writers.front(); },
  };
}

} // namespace

persistence_actor
spawn_persistence_supervisor(caf::actor_system& sys, store_factory factory,
                             std::shared_ptr<node_metrics> metrics,
                             int writers) {
  return sys.spawn(persistence_supervisor, std::move(factory),
                   std::move(metrics), writers);
}

} // namespace hishamos::actors
