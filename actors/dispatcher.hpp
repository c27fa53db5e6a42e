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
//   directory_update        -> a peer's agents now (from its hello or its
//                              periodic update): new ones are added and
//                              monitored, unlisted ones removed (their
//                              running tasks run again elsewhere), known
//                              ones kept; its loads are taken.
//   sync_atom               -> directory_update: this node's agents and the
//                              load this dispatcher places on every agent
//                              (node ids "" for this node).
//   (leave_atom, node)      -> removes a peer's agents and loads; their
//                              running tasks fail as retryable (they run
//                              again elsewhere).
//   directory_atom          -> std::string: the agent directory as JSON,
//                              with cluster-wide and own load per agent.
// Persists nothing; a restart forgets waiting steps, whose executions time
// out or are resumed.

#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "model/agent.hpp"

namespace hishamos::actors {

/// Spawns the dispatcher with the node's agents. With `wait_for_peers`
/// (a clustered node), a step that no known agent matches waits for one to
/// join instead of failing.
caf::actor
spawn_dispatcher(caf::actor_system& sys,
                 std::vector<std::pair<model::agent_def, caf::actor>> agents,
                 bool wait_for_peers = false);

} // namespace hishamos::actors
