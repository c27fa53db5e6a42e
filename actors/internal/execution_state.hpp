#pragma once

// A workflow execution's state and what its two files share:
// actors/workflow_execution.cpp (the DAG, attempts, checkpoints) and
// actors/execution_budgets.cpp (asking the budget keeper, pausing,
// approval). Included by those two only: it pulls in CAF.

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "actors/workflow_execution.hpp"
#include "model/budget.hpp"
#include "model/dag.hpp"
#include "model/log_context.hpp"
#include "model/trace_context.hpp"

namespace hishamos::actors::execution_internal {

enum class phase { waiting, running, backoff, checkpointing, done, failed };
constexpr const char* phase_names[] = {"pending",       "running",   "retrying",
                                       "checkpointing", "completed", "failed"};

struct step_run {
  phase ph = phase::waiting;
  int attempt = 0;
  std::string task_id;
  std::string agent_id;
  std::string output;
  std::string error;
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::chrono::steady_clock::time_point started;
  int tokens_in = 0;
  double cost = 0;
  int tokens_out = 0;
  int tokens_cached = 0;
  double cost_avoided = 0;
  std::string provider, model;
  double quality = -1; ///< The evaluator's score of the output.
  /// Audit events committed with this step's checkpoint (resent with it).
  std::vector<persistence::audit_event> audit;
  /// Attempts that ended without a result, committed with this checkpoint.
  std::vector<persistence::attempt_record> attempts;
  std::string decision; ///< Why its agent ran it (JSON), "" if unknown.
  int template_version = 0;
  std::string span_id; ///< The running attempt's span; "" = none.
  std::int64_t span_start_ns = 0;
};

struct execution_state {
  static inline const char* name = "hishamos.execution";
  execution_settings cfg;
  model::dag graph;
  nlohmann::json input;
  std::vector<step_run> steps;
  bool finishing = false;
  bool draining = false; ///< Node shutting down: start nothing new.
  persistence::state_change final_change;
  // Budgets (when the node has a budget keeper): asked before steps start.
  bool judging = false;       ///< A question to the keeper is out.
  bool paused = false;        ///< A budget paused it: it waits for approval.
  bool stored_paused = false; ///< The store says `paused`.
  std::string pause_reason;
  double pause_limit = 0;
  double approved_until = 0;
  std::string model_override;   ///< A downgrade's cheaper model.
  std::set<std::string> warned; ///< Warnings already given.
  /// Audit events of decisions (budgets) not committed yet: they go with
  /// the execution's next write, checkpoint or state change, so that each
  /// is as durable as what it decided.
  std::vector<persistence::audit_event> unsaved_audit;
  /// Attempts that ended without a result, not committed yet: like
  /// unsaved_audit, they go with the execution's next write.
  std::vector<persistence::attempt_record> unsaved_attempts;
  bool state_writing = false; ///< A paused/running change is out.
  persistence::state_change pending_state;
  /// An approval waiting for its state change to commit.
  std::optional<caf::typed_response_promise<double>> approval;
  /// The execution's own span (record.trace_context); empty = none kept.
  model::trace_context trace;
  std::int64_t started_ns = 0; ///< When this actor took it on.
};

using execution_self =
    caf::stateful_actor<execution_state, execution_actor::base>;

inline const model::step_def& def_of(execution_self* self, int i) {
  return self->state.cfg.workflow->steps[i];
}

inline const std::string& exec_id(execution_self* self) {
  return self->state.cfg.record.id;
}

/// The ids its log lines carry: the execution's, its trace's and, for
/// i >= 0, step i's (model/log_context.hpp).
inline model::log_ids log_ids_of(execution_self* self, int i = -1) {
  return {self->state.cfg.record.id,
          i >= 0 ? self->state.cfg.workflow->steps[i].id : std::string{}, "",
          self->state.trace.trace_id};
}

/// What (resend_atom, i) sends again besides step i's checkpoint.
constexpr int resend_final = -1; ///< The terminal state change.
constexpr int resend_state = -2; ///< The paused/running state change.

// execution_events.cpp
/// Tells the observer and the watcher of step i's event `kind` ("result"
/// goes to the watcher only: an answer whose checkpoint is on its way).
void emit(execution_self* self, int i, const char* kind,
          const std::string& detail = "");
/// Tells everyone who listens that the execution ended (final_change).
void notify_finished(execution_self* self);
/// notify_finished, then quits.
void notify_and_quit(execution_self* self);

// execution_checkpoints.cpp
/// Keeps step i's current attempt, which ended without a result, for the
/// execution's next write.
void note_attempt(execution_self* self, int i, const char* outcome,
                  const std::string& error);
/// Sends step i's checkpoint (with its ledger line and what waits to be
/// committed); once stored, the step is done and the execution advances.
void send_checkpoint(execution_self* self, int i);

// execution_checks.cpp
/// Turns an answer whose output is over cfg.max_output_bytes into a
/// failure that is not retried (nothing of it is stored).
void check_output_size(execution_self* self, int i, model::task_reply& reply);
/// The exception handler: stores the execution failed, tells its
/// listeners; the actor then quits.
caf::error on_exception(execution_self* self, std::exception_ptr& eptr);

// workflow_execution.cpp
void abandon(execution_self* self, const std::string& why);
/// The steps whose parents are all done and that have not started.
std::vector<int> ready_steps(execution_self* self);
/// Finishes the execution when every step is done, else starts what is
/// ready (through start_ready).
void advance(execution_self* self);
void start_step(execution_self* self, int i);

// execution_traces.cpp
/// Reads the execution's trace context from its record.
void start_trace(execution_self* self);
/// Opens step i's attempt span: the traceparent its task carries ("" when
/// the execution has no trace).
std::string open_step_span(execution_self* self, int i);
/// Ends step i's attempt span with its agent's answer.
void close_step_span(execution_self* self, int i,
                     const model::task_reply& reply);
/// Ends the execution's span with its final state (final_change).
void close_execution_span(execution_self* self);

// execution_budgets.cpp
/// What its finished steps cost (USD).
double spent(execution_self* self);
/// Starts the steps whose parents are done, once the budget keeper (if the
/// node has one) said whether the execution may spend more.
void start_ready(execution_self* self);
/// Sends the pending paused/running state change (again).
void send_state(execution_self* self);
/// The answer to an approval of an execution no budget paused.
inline caf::error not_paused_error() {
  return caf::make_error(caf::sec::invalid_argument, "not paused by a budget");
}
/// A person approved `extra_usd` more (0 = the pausing budget's limit);
/// `rp` gets the new approved_until once it is stored.
void approve(execution_self* self, double extra_usd,
             caf::typed_response_promise<double> rp);

} // namespace hishamos::actors::execution_internal
