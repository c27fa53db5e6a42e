#pragma once

// Dispatcher: picks an agent for each step.
//
// Accepts:
//   assign_step             -> task_reply. Candidates are the agent named by
//                              `agent_id`, or the agents of `department` with
//                              all `capabilities`. The least-loaded candidate
//                              (load / capacity) with a free slot runs it; when
//                              all are busy the step waits in FIFO order. No
//                              candidate at all is a final failure.
//   (cancel_atom, task_id)  -> a waiting step is answered "cancelled"; a
//   running
//                              one is cancelled at its agent.
//   (join_atom, agent_def, actor) -> adds an agent (monitored; removed when it
//                              goes down, its tasks answered as retryable
//                              failures).
// Persists nothing; a restart forgets waiting steps, whose executions time
// out or are resumed.

#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "model/agent.hpp"

namespace hishamos::actors {

/// Spawns the dispatcher with the node's agents.
caf::actor
spawn_dispatcher(caf::actor_system& sys,
                 std::vector<std::pair<model::agent_def, caf::actor>> agents);

} // namespace hishamos::actors
