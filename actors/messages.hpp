#pragma once

// Message types exchanged by the actors of a node. Included only by
// actors/ and runtime/ sources (it pulls in CAF's atom and meta headers).

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include "actors/inspect.hpp"
#include "model/agent.hpp"
#include "model/lock_table.hpp"
#include "model/task.hpp"
#include "model/workflow.hpp"
#include "persistence/store.hpp"

namespace hishamos::actors {

using cancel_atom = caf::atom_constant<caf::atom("hm_cancel")>;
using complete_atom = caf::atom_constant<caf::atom("hm_done")>;
using retry_atom = caf::atom_constant<caf::atom("hm_retry")>;
using resend_atom = caf::atom_constant<caf::atom("hm_resend")>;
using snapshot_atom = caf::atom_constant<caf::atom("hm_snap")>;
using writer_atom = caf::atom_constant<caf::atom("hm_writer")>;
using respawn_atom = caf::atom_constant<caf::atom("hm_respawn")>;
using overdue_atom = caf::atom_constant<caf::atom("hm_overdue")>;
using start_atom = caf::atom_constant<caf::atom("hm_start")>;
using join_atom = caf::atom_constant<caf::atom("hm_join")>;
using flush_atom = caf::atom_constant<caf::atom("hm_flush")>;
using drain_atom = caf::atom_constant<caf::atom("hm_drain")>;
using leave_atom = caf::atom_constant<caf::atom("hm_leave")>;
using directory_atom = caf::atom_constant<caf::atom("hm_dir")>;
using peers_atom = caf::atom_constant<caf::atom("hm_peers")>;
using connected_atom = caf::atom_constant<caf::atom("hm_conn")>;
using sync_atom = caf::atom_constant<caf::atom("hm_sync")>;
using rate_atom = caf::atom_constant<caf::atom("hm_rate")>;
using stats_atom = caf::atom_constant<caf::atom("hm_stats")>;
using lock_timeout_atom = caf::atom_constant<caf::atom("hm_locktmo")>;
using lock_granted_atom = caf::atom_constant<caf::atom("hm_lgrant")>;
using lock_denied_atom = caf::atom_constant<caf::atom("hm_ldeny")>;
using lock_release_atom = caf::atom_constant<caf::atom("hm_lrel")>;
using authority_atom = caf::atom_constant<caf::atom("hm_lauth")>;
using http_done_atom = caf::atom_constant<caf::atom("hm_http")>;
using l2_get_atom = caf::atom_constant<caf::atom("hm_l2get")>;
using l2_put_atom = caf::atom_constant<caf::atom("hm_l2put")>;
using settle_atom = caf::atom_constant<caf::atom("hm_settle")>;
using spent_atom = caf::atom_constant<caf::atom("hm_spent")>;
using approve_atom = caf::atom_constant<caf::atom("hm_approve")>;
using refresh_atom = caf::atom_constant<caf::atom("hm_refresh")>;
using trace_atom = caf::atom_constant<caf::atom("hm_trace")>;
using features_atom = caf::atom_constant<caf::atom("hm_feat")>;

/// The version of everything nodes say to each other. A peer with another
/// version is refused at the handshake, so every later message between two
/// nodes has the same shape on both ends.
/// Version 2 added directory_update; 3 added quality and decision to
/// task_reply, price_per_call and overlap to agent_def, conversation to
/// task_request and the routing fields of assign_step; 4 the lock
/// authority (lock_ask, lock_sync, and its handle and the node's start
/// time in hello) and learned quality in directory_update; 5 the model
/// override of task_request and the cache and model accounting of
/// task_reply.
///
/// What is added without a new version, so that a rolling upgrade keeps
/// one cluster: a node announces its features after the hello, as
/// (features_atom, node_id, "name,name"), which a node of an earlier
/// release drops with a warning; a message that needs a feature goes only
/// to a peer that announced it. Features: `trace`, the W3C trace context
/// beside a task (trace_atom, task_request, traceparent).
constexpr int protocol_version = 5;
constexpr const char* node_features = "trace";

/// An agent as the directory carries it between nodes.
struct agent_entry {
  model::agent_def def;
  caf::actor handle;
};

/// Membership handshake, both ways: who I am and which agents I host.
struct hello {
  int protocol = protocol_version;
  std::string node_id;
  std::string http_address;
  std::vector<agent_entry> agents;
  /// The node's lock authority: the oldest node's one grants the locks
  /// of the whole cluster.
  caf::actor lock_authority;
  std::int64_t started_at_ms = 0; ///< Wall clock; orders nodes by age.
};

/// The load one node's dispatcher has placed on one agent: the
/// cluster-wide load of an agent is the sum over all nodes.
struct agent_load {
  std::string agent_id;
  std::string node; ///< The node hosting the agent ("" = the receiver).
  int load = 0;
};

/// A node's part of the agent directory, sent to every peer every
/// heartbeat (and, without loads, inside the hello): the agents it hosts
/// now, which replace what the peer knew of them (agents registered since
/// it joined are added, agents gone are removed, known ones keep their
/// running tasks), and the load its dispatcher places on every agent.
struct directory_update {
  int protocol = protocol_version;
  std::string node_id;
  std::vector<agent_entry> agents;
  std::vector<agent_load> loads;
  /// The quality this node learned itself, per (agent, category): peers
  /// add every node's evidence when they route.
  std::vector<persistence::agent_stat_record> learned;
};

/// A peer to connect to, from the nodes table.
struct peer_address {
  std::string node_id;
  std::string host;
  std::uint16_t port = 0;
};

/// Execution -> dispatcher: run this task on an agent picked by id or by
/// department and capabilities. Reply: model::task_reply.
struct assign_step {
  model::task_request task;
  std::string agent_id;
  std::string department;
  std::vector<std::string> capabilities;
  std::string workflow;   ///< For its per-workflow concurrency limit.
  int workflow_limit = 0; ///< Its steps running at once; 0 = no limit.
  int priority = 0;       ///< Higher waits less; aging lifts the rest.
  std::vector<model::lock_request> locks; ///< Granted all at once.
  std::int64_t lock_timeout_ms = 0;       ///< 0 = wait as long as it takes.
  model::consensus_policy consensus;      ///< agents 0 = one agent.
  model::judge_evaluator evaluator;       ///< agent "" = template rules.
};

/// Dispatcher -> lock authority: grant all of `locks` to task `task_id`
/// at once. Answered later, by a message to the asking dispatcher:
/// (lock_granted_atom, task_id), or (lock_denied_atom, task_id, holders)
/// after `timeout_ms`. (lock_release_atom, task_id) frees the locks, or
/// withdraws the request.
struct lock_ask {
  std::string task_id;
  std::string node_id; ///< The asking dispatcher's node (freed when it dies).
  std::string holder;  ///< "step 'a' of execution X", for timeout errors.
  std::vector<model::lock_request> locks;
  /// Queue order across the cluster: priority - aging * wall-clock arrival
  /// in seconds; higher is granted first.
  double order = 0;
  std::int64_t timeout_ms = 0; ///< 0 = wait as long as it takes.
};

/// Dispatcher -> a lock authority it has just turned to: every lock its
/// node holds and every request it has waiting. Replaces all the authority
/// knew of that node.
struct lock_sync {
  std::string node_id;
  std::vector<lock_ask> held;
  std::vector<lock_ask> waiting;
};

/// Agent -> provider gateway: one model call. Reply: provider_answer.
struct provider_call {
  std::string provider; ///< A name of the node config's providers.
  std::vector<std::string> fallbacks;
  std::string model;
  std::string prompt;
  double temperature = 0;
  int max_tokens = 1024;
  /// Cache the answer even though temperature > 0 (temperature 0 always is).
  bool cache = false;
  /// The calling step attempt's W3C traceparent ("" = none): each
  /// upstream request is a span of it and sends its own traceparent.
  std::string traceparent;
};

/// The gateway's answer, with its accounting.
struct provider_answer {
  bool ok = false;
  std::string text; ///< The output, or the error in words (no secrets).
  bool retryable = false;
  int tokens_in = 0;
  int tokens_out = 0;
  int cached_tokens = 0;
  double cost = 0;         ///< Of the upstream call; 0 for a cache hit.
  double cost_avoided = 0; ///< A cache hit: what the call would have cost.
  std::string cache;       ///< "l1" for a hit, "" otherwise.
  std::string provider;    ///< Which provider answered.
  int attempts = 0;        ///< Upstream requests made for it.
  std::string model;       ///< The model asked.
};

/// The L2 (Redis) cache actor's answer to a lookup, and what it stores.
struct l2_entry {
  bool found = false;
  std::string text;
  int tokens_in = 0;
  int tokens_out = 0;
  double cost = 0;
  std::string down; ///< Why Redis is not used now ("" = it is).
};

/// Gateway -> L2 cache actor: admit a call in the cluster-wide window of
/// its (provider, model, key), kept in Redis. Reply: admission_answer.
struct admission_request {
  std::string window;      ///< provider/model/key
  std::string reservation; ///< Unique per call: settled with its real usage.
  std::int64_t tokens = 0; ///< Estimated.
  std::int64_t requests_per_minute = 0;
  std::int64_t tokens_per_minute = 0;
  std::int64_t window_ms = 60000;
};

/// Admitted (wait_ms 0), wait that long (> 0), or Redis is down (-1, and
/// `down` says why): then the gateway admits locally.
struct admission_answer {
  std::int64_t wait_ms = -1;
  std::string down;
};

/// Node -> persistence supervisor: store these new executions, all in one
/// transaction (the writer joins batches that wait together). Reply:
/// creation_ack.
struct creation_batch {
  std::vector<persistence::execution_record> executions;
};

/// What storing a creation_batch did: one result per execution (created,
/// or the execution stored before under its id or idempotency key).
struct creation_ack {
  persistence::errc code = persistence::errc::ok;
  std::string message;
  std::vector<persistence::creation> results;
};

/// Writer's answer to a checkpoint or state change.
struct store_ack {
  persistence::errc code = persistence::errc::ok;
  std::string message;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, assign_step& x) {
  return f(caf::meta::type_name("assign_step"), x.task, x.agent_id,
           x.department, x.capabilities, x.workflow, x.workflow_limit,
           x.priority, x.locks, x.lock_timeout_ms, x.consensus, x.evaluator);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, agent_entry& x) {
  return f(caf::meta::type_name("agent_entry"), x.def, x.handle);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hello& x) {
  return f(caf::meta::type_name("hello"), x.protocol, x.node_id, x.http_address,
           x.agents, x.lock_authority, x.started_at_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lock_ask& x) {
  return f(caf::meta::type_name("lock_ask"), x.task_id, x.node_id, x.holder,
           x.locks, x.order, x.timeout_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lock_sync& x) {
  return f(caf::meta::type_name("lock_sync"), x.node_id, x.held, x.waiting);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, agent_load& x) {
  return f(caf::meta::type_name("agent_load"), x.agent_id, x.node, x.load);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, directory_update& x) {
  return f(caf::meta::type_name("directory_update"), x.protocol, x.node_id,
           x.agents, x.loads, x.learned);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_address& x) {
  return f(caf::meta::type_name("peer_address"), x.node_id, x.host, x.port);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, l2_entry& x) {
  return f(caf::meta::type_name("l2_entry"), x.found, x.text, x.tokens_in,
           x.tokens_out, x.cost, x.down);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, provider_call& x) {
  return f(caf::meta::type_name("provider_call"), x.provider, x.fallbacks,
           x.model, x.prompt, x.temperature, x.max_tokens, x.cache,
           x.traceparent);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, provider_answer& x) {
  return f(caf::meta::type_name("provider_answer"), x.ok, x.text, x.retryable,
           x.tokens_in, x.tokens_out, x.cached_tokens, x.cost, x.cost_avoided,
           x.cache, x.provider, x.attempts, x.model);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, admission_request& x) {
  return f(caf::meta::type_name("admission_request"), x.window, x.reservation,
           x.tokens, x.requests_per_minute, x.tokens_per_minute, x.window_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, admission_answer& x) {
  return f(caf::meta::type_name("admission_answer"), x.wait_ms, x.down);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, creation_batch& x) {
  return f(caf::meta::type_name("creation_batch"), x.executions);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, creation_ack& x) {
  return f(caf::meta::type_name("creation_ack"), x.code, x.message, x.results);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_ack& x) {
  return f(caf::meta::type_name("store_ack"), x.code, x.message);
}

} // namespace hishamos::actors
