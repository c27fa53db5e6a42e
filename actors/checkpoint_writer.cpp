// A checkpoint writer: group commit of checkpoints, state changes and new
// executions (actors/internal/checkpoint_writer.hpp).

#include "actors/internal/checkpoint_writer.hpp"
#include "actors/internal/exceptions.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/messages.hpp"

namespace hishamos::actors {

namespace {

using persistence::errc;

struct pending_checkpoint {
  persistence::checkpoint cp;
  caf::typed_response_promise<store_ack> rp;
};

struct pending_change {
  persistence::state_change change;
  caf::typed_response_promise<store_ack> rp;
};

struct pending_creation {
  creation_batch batch;
  caf::typed_response_promise<creation_ack> rp;
};

struct writer_state {
  static inline const char* name = "hishamos.checkpoint_writer";
  std::unique_ptr<persistence::store> db;
  std::shared_ptr<node_metrics> metrics;
  std::vector<pending_checkpoint> pending; ///< Waiting for the next commit.
  std::vector<pending_creation> creations; ///< Likewise.
  std::vector<pending_change> changes;     ///< Likewise.
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

// A call of the writer's store, timed into the store-call histogram.
template <class F> auto timed(writer_self* self, const char* call, F&& fn) {
  auto t0 = std::chrono::steady_clock::now();
  auto out = fn(*self->state.db);
  self->state.metrics->store_call(
      call, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                .count());
  return out;
}

// Every new execution that arrived before the flush goes into one
// transaction; each batch then hears what became of its executions.
void flush_creations(writer_self* self) {
  auto waiting = std::move(self->state.creations);
  self->state.creations.clear();
  if (waiting.empty())
    return;
  std::vector<persistence::execution_record> all;
  for (auto& w : waiting)
    for (auto& x : w.batch.executions)
      all.push_back(std::move(x));
  auto made = timed(self, "create_executions",
                    [&](auto& db) { return db.create_executions(all); });
  size_t next = 0;
  for (auto& w : waiting) {
    creation_ack ack{made.st.code, made.st.message, {}};
    auto n = w.batch.executions.size();
    if (made)
      ack.results.assign(made.value.begin() + static_cast<long>(next),
                         made.value.begin() + static_cast<long>(next + n));
    next += n;
    w.rp.deliver(std::move(ack));
  }
  die_if_disconnected(self, made.st);
}

// What the store says of a group: one status per record, or why none.
using statuses = persistence::outcome<std::vector<persistence::status>>;

// Answers each waiting state change from what the store said.
void answer_changes(writer_self* self, std::vector<pending_change>& waiting,
                    const statuses& changed) {
  persistence::status worst = changed.st;
  for (size_t i = 0; i < waiting.size(); ++i) {
    const auto& st = changed.st ? changed.value[i] : changed.st;
    waiting[i].rp.deliver(store_ack{st.code, st.message});
    if (worst && !st && persistence::is_retryable(st.code))
      worst = st; // a store that changes them one by one lost its link
  }
  die_if_disconnected(self, worst);
}

// Answers each waiting checkpoint from what the store said.
void answer_checkpoints(writer_self* self,
                        std::vector<pending_checkpoint>& batch,
                        const statuses& saved) {
  self->state.metrics->checkpoints_committed(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& st = saved ? saved.value[i] : saved.st;
    batch[i].rp.deliver(store_ack{st.code, st.message});
  }
  die_if_disconnected(self, saved.st);
}

// The records of waiting requests, moved out (their promises stay).
template <class Pending, class Item>
std::vector<Item> take_items(std::vector<Pending>& xs, Item Pending::*item) {
  std::vector<Item> out;
  out.reserve(xs.size());
  for (auto& x : xs)
    out.push_back(std::move(x.*item));
  return out;
}

// Group commit: every checkpoint and state change that arrived before the
// flush message (which queues behind them) goes into one transaction, the
// checkpoints first: a change that follows an execution's last checkpoint
// in the mailbox is never stored before it. Then each is acknowledged.
// While one commit runs, the next group gathers. Should the transaction
// fail for a reason other than the link, each part is tried alone, so a
// change the store refuses does not hold back the checkpoints.
void flush_checkpoints_and_changes(writer_self* self) {
  auto batch = std::move(self->state.pending);
  auto waiting = std::move(self->state.changes);
  self->state.pending.clear();
  self->state.changes.clear();
  auto cps = take_items(batch, &pending_checkpoint::cp);
  auto changes = take_items(waiting, &pending_change::change);
  statuses saved, changed;
  bool together = !cps.empty() && !changes.empty();
  if (together) {
    auto both = timed(self, "save_group",
                      [&](auto& db) { return db.save_group(cps, changes); });
    saved = std::move(both.checkpoints);
    changed = std::move(both.changes);
    together = saved.st || persistence::is_retryable(saved.st.code);
  }
  if (!together) {
    if (!cps.empty())
      saved = timed(self, "save_checkpoints",
                    [&](auto& db) { return db.save_checkpoints(cps); });
    if (!changes.empty())
      changed = timed(self, "change_states",
                      [&](auto& db) { return db.change_states(changes); });
  }
  if (!batch.empty())
    answer_checkpoints(self, batch, saved);
  if (!waiting.empty())
    answer_changes(self, waiting, changed);
}

void flush(writer_self* self) {
  self->state.flush_scheduled = false;
  flush_creations(self);
  flush_checkpoints_and_changes(self);
}

caf::behavior checkpoint_writer(writer_self* self, store_factory factory,
                                std::shared_ptr<node_metrics> metrics) {
  log_exceptions(self, "checkpoint writer");
  auto opened = factory();
  if (!opened) {
    spdlog::error("checkpoint writer cannot open the store: {}",
                  opened.st.message);
    self->quit(caf::make_error(caf::sec::runtime_error, opened.st.message));
    return {};
  }
  self->state.db = std::move(opened.value);
  self->state.metrics = std::move(metrics);
  auto schedule_flush = [self] {
    if (!self->state.flush_scheduled) {
      self->state.flush_scheduled = true;
      self->send(self, flush_atom::value);
    }
  };
  return {
      [self,
       schedule_flush](persistence::checkpoint& cp) -> caf::result<store_ack> {
        auto rp = self->make_response_promise<store_ack>();
        self->state.pending.push_back({std::move(cp), rp});
        schedule_flush();
        return rp;
      },
      [self, schedule_flush](creation_batch& b) -> caf::result<creation_ack> {
        auto rp = self->make_response_promise<creation_ack>();
        self->state.creations.push_back({std::move(b), rp});
        schedule_flush();
        return rp;
      },
      [self](flush_atom) { flush(self); },
      [self, schedule_flush](
          persistence::state_change& change) -> caf::result<store_ack> {
        auto rp = self->make_response_promise<store_ack>();
        self->state.changes.push_back({std::move(change), rp});
        schedule_flush();
        return rp;
      },
  };
}

} // namespace

caf::actor spawn_checkpoint_writer(caf::actor_system& sys,
                                   store_factory factory,
                                   std::shared_ptr<node_metrics> metrics) {
  return sys.spawn<caf::detached>(checkpoint_writer, std::move(factory),
                                  std::move(metrics));
}

} // namespace hishamos::actors
