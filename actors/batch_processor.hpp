#pragma once

// Batch processor: buffers append-only records (task results, audit
// events) and writes them in batches: one transaction, one multi-row INSERT
// per table.
//
// Accepts:
//   persistence::task_result_record, persistence::audit_event,
//   persistence::agent_stat_record (learned quality, upserted) -> buffered
//       (no reply). A batch is written when `max_batch` records wait or
//       `interval` passed since the first of them arrived.
//   (flush_atom, timer id) -> (from itself) the batch's time is up.
//   exit (node shutdown)  -> writes what is buffered, then quits.
// The interface is checked by the compiler (actors/interfaces.hpp).
// A failed write keeps the records and tries again with doubling backoff
// (100 ms to 5 s), logging how many wait; they are never dropped silently.
// At shutdown it gives up after `shutdown_attempts` failed writes and logs
// the number of records it could not store.
// A crash loses what it buffers (at most max_batch records or one
// interval's worth); it is not restarted.
// Persists: task_results, audit_logs and agent_stats rows, through a detached
// writer of its own (store calls block); the processor itself only buffers and
// keeps time.

#include <chrono>
#include <memory>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "actors/metrics.hpp"
#include "actors/persistence_supervisor.hpp"

namespace hishamos::actors {

/// What a batch processor is built from.
struct batch_settings {
  size_t max_batch = 100;                   ///< Records that trigger a write.
  std::chrono::milliseconds interval{1000}; ///< Longest wait of a record.
  int shutdown_attempts = 3;                ///< Writes tried when stopping.
  store_factory factory;
  std::shared_ptr<node_metrics> metrics;
};

/// Spawns a batch processor (and its detached writer).
batch_actor spawn_batch_processor(caf::actor_system& sys,
                                  batch_settings settings);

} // namespace hishamos::actors
