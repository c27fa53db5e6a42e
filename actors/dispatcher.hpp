#pragma once

// Dispatcher: picks an agent for each step, and learns which agents are
// good at what.
//
// Accepts:
//   assign_step             -> task_reply. Candidates are the agent named by
//                              `agent_id`, or the agents of `department` with
//                              all `capabilities`, that have a free slot and
//                              whose department is under its quota. Routing
//                              (model/routing.hpp) scores them by learned
//                              quality for the template's category (Thompson
//                              sampling), free capacity, capability match,
//                              price and latency; the reply carries the
//                              decision as JSON. When none is free, or the
//                              step's workflow is at its concurrency limit,
//                              the step waits: the highest priority first,
//                              waiting time raising a step's priority (aging)
//                              so that none starves. No candidate at all is
//                              a final failure (alone; a clustered node
//                              waits for one to join).
//                              A step that declares locks asks the lock
//                              authority for them once an agent matches it,
//                              runs only with all of them granted, and frees
//                              them when it ends, fails, is cancelled or
//                              loses its agent (actors/dispatcher_locks.cpp).
//   (cancel_atom, task_id)  -> a waiting step is answered "cancelled"; a
//                              running one is cancelled at its agent.
//   (rate_atom, agent_id, category, score) -> a person's rating in [0, 1]
//                              joins the learned quality.
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
//   (authority_atom, actor) -> membership names the cluster's lock
//                              authority: this node's held locks and
//                              requests move to it (lock_sync).
//   (lock_granted_atom, id), (lock_denied_atom, id, holders) -> the
//                              authority's answers (from another one: ignored).
//   directory_atom          -> vector<model::agent_directory_entry>: the
//                              agent directory, with cluster-wide and own
//                              load per agent.
//   (lock_release_atom, directory_atom) -> model::lock_table_snapshot: the
//                              lock authority this node turns to, and what
//                              it holds and who waits.
//   stats_atom              -> vector<model::quality_entry>: learned
//                              quality, the cluster's and this node's part.
// The interface is checked by the compiler (actors/interfaces.hpp).
// Learns from every result: an output that satisfies its evaluator counts
// as a success for (agent, category), any other result or failure of the
// agent as a failure. Persists the learned quality through the batch
// processor (agent_stats); a restart starts from what was stored. Waiting
// steps are not persisted: their executions time out or are resumed.
// A crash of the dispatcher takes the node down with it (its executions
// are resumed from their checkpoints by the next owner).

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"

#include "model/agent.hpp"
#include "model/quality_book.hpp"
#include "model/routing.hpp"

namespace hishamos::actors {

class node_metrics;

/// How a dispatcher routes and queues.
struct dispatch_settings {
  model::routing_weights weights;
  /// Priority a waiting step gains per second it waits.
  double aging_per_second = 1.0;
  /// Tasks this dispatcher runs at once on agents of a department.
  std::map<std::string, int> department_quotas;
  /// Command template id -> category (learned quality is per category);
  /// a template not listed is its own category.
  std::map<std::string, std::string> categories;
  /// Learned quality this node stored before, by (agent id, category).
  model::quality_map learned;
  /// What other nodes stored, by node: routing adds every node's evidence.
  std::map<std::string, model::quality_map> learned_elsewhere;
  batch_actor batch;      ///< Receives learned quality to persist; may be null.
  std::uint64_t seed = 0; ///< Routing randomness; 0 = from the clock.
  /// A clustered node: a step no known agent matches waits for one to join,
  /// and locks wait until membership names the cluster's lock authority.
  bool wait_for_peers = false;
  std::string node_id; ///< This node's, in lock requests.
  /// This node's lock authority; null = the dispatcher spawns its own.
  caf::actor lock_authority;
  /// How many of a step's free matching agents routing scores. With more,
  /// it scores this many, taken in turn from a random place in the list of
  /// matching agents, so that a decision costs the same with ten agents
  /// or a million (and every free agent keeps a chance of being chosen).
  int max_candidates = 32;
  /// Routing decisions written in their compact form
  /// (model::write_compact_json), a third of the bytes each ledger line
  /// carries: set where the store says every node reads that form
  /// (store_identity.compact_decisions).
  bool compact_decisions = false;
  /// Agents hosted as records, without an actor while idle: the first
  /// task routed to one spawns its actor with `spawn_on_demand`, and the
  /// actor stops when its last task ends. A million idle agents then cost
  /// their records, not a million actors. Peers do not see them: they
  /// serve this node's dispatcher only (docs/performance.md).
  std::vector<model::agent_def> on_demand_agents;
  std::function<caf::actor(const model::agent_def&)> spawn_on_demand;
  /// Where the queue's length goes (hishamos_dispatch_steps_waiting); may
  /// be null.
  std::shared_ptr<node_metrics> metrics;
};

/// Spawns the dispatcher with the node's agents.
dispatcher_actor
spawn_dispatcher(caf::actor_system& sys,
                 std::vector<std::pair<model::agent_def, caf::actor>> agents,
                 dispatch_settings settings = {});

} // namespace hishamos::actors
