#pragma once

// Batch processor: buffers what may be lost by design and writes it in
// batches, one transaction each. Today that is learned quality
// (agent_stats): each record is a snapshot of an agent's counters, so a
// lost one is replaced by the next. Nothing a user, a budget or a report
// reads goes through here: the cost ledger and the audit events of
// executions are committed with their checkpoint or state change
// (persistence::checkpoint::ledger, ::audit), and every other audit event
// is committed before its call returns (persistence/audit_writer.hpp).
//
// Accepts:
//   persistence::agent_stat_record -> buffered (no reply), replacing a
//       waiting record of the same (agent, category, node): records carry
//       totals, so a batch holds the newest per key, and a step costs no
//       row write of its own. A batch is written when `max_batch` records
//       wait or `interval` passed since the first of them arrived.
//   (flush_atom, timer id) -> (from itself) the batch's time is up.
//   exit (node shutdown)  -> writes what is buffered, then quits.
// The interface is checked by the compiler (actors/interfaces.hpp).
// A failed write keeps the records and tries again with doubling backoff
// (100 ms to 5 s), logging how many wait. At shutdown it gives up after
// `shutdown_attempts` failed writes and logs the number of records it
// could not store.
// A crash loses what it buffers (at most max_batch records or one
// interval's worth); it is not restarted.
// Persists: agent_stats rows, through a detached writer of its own (store
// calls block); the processor itself only buffers and keeps time.

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
