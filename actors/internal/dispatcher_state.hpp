#pragma once

// The dispatcher's state and the helpers its files share:
// actors/dispatcher.cpp (routing, running tasks, messages),
// actors/dispatch_queue.cpp (the priority queue with aging and lock
// reservation), actors/agent_directory.cpp (the agents of the cluster and
// peer sync), actors/dispatcher_locks.cpp (the lock authority) and
// actors/dispatcher_results.cpp (consensus groups and judge evaluators).
// Included by those only: it pulls in CAF.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/all.hpp>

#include "actors/dispatcher.hpp"
#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "model/lock_table.hpp"
#include "model/quality_book.hpp"
#include "model/routing.hpp"

namespace hishamos::actors::internal {

using model::task_reply;
using steady = std::chrono::steady_clock;

struct hosted_agent {
  model::agent_def def;
  /// Null for an on-demand agent while it has no task.
  caf::actor handle;
  std::string node; ///< Hosting node; "" = this one.
  int load = 0;     ///< Tasks this dispatcher runs on it.
  /// Its actor is spawned for its first task and stopped after its last
  /// (dispatch_settings::on_demand_agents).
  bool on_demand = false;
  /// Tasks other nodes' dispatchers run on it, by node, as they last
  /// reported (directory_update).
  std::map<std::string, int> elsewhere;
  steady::time_point busy_until;
  double latency_ms = 0; ///< Recent average time to answer.

  /// The load of the whole cluster on this agent.
  int cluster_load() const {
    int n = load;
    for (const auto& [node, k] : elsewhere)
      n += k;
    return n;
  }
};

/// Where a step with locks is with the lock authority.
enum class lock_phase {
  none,    ///< It declares no locks.
  unasked, ///< Not asked for yet: no agent matches, or no authority known.
  asked,   ///< Waiting for the authority's grant.
  granted, ///< Held: it may run.
};

/// A step's claim on its locks, kept while it waits, runs and is requeued.
struct lock_claim {
  lock_phase phase = lock_phase::none;
  /// Its place in the cluster-wide lock queue (lock_ask::order).
  double order = 0;
  /// When it stops waiting for its locks (lock_timeout_ms after it first
  /// waited); unused without a timeout.
  steady::time_point deadline;
};

/// What a selector key asks for: the agent by id, or a department and
/// capabilities.
struct selector {
  std::string agent_id;
  std::string department;
  std::vector<std::string> capabilities;
};

struct waiting_step {
  assign_step step;
  caf::typed_response_promise<task_reply> rp;
  int requeued = 0;
  steady::time_point since = steady::now();
  lock_claim claim;
  /// A candidate (or the judge) of this consensus group (its step's task
  /// id); "" = a step of its own.
  std::string group;
  /// Which agents it may run on (agent id, or department and
  /// capabilities), as a number: steps of one key share their candidates.
  int key = 0;
  /// A judge evaluator's task: the task id whose result it scores.
  std::string evaluating;
};

struct running_task {
  caf::actor_addr agent;
  caf::typed_response_promise<task_reply> rp;
  assign_step step; ///< Kept to run it elsewhere if the agent is lost.
  int requeued = 0;
  std::string agent_id;
  std::string department; ///< The agent's, for its quota.
  std::string category;
  std::string decision; ///< JSON, returned with the reply.
  steady::time_point started = steady::now();
  std::string group;        ///< As waiting_step::group.
  steady::time_point since; ///< When it first waited.
  std::string evaluating;   ///< As waiting_step::evaluating.
  lock_claim claim;         ///< Granted, when it declares locks.
};

/// A result waiting for its judge evaluator's score.
struct pending_evaluation {
  task_reply reply;
  running_task task;
};

/// A step run on several distinct agents; one result is picked.
struct consensus_group {
  caf::typed_response_promise<task_reply> rp;
  assign_step step;           ///< The step as its execution sent it.
  std::set<std::string> used; ///< Agents that have a candidate.
  std::vector<task_reply> results;
  bool judging = false;
  task_reply spent; ///< What every candidate and the judge cost together.
};

/// How often a task goes back to the queue because its agent was lost
/// before its execution hears of it (a busy agent is waited for).
constexpr int max_requeues = 20;
/// Selector keys whose matching agents are kept (dispatcher_state::matching).
constexpr std::size_t max_cached_selectors = 4096;
/// How long a busy agent is skipped: its capacity is shared with the
/// dispatchers of other nodes, whose load this one does not see.
constexpr std::chrono::milliseconds busy_pause{50};

struct dispatcher_state {
  static inline const char* name = "hishamos.dispatcher";
  dispatch_settings cfg;
  std::mt19937_64 rng;
  /// The last routing decision's JSON, written over by the next
  /// (model::write_json or write_compact_json): its objects stay
  /// allocated.
  nlohmann::json decision_text;
  /// In no order: removing one moves the last into its place, so that a
  /// node with a million agents adds and removes each in O(1). Change it
  /// only through the directory's functions (add_agent, remove_agents,
  /// set_load, set_def), which keep the indexes below true.
  std::vector<hosted_agent> agents;
  /// Index of `agents` by handle (every reply and release looks it up).
  std::unordered_map<caf::actor_addr, std::uint32_t> agent_at;
  /// Index of `agents` by agent id: a step may name its agent, and a
  /// join replaces this node's agent of that id. Peers may host agents of
  /// the same id, hence several entries per id.
  std::unordered_multimap<std::string, std::uint32_t> agent_ids;
  /// How many agents have no free slot (load >= capacity).
  std::size_t full_agents = 0;
  /// What own_part reads, so that sharing the directory with peers at
  /// every heartbeat costs what is shared, not a pass over every record (a
  /// million agents on demand took 21 ms): indices of the agents with load
  /// here, and of this node's agents listed to peers (hosted by an actor
  /// of their own, not on demand).
  std::unordered_set<std::uint32_t> loaded, listed;
  /// The agents a selector key matches, computed when a step of the key
  /// is first routed; forgotten whenever an agent joins, leaves or
  /// changes, and when it grows past max_cached_selectors.
  std::unordered_map<int, std::vector<std::uint32_t>> matching;
  /// By effective priority, highest first. Aging lifts every waiting step
  /// at the same rate, so the order of priority + aging * waited never
  /// changes: the key is priority - aging * arrival time, fixed at arrival
  /// (ties keep arrival order). A requeued task goes first.
  using waiting_queue = std::multimap<double, waiting_step, std::greater<>>;
  waiting_queue waiting;
  /// The waiting steps that declare locks, by task id.
  std::unordered_map<std::string, waiting_queue::iterator> lock_waiters;
  /// Grants this node's locks; null until membership names the cluster's.
  caf::actor authority;
  std::unordered_map<std::string, running_task> running; ///< by task id
  std::map<std::string, int> running_per_workflow;
  std::map<std::string, int> running_per_department;
  /// What this node learned itself (persisted under its node id) and what
  /// each peer last reported (directory_update) or had stored at start.
  model::quality_book quality;
  std::unordered_map<std::string, consensus_group> groups; ///< by task id
  std::unordered_map<std::string, int> selector_keys;      ///< selector -> key
  std::vector<selector> selectors;                         ///< by key
  /// Waiting steps by selector key: a freed slot that no waiting key
  /// matches starts nothing, and needs no pass over the queue.
  std::unordered_map<int, int> waiting_keys;
  std::unordered_map<std::string, pending_evaluation> evaluations; ///< by id
  /// Peers that announced the `trace` feature: their agents get tasks
  /// with the trace context beside them (messages.hpp, node_features).
  std::set<std::string> traced_nodes;

  /// On-demand agents' actors go with the dispatcher that spawned them.
  ~dispatcher_state() {
    for (auto& a : agents)
      if (a.on_demand && a.handle)
        caf::anon_send_exit(a.handle, caf::exit_reason::user_shutdown);
  }
  dispatcher_state() = default;
  dispatcher_state(const dispatcher_state&) = delete;
  dispatcher_state& operator=(const dispatcher_state&) = delete;

  std::string category_of(const std::string& template_id) const {
    auto it = cfg.categories.find(template_id);
    return it == cfg.categories.end() ? template_id : it->second;
  }
};

using dispatcher_self =
    caf::stateful_actor<dispatcher_state, dispatcher_actor::base>;

/// Queues a step in effective-priority order; `first` puts it ahead of all.
/// A step with locks asks for them as soon as an agent matches it.
dispatcher_state::waiting_queue::iterator
enqueue(dispatcher_self* self, waiting_step w, bool first = false);
/// Takes a step out of the queue; its locks (or its request for them) are
/// freed when `free_locks`. Returns the next one.
dispatcher_state::waiting_queue::iterator
unqueue(dispatcher_self* self, dispatcher_state::waiting_queue::iterator it,
        bool free_locks);
/// Starts every waiting step that can start now: one pass over the queue.
void pump(dispatcher_self* self);
/// After a step joined the queue (and nothing else changed since the last
/// pump, which left no waiting step able to start): starts that one step
/// if it can start.
void pump_arrived(dispatcher_self* self,
                  dispatcher_state::waiting_queue::iterator it);
/// After a task that ran on `freed` ended: a pass over the queue only if
/// a waiting step could run on the freed agent, or the task's end freed a
/// workflow limit or department quota (`limits`).
void pump_released(dispatcher_self* self, const hosted_agent& freed,
                   bool limits);
/// Adds one result's score to what routing learned (and persists it).
void learn(dispatcher_self* self, const std::string& agent,
           const std::string& category, double score);
/// 1 for a result that satisfies its evaluator (or has none), else 0.
double outcome_of(const task_reply& r);
/// Which agents a step asks for, in words.
std::string describe(const assign_step& s);
/// Frees what a running task held (its slot; its locks unless kept) and
/// takes it out of the running tasks.
running_task release(dispatcher_self* self,
                     std::unordered_map<std::string, running_task>::iterator it,
                     bool keep_locks = false);
/// Answers a running task once (see dispatcher.cpp).
void finish(dispatcher_self* self, const std::string& task_id, task_reply r,
            bool from_agent);
/// Puts a running task back at the head of the queue, unless it went back
/// too often: then its execution hears `why`.
void requeue(dispatcher_self* self, const std::string& task_id, task_reply why,
             bool keep_locks);
/// Runs a waiting step on `agent`, with the routing decision that chose it.
void run_on(dispatcher_self* self, hosted_agent& agent, waiting_step w,
            std::string decision);
/// The routing choice for a waiting step (see dispatcher.cpp).
struct pick_result {
  int agent = -1; ///< -1: all candidates busy; -2: no agent matches at all.
  std::string decision;
  bool limited = false; ///< Its workflow is at its concurrency limit.
};
pick_result pick(dispatcher_state& st, const waiting_step& w);

// The agent directory (actors/agent_directory.cpp).
bool matches(const hosted_agent& a, const assign_step& s);
bool matches(const hosted_agent& a, const selector& s);
/// The selector key of a step: steps of one key share their candidates.
int key_of(dispatcher_state& st, const assign_step& s);
/// Indexes into `agents` of the agents a step of `key` may run on.
const std::vector<std::uint32_t>& matching_agents(dispatcher_state& st, int key,
                                                  const assign_step& s);
bool any_match(dispatcher_state& st, const assign_step& s);
hosted_agent* find_agent(dispatcher_state& st, const caf::actor_addr& addr);
/// True when any agent has a free slot.
bool any_free_slot(const dispatcher_state& st);
/// Adds an agent to the directory (monitoring is the caller's).
void add_agent(dispatcher_state& st, hosted_agent a);
/// Changes an agent's load by `delta` (its slots taken); an on-demand
/// agent left without tasks stops its actor.
void add_load(dispatcher_self* self, hosted_agent& a, int delta);
/// The agent's actor, spawned first for an on-demand agent.
caf::actor& actor_of(dispatcher_self* self, hosted_agent& a);
/// Replaces what a known agent is (a peer's new listing of it).
void set_def(dispatcher_state& st, hosted_agent& a, model::agent_def def);
/// Removes the agents `gone` selects; their running tasks run again
/// elsewhere (requeued without using up an attempt).
void remove_agents(dispatcher_self* self,
                   const std::function<bool(const hosted_agent&)>& gone,
                   const std::string& why);
/// Makes this dispatcher's view of a peer's agents what the peer says.
void sync_peer(dispatcher_self* self, directory_update& u);
/// What this node tells its peers: its agents, its loads, what it learned.
directory_update own_part(const dispatcher_state& st);
/// Hosts an agent of this node (replacing one with the same id).
void join_local(dispatcher_self* self, model::agent_def& def,
                caf::actor& handle);
/// Hosts agents of this node on demand (cfg.spawn_on_demand makes the
/// actor of one that gets a task), replacing any with the same ids.
void join_on_demand(dispatcher_self* self, std::vector<model::agent_def>& defs);
/// The directory as the node's read views show it.
std::vector<model::agent_directory_entry> directory(const dispatcher_state& st);

// Locks (actors/dispatcher_locks.cpp): the lock authority grants them.
/// Asks the authority for a waiting step's locks (when there is one).
void ask_locks(dispatcher_self* self, waiting_step& w);
/// Frees a task's locks, or withdraws its request for them.
void free_locks(dispatcher_self* self, const std::string& task_id);
/// Asks for the locks of every waiting step that has a matching agent now.
void ask_unasked(dispatcher_self* self);
/// The authority granted a waiting step's locks.
void locks_granted(dispatcher_self* self, const std::string& task_id);
/// A waiting step's lock_timeout_ms passed: it fails naming the holders.
void locks_denied(dispatcher_self* self, const std::string& task_id,
                  const std::string& holders);
/// Membership named another authority: this node's locks and requests
/// move to it.
void turn_to(dispatcher_self* self, caf::actor authority);

/// Consensus: queues one candidate per agent asked for.
caf::result<task_reply>
start_consensus(dispatcher_self* self, assign_step& s,
                caf::typed_response_promise<task_reply> rp);
/// A candidate's (or the group judge's) reply.
void group_result(dispatcher_self* self, const std::string& group,
                  task_reply r);
/// Has the step's judge evaluator score a result before its execution
/// hears of it.
void evaluate(dispatcher_self* self, running_task t, task_reply r);
/// The judge evaluator's answer for the result of task `id`.
void evaluated(dispatcher_self* self, const std::string& id, task_reply r);

} // namespace hishamos::actors::internal
