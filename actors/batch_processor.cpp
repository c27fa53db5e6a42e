#include "actors/batch_processor.hpp"
#include "actors/internal/exceptions.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/interfaces.hpp"
#include "actors/messages.hpp"

namespace hishamos::actors {

namespace {

using records = persistence::record_batch;

struct sink_state {
  static inline const char* name = "hishamos.batch_writer";
  std::unique_ptr<persistence::store> db;
};

// Writes batches; (re)opens its connection lazily so that a database
// outage costs failed writes, not a dead actor.
caf::behavior batch_writer(caf::stateful_actor<sink_state>* self,
                           store_factory factory) {
  return {[self, factory](records& xs) {
    auto& db = self->state.db;
    if (!db) {
      auto opened = factory();
      if (!opened)
        return store_ack{opened.st.code, opened.st.message};
      db = std::move(opened.value);
    }
    auto st = db->append_records(xs);
    if (!st && persistence::is_retryable(st.code))
      db.reset();
    return store_ack{st.code, st.message};
  }};
}

struct batch_state {
  static inline const char* name = "hishamos.batch_processor";
  batch_settings cfg;
  caf::actor sink;
  records buffer;
  bool flushing = false;
  std::uint64_t timer = 0; ///< Id of the one timer that counts; 0: none.
  std::uint64_t timers_made = 0;
  std::chrono::steady_clock::time_point timer_due;
  bool stopping = false;
  int failed_while_stopping = 0;
  std::chrono::milliseconds backoff{100};
};

using batch_self = caf::stateful_actor<batch_state, batch_actor::base>;

// Keeps one pending flush: a sooner deadline (a retry's backoff) replaces a
// later one (the interval); a stale timer's message is ignored.
void arm_timer(batch_self* self, std::chrono::milliseconds delay) {
  auto& st = self->state;
  auto due = std::chrono::steady_clock::now() + delay;
  if (st.timer != 0 && st.timer_due <= due)
    return;
  st.timer = ++st.timers_made;
  st.timer_due = due;
  self->delayed_send(self, delay, flush_atom::value, st.timer);
}

void finish(batch_self* self) {
  if (!self->state.buffer.empty())
    spdlog::error("batch processor stops with {} record(s) it could not store",
                  self->state.buffer.size());
  self->send_exit(self->state.sink, caf::exit_reason::user_shutdown);
  self->quit();
}

void flush(batch_self* self);

void after_write(batch_self* self, records batch, const store_ack& ack) {
  auto& st = self->state;
  st.flushing = false;
  if (ack.code == persistence::errc::ok) {
    st.cfg.metrics->records_flushed(batch.size());
    st.backoff = std::chrono::milliseconds{100};
  } else {
    st.cfg.metrics->flush_failed();
    st.buffer.prepend(std::move(batch));
    spdlog::warn("batch processor: writing {} record(s) failed ({}); "
                 "retrying in {} ms",
                 st.buffer.size(), ack.message, st.backoff.count());
    if (st.stopping && ++st.failed_while_stopping >= st.cfg.shutdown_attempts)
      return finish(self);
    arm_timer(self, st.backoff);
    st.backoff = std::min(st.backoff * 2, std::chrono::milliseconds{5000});
    return;
  }
  if (st.stopping)
    return st.buffer.empty() ? finish(self) : flush(self);
  if (st.buffer.size() >= st.cfg.max_batch)
    flush(self);
  else if (!st.buffer.empty())
    arm_timer(self, st.cfg.interval);
}

void flush(batch_self* self) {
  auto& st = self->state;
  if (st.flushing || st.buffer.empty())
    return;
  st.flushing = true;
  auto batch = std::move(st.buffer);
  st.buffer = {};
  self->request(st.sink, std::chrono::seconds{30}, batch)
      .then([self, batch](store_ack& ack) { after_write(self, batch, ack); },
            [self, batch](caf::error& e) {
              after_write(
                  self, batch,
                  {persistence::errc::unavailable, self->system().render(e)});
            });
}

void buffered(batch_self* self) {
  auto& st = self->state;
  if (st.buffer.size() >= st.cfg.max_batch)
    flush(self);
  else
    arm_timer(self, st.cfg.interval);
}

batch_actor::behavior_type batch_processor(batch_self* self, batch_settings cfg,
                                           caf::actor sink) {
  log_exceptions(self, "batch processor");
  self->state.cfg = std::move(cfg);
  self->state.sink = std::move(sink);
  self->set_exit_handler([self](caf::exit_msg&) {
    self->state.stopping = true;
    if (self->state.buffer.empty() && !self->state.flushing)
      finish(self);
    else
      flush(self);
  });
  return {
      [self](persistence::agent_stat_record& x) {
        self->state.buffer.put_stat(std::move(x));
        buffered(self);
      },
      [self](flush_atom, std::uint64_t id) {
        if (id != self->state.timer)
          return; // replaced by a sooner one
        self->state.timer = 0;
        flush(self);
      },
  };
}

} // namespace

batch_actor spawn_batch_processor(caf::actor_system& sys,
                                  batch_settings settings) {
  // Its writer is spawned here, not when the processor first runs, so
  // that both are up once this returns.
  auto sink = sys.spawn<caf::detached>(batch_writer, settings.factory);
  return sys.spawn(batch_processor, std::move(settings), std::move(sink));
}

} // namespace hishamos::actors
