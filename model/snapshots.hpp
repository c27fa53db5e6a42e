#pragma once

// What the node's actors answer when asked how things stand: an execution's
// live steps, the agent directory, the peers, the lock table, learned
// quality, the budgets and the provider gateway's counters. Plain structs:
// the actors fill them (registered with CAF in actors/message_types.cpp),
// the embedder API hands them out, and admin/ alone turns them into JSON.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/budget.hpp"
#include "model/lock_table.hpp"

namespace hishamos::model {

/// One step as its running execution knows it.
struct step_snapshot {
  std::string id;
  std::string state; ///< pending | running | retrying | checkpointing |
                     ///< completed
  int attempt = 0;
  std::string agent_id;
  std::string error;
  std::string decision;     ///< The dispatcher's decision (JSON); "" = none.
  int template_version = 0; ///< 0 = not known yet.
  /// When its current attempt started (0 = not started); a running or
  /// retrying step's bar on the console's timeline starts here.
  std::int64_t started_at_ms = 0;
};

/// A running execution, from its actor.
struct execution_snapshot {
  std::string state; ///< running | paused | the terminal state it is writing
  std::vector<step_snapshot> steps;
  double spent_usd = 0;      ///< What its finished steps cost.
  std::string budget;        ///< Why a budget paused it; "" = not paused.
  std::string downgraded_to; ///< A downgrade's model; "" = none.
};

/// One agent of the cluster-wide directory, as this node's dispatcher has it.
struct agent_directory_entry {
  std::string id;
  std::string node; ///< Its hosting node; "" = this node.
  std::string department;
  std::vector<std::string> capabilities;
  int capacity = 1;
  int load = 0;           ///< Tasks on it cluster-wide (peers' last reports).
  int load_from_here = 0; ///< Tasks this node's dispatcher runs on it.
  double latency_ms = 0;  ///< Recent average time to answer.
};

/// A peer membership has accepted.
struct peer_entry {
  std::string id;
  std::string http_address;
  int agents = 0; ///< How many agents it hosts.
};

/// One lock request, held or waiting, as the lock authority has it.
struct lock_entry {
  std::string task_id;
  std::string node;
  std::string holder; ///< "step 'a' of execution X"
  std::vector<lock_request> locks;
};

/// The lock authority this node's dispatcher turns to, and what it holds.
struct lock_table_snapshot {
  bool authority = false; ///< False before membership named one.
  std::vector<lock_entry> held;
  std::vector<lock_entry> waiting;        ///< In grant order.
  std::vector<std::string> awaiting_sync; ///< Members not synced yet.
};

/// Learned quality of one (agent, category): the cluster's and this node's.
struct quality_entry {
  std::string agent;
  std::string category;
  double successes = 0; ///< Every node's evidence, added up.
  double failures = 0;
  double mean = 0;
  double here_successes = 0; ///< This node's part.
  double here_failures = 0;
};

/// One budget with what counts against it now.
struct budget_status {
  budget config;
  /// Workflow or department -> USD spent in the current period; empty for
  /// an execution budget (each execution counts on its own).
  std::map<std::string, double> spent_usd;
};

/// The budget keeper's view: every budget and when it last read the ledger.
struct budget_snapshot {
  bool keeper = false; ///< False: no budget keeper answered (or none runs).
  std::vector<budget_status> budgets;
  std::int64_t ledger_read_at_ms = 0;
  std::string ledger_error; ///< Why the last ledger read failed; "" = ok.
};

/// The provider gateway's counters since the node started.
struct gateway_stats {
  double in_flight = 0;
  double upstream_requests = 0;
  double coalesced = 0;
  double l1_entries = 0;
  double l1_bytes = 0;
  double l1_hits = 0;
  double l1_misses = 0;
  double l2_hits = 0;
  double l2_misses = 0;
  std::string l2_down; ///< Why Redis is not used now; "" = it is (or none).
  std::map<std::string, std::string> breakers; ///< provider -> state
};

} // namespace hishamos::model
