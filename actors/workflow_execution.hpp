#pragma once

// Workflow execution actor: one per running execution; owns its DAG state.
//
// Runs every ready step at once (steps whose parents are all checkpointed),
// sends each attempt to the dispatcher with the step's `timeout_ms`, retries
// retryable failures with doubling backoff up to `retry.max_attempts`, and
// writes each result as a checkpoint. The write-ahead rule: a step counts as
// done, and its children may start, only after the persistence supervisor
// acknowledged its checkpoint as committed. Unacknowledged checkpoints are
// sent again after `resend_delay`.
//
// Accepts:
//   start_atom            -> begins (sent once by the spawner).
//   cancel_atom           -> cancels running steps, stores `cancelled`, quits.
//   drain_atom            -> starts no new step; once none is running or
//                            checkpointing, quits without a state change (the
//                            next owner resumes it from its checkpoints).
//   snapshot_atom         -> model::execution_snapshot: its state, each
//                            step's phase, attempt, agent, error, decision
//                            and template version, what it spent, why a
//                            budget paused it and what model a downgrade
//                            chose.
//   (approve_atom, double extra_usd) -> double approved_until, once stored:
//                            a paused execution may spend extra_usd more
//                            (0 = the pausing budget's limit) and runs on;
//                            an error when it is not paused.
// Budgets: with a budget keeper, it asks before starting ready steps; a
// `pause` verdict stores `paused` and starts nothing until approved, a
// `downgrade` verdict sends the cheaper model with each task, `warn` logs
// and audits once.
// Emits: step events to its observer; execution_finished to its observer
// and listener once the terminal state is committed.
// Persists: checkpoints, then the terminal state (both fenced by epoch; a
// stale_epoch answer means another node owns the execution: it quits
// without writing).
// A restart is a resume: spawned again with the committed checkpoints, it
// runs only the steps that have none.
// The interface is checked by the compiler (actors/interfaces.hpp).

#include <chrono>
#include <memory>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "actors/metrics.hpp"
#include "model/events.hpp"
#include "model/workflow.hpp"
#include "persistence/store.hpp"
#include "providers/span_exporter.hpp"

namespace hishamos::actors {

/// What an execution actor is built from.
struct execution_settings {
  persistence::execution_record record; ///< id, workflow, input, epoch.
  std::shared_ptr<const model::workflow_def> workflow;
  std::vector<persistence::checkpoint> done; ///< Committed before (resume).
  dispatcher_actor dispatcher;
  persistence_actor persistence;
  std::shared_ptr<node_metrics> metrics;
  std::shared_ptr<const model::execution_observer> observer; ///< May be null.
  /// The node's watchers (SSE): every event, including "result" (an agent
  /// answered; its checkpoint is on its way). May be null.
  std::shared_ptr<const model::execution_observer> watcher;
  caf::actor listener; ///< May be null; receives execution_finished.
  caf::actor budgets;  ///< May be null (no budgets): the budget keeper.
  std::chrono::milliseconds resend_delay{200};
  /// A step output larger fails its step (not retried) and is not stored;
  /// one larger than warn_output_bytes is logged by its size.
  std::int64_t max_output_bytes = 2 << 20;
  std::int64_t warn_output_bytes = 256 << 10;
  /// Where the spans of the execution and its steps go; null = nowhere
  /// (the trace context is carried on all the same).
  std::shared_ptr<providers::span_exporter> spans;
};

/// Spawns an execution actor and starts it.
execution_actor spawn_execution(caf::actor_system& sys,
                                execution_settings settings);

} // namespace hishamos::actors
