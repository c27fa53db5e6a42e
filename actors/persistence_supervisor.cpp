#include "actors/persistence_supervisor.hpp"
#include "actors/internal/checkpoint_writer.hpp"
#include "actors/internal/exceptions.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/interfaces.hpp"
#include "actors/messages.hpp"

namespace hishamos::actors {

namespace {

using persistence::errc;

// A forwarded request: when it is overdue, and how to fail it (answers
// the sender with a retryable error).
struct inflight_request {
  std::chrono::steady_clock::time_point overdue_at;
  std::function<void(errc, const std::string&)> fail;
};

struct supervisor_state {
  static inline const char* name = "hishamos.persistence_supervisor";
  store_factory factory;
  std::shared_ptr<node_metrics> metrics;
  std::vector<caf::actor> writers; ///< Null while one is restarting.
  std::vector<std::chrono::milliseconds> backoff;
  /// Requests forwarded to each writer and not yet answered, by arrival. A
  /// writer that dies drops the promises it parked without answering (CAF
  /// 0.17 sends no "broken promise"), so these are answered here when it
  /// goes down, or when one is overdue (a store that hangs).
  std::vector<std::map<std::uint64_t, inflight_request>> inflight;
  std::uint64_t next_request = 0;
  std::chrono::milliseconds answer_within{}; ///< Set at spawn.
  bool overdue_check_armed = false;
};

using supervisor_self =
    caf::stateful_actor<supervisor_state, persistence_actor::base>;

constexpr std::chrono::milliseconds first_backoff{50};

void spawn_writer(supervisor_self* self, size_t i) {
  self->state.writers[i] = spawn_checkpoint_writer(
      self->system(), self->state.factory, self->state.metrics);
  self->monitor(self->state.writers[i]); // one already gone reports at once
}

// All checkpoints and state changes of one execution go to the same
// writer, in order.
size_t writer_of(supervisor_self* self, const std::string& execution_id) {
  return std::hash<std::string>{}(execution_id) % self->state.writers.size();
}

// New executions all go to one writer, the first that is up: creations
// are answered before any of their checkpoints is sent, so they need no
// order with them, and one writer makes batches of every submitter that
// waits. Spread by id over two writers, 16 submitters' creations came in
// batches of about 8 instead of 15 (bench_step_throughput, PostgreSQL).
size_t creation_writer(supervisor_self* self) {
  const auto& ws = self->state.writers;
  for (size_t i = 0; i < ws.size(); ++i)
    if (ws[i])
      return i;
  return 0; // none is up: forward answers that it is restarting
}

// An answer with nothing but an error code and message.
template <class Ack> Ack failed_ack(errc code, const std::string& why) {
  Ack ack;
  ack.code = code;
  ack.message = why;
  return ack;
}

// A forwarded request is answered once, whichever comes first: the
// writer's ack, a request error or the writer's death.
bool settle_forwarded(supervisor_self* self, size_t i, std::uint64_t id,
                      errc code) {
  auto& pending = self->state.inflight[i];
  auto it = pending.find(id);
  if (it == pending.end())
    return false;
  if (code == errc::ok) // a healthy writer earns a fresh backoff
    self->state.backoff[i] = first_backoff;
  pending.erase(it);
  return true;
}

// One timer for all requests, instead of a timeout on each: a request
// timeout costs CAF's clock thread two wake-ups (set and cancel); at
// 15,000 checkpoints a second its thread took 7-11% of a node's samples.
void arm_overdue_check(supervisor_self* self, caf::timespan after) {
  if (self->state.overdue_check_armed)
    return;
  self->state.overdue_check_armed = true;
  self->delayed_send(self, after, overdue_atom::value);
}

// Answers every request a writer has held past the limit with a retryable
// error, so that its sender sends it again (a store that hangs must not
// leave an execution waiting for ever); the writer's late ack is dropped.
// Then waits for the next request to come due.
void answer_overdue(supervisor_self* self) {
  auto& st = self->state;
  st.overdue_check_armed = false;
  auto now = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> next;
  for (size_t i = 0; i < st.inflight.size(); ++i) {
    auto& pending = st.inflight[i];
    size_t overdue = 0;
    // By arrival, hence by when each is due.
    while (!pending.empty() && pending.begin()->second.overdue_at <= now) {
      pending.begin()->second.fail(
          errc::unavailable, "the store has not answered within " +
                                 std::to_string(st.answer_within.count()) +
                                 " ms; send again");
      pending.erase(pending.begin());
      ++overdue;
    }
    if (overdue > 0)
      spdlog::warn("checkpoint writer {} has not answered {} request(s) "
                   "within {} ms; their senders will send them again",
                   i, overdue, st.answer_within.count());
    if (!pending.empty() &&
        (!next || pending.begin()->second.overdue_at < *next))
      next = pending.begin()->second.overdue_at;
  }
  if (next)
    arm_overdue_check(self, *next - now);
}

// Forwards a request to writer `i` and relays its ack; a writer that is
// down or dies before answering yields a retryable ack.
template <class Ack, class T>
caf::result<Ack> forward(supervisor_self* self, size_t i, T& msg) {
  if (!self->state.writers[i])
    return failed_ack<Ack>(errc::unavailable,
                           "checkpoint writer is restarting");
  auto id = self->state.next_request++;
  auto rp = self->make_response_promise<Ack>();
  self->state.inflight[i].emplace(
      id, inflight_request{std::chrono::steady_clock::now() +
                               self->state.answer_within,
                           [rp](errc code, const std::string& why) mutable {
                             rp.deliver(failed_ack<Ack>(code, why));
                           }});
  arm_overdue_check(self, self->state.answer_within);
  self->request(self->state.writers[i], caf::infinite, std::move(msg))
      .then(
          [self, i, id, rp](Ack& ack) mutable {
            if (settle_forwarded(self, i, id, ack.code))
              rp.deliver(std::move(ack));
          },
          [self, i, id, rp](caf::error& e) mutable {
            if (settle_forwarded(self, i, id, errc::unavailable))
              rp.deliver(failed_ack<Ack>(errc::unavailable,
                                         "checkpoint writer stopped: " +
                                             self->system().render(e)));
          });
  return rp;
}

void on_writer_down(supervisor_self* self, caf::down_msg& dm) {
  auto& ws = self->state.writers;
  for (size_t i = 0; i < ws.size(); ++i) {
    if (!ws[i] || ws[i].address() != dm.source)
      continue;
    ws[i] = nullptr;
    for (auto& [id, request] : self->state.inflight[i])
      request.fail(errc::unavailable, "checkpoint writer died; send again");
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
                       std::shared_ptr<node_metrics> metrics, int writers,
                       std::chrono::milliseconds answer_within) {
  log_exceptions(self, "persistence supervisor");
  self->state.answer_within = answer_within;
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
        return forward<store_ack>(self, writer_of(self, cp.execution_id), cp);
      },
      [self](persistence::state_change& c) {
        return forward<store_ack>(self, writer_of(self, c.execution_id), c);
      },
      [self](creation_batch& b) -> caf::result<creation_ack> {
        if (b.executions.empty())
          return creation_ack{};
        return forward<creation_ack>(self, creation_writer(self), b);
      },
      [self](respawn_atom, int i) {
        spawn_writer(self, static_cast<size_t>(i));
        self->state.metrics->writer_restarted();
      },
      [self](writer_atom) { return self->state.writers.front(); },
      [self](overdue_atom) { answer_overdue(self); },
  };
}

} // namespace

persistence_actor
spawn_persistence_supervisor(caf::actor_system& sys, store_factory factory,
                             std::shared_ptr<node_metrics> metrics, int writers,
                             std::chrono::milliseconds answer_within) {
  return sys.spawn(persistence_supervisor, std::move(factory),
                   std::move(metrics), writers, answer_within);
}

} // namespace hishamos::actors
