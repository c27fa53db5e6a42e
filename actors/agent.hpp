#pragma once

// Agent actor: one per hosted agent.
//
// Accepts:
//   task_request      -> task_reply. Renders the task's template, calls the
//                        agent's model (the local provider, a C++ function or
//                        an embedder's actor) and answers. More than
//                        `capacity` tasks at once are refused with a
//                        retryable failure (the dispatcher never sends that
//                        many). A bad template or params is a final failure.
//                        A task whose conversation the agent already works
//                        on follows the agent's overlap policy: enqueue
//                        (runs after it), reject (final failure), interrupt
//                        (the running one is answered with a retryable
//                        failure, the new one runs) or rollback (the running
//                        one is answered with a final failure).
//   (trace_atom, task_request, traceparent)
//                     -> the same, from another node, with the step
//                        attempt's trace context (a malformed one is
//                        dropped); the provider call carries it on.
//   (cancel_atom, id) -> answers that task at once with a final "cancelled"
//                        failure and forgets it; a late model answer is
//                        dropped.
// Persists nothing. A restart loses the tasks in flight; their executions
// retry them.

#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "model/agent.hpp"
#include "model/catalog.hpp"
#include "model/events.hpp"

namespace hishamos::actors {

/// What an agent actor is built from.
struct agent_settings {
  model::agent_def def;
  std::shared_ptr<const model::catalog> catalog; ///< For templates.
  model::agent_function function; ///< Set: the agent is this C++ function.
  caf::actor delegate;            ///< Set: task_requests go to this actor.
  std::string node_id;
  /// When set (tests), every real start of a task is first committed to
  /// the effect ledger through this actor (see spawn_effect_recorder).
  caf::actor ledger;
  /// Calls the agent's provider when it is not `local`
  /// (actors/provider_gateway.hpp).
  caf::actor gateway;
};

/// Spawns a detached actor that answers persistence::effect with a
/// store_ack once the effect is committed to the ledger at `url`.
caf::actor spawn_effect_recorder(caf::actor_system& sys, std::string url);

/// Spawns an agent actor.
caf::actor spawn_agent(caf::actor_system& sys, agent_settings settings);

} // namespace hishamos::actors
