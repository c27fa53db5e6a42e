#pragma once

// The types of the embedder API (hishamos/node.hpp): its one error type,
// and how executions and the cluster look from outside. The store's own
// types stay behind it (persistence/); reports and snapshots are model
// types (model/reports.hpp, model/snapshots.hpp) handed out as they are.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/reports.hpp"
#include "model/result.hpp"
#include "model/snapshots.hpp"

namespace hishamos {

/// What went wrong with a call of the embedder API.
enum class errc {
  ok = 0,
  unavailable, ///< Retryable: the store or an actor did not answer in time.
  not_found,   ///< Final: no such execution, step or result.
  invalid,     ///< Final: bad input (a value out of range, a bad query).
  conflict,    ///< Final: the request does not fit the current state.
  corrupt,     ///< Final: stored data could not be decoded.
  fenced,      ///< Final: another node owns the execution now.
};

/// The name of a code, for logs and error bodies ("not_found", ...).
[[nodiscard]] const char* to_string(errc x);

/// The outcome of a call without a value.
struct [[nodiscard]] status {
  errc code = errc::ok;
  std::string message; ///< What failed and how to fix it; never holds secrets.
  /// For `invalid` input: each problem, where it is and how to fix it.
  model::problems problems;
  explicit operator bool() const { return code == errc::ok; }
  [[nodiscard]] bool retryable() const { return code == errc::unavailable; }
};

/// A value or the status that prevented it.
template <class T> struct [[nodiscard]] outcome {
  status st;
  T value{};
  explicit operator bool() const { return static_cast<bool>(st); }
};

/// One step of an execution as seen from outside.
struct step_status {
  std::string id;
  std::string name;
  std::string state; ///< pending | running | retrying | checkpointing |
                     ///< completed | failed
  int attempt = 0;
  std::string agent_id;
  std::string output;
  std::string error;
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  /// Why its agent was chosen: the dispatcher's decision (candidates and
  /// their scores); null until known.
  nlohmann::json decision;
  /// The version of the command template its result was rendered from;
  /// 0 = not known (no result yet).
  int template_version = 0;
};

/// One attempt at a step, as stored: the one that succeeded (its
/// checkpoint) or one that ended without a result.
struct attempt_status {
  std::string step_id;
  std::int64_t epoch = 1; ///< The execution's owner epoch it ran in.
  int attempt = 1;        ///< Counted from 1 in each epoch.
  std::string node;       ///< The node that owned the execution then.
  std::string agent_id;
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::string outcome; ///< completed | damaged | failed | given_up
  std::string error;
};

/// A change of an execution's owner: from this epoch on, `node` ran it.
struct owner_status {
  std::int64_t epoch = 1;
  std::string node;
  std::string previous_node; ///< "" = none (it was queued unowned).
  std::string reason;        ///< restart | takeover | queued | retry
  std::int64_t at_ms = 0;
};

/// An execution as seen from outside: stored state plus live step states.
struct execution_status {
  std::string id;
  std::string workflow;
  std::string state;
  std::string owner_node;
  std::int64_t epoch = 0;
  nlohmann::json input;
  nlohmann::json output; ///< Leaf step id -> output, once completed.
  std::string error;
  std::vector<step_status> steps;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::string trace_id; ///< The W3C trace it runs in ("" = none kept).
  /// The workflow version it runs, as stored with it (steps, their
  /// dependencies and parameters); null in lists.
  nlohmann::json definition;
  /// Every stored attempt, by start time (empty in lists): retries show
  /// as several attempts of a step, takeovers as a later epoch on
  /// another node.
  std::vector<attempt_status> attempts;
  /// The changes of owner, by epoch (empty in lists and for an execution
  /// that always ran on the node that started it).
  std::vector<owner_status> owners;
};

/// Something that happened to an execution, as watchers see it.
struct execution_event {
  /// started | completed (its agent answered) | checkpointed (committed) |
  /// retried | failed | finished (a terminal state, in `state`)
  std::string kind;
  std::string execution_id;
  std::string step_id; ///< "" for `finished`.
  int attempt = 0;
  std::string agent_id;
  std::string detail; ///< An error's text, or "".
  std::int64_t at_ms = 0;
  std::string state; ///< For `finished`: completed | failed | cancelled.
};

/// A request to start an execution of a stored workflow's active version.
struct submission {
  std::string workflow; ///< By name.
  nlohmann::json input = nlohmann::json::object();
  /// The client's id for it ("" = a new one): 1-64 of [A-Za-z0-9._-].
  std::string execution_id;
  /// The client's key for this start (at most 255 characters; "" =
  /// none): a second submission with the same key finds the first
  /// execution instead of starting another.
  std::string idempotency_key;
  /// The caller's W3C traceparent ("" or malformed = a new trace): the
  /// execution's span is its child, and so every step and provider call.
  std::string traceparent;
};

/// What a submission did.
struct submitted {
  std::string id;
  std::string workflow;
  int workflow_version = 0;
  /// As the submit left it: running (here), pending (stored for a node
  /// with room), or the state a found execution is in now.
  std::string state;
  bool existed = false; ///< The id or key named an execution stored before.
};

/// A page of executions, newest first.
struct execution_page {
  std::vector<execution_status> items;
  std::int64_t total = 0;
};

/// A workflow as stored: its active version, and how many it has.
struct workflow_info {
  std::string name;
  int version = 1;    ///< The active one.
  std::string status; ///< draft | active | archived
  std::string department;
  std::string description;
  int latest_version = 1;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  nlohmann::json definition; ///< Of the active version.
};

/// One version of a workflow.
struct workflow_version_info {
  std::string name;
  int version = 1;
  std::string source; ///< api | catalog
  bool active = false;
  std::int64_t created_at_ms = 0;
  nlohmann::json definition;
};

/// A step's result: what its agent answered, and what it cost.
struct result_view {
  std::string execution_id;
  std::string step_id;
  std::string agent_id;
  int attempt = 0;
  std::string output;
  double quality_score = -1; ///< -1: not scored.
  double cost = 0;
  int tokens_in = 0, tokens_out = 0, tokens_cached = 0;
  std::int64_t latency_ms = 0;
  std::string provider, model;
  int template_version = 0;
  nlohmann::json decision;
  std::int64_t created_at_ms = 0;
};

/// An agent of this node's catalog, with what the cluster knows of it.
struct agent_view {
  std::string id, name, department, provider, model;
  std::vector<std::string> capabilities;
  int capacity = 1;
  double price_per_call = 0;
  std::string node; ///< Where it runs ("" = this node); "unknown" if none.
  int load = 0;
  double latency_ms = 0;
  std::vector<model::quality_entry> quality;
  model::cost_row cost; ///< Its ledger, all time.
};

/// A command template version.
struct template_view {
  std::string id;
  int version = 1;
  std::string name, category;
  nlohmann::json definition;
  std::int64_t created_at_ms = 0;
};

/// A step's prompt, rendered again from what its execution stored.
struct step_prompt {
  std::string step_id;
  std::string template_id;
  int template_version = 0; ///< The version its result names, else newest.
  nlohmann::json params;    ///< With references to inputs and outputs filled.
  std::string prompt;
};

/// One node of the cluster as this node sees it.
struct node_view {
  std::string id;
  bool self = false;        ///< This node.
  std::string address;      ///< Its middleman host:port; "" = none.
  std::string http_address; ///< Its admin HTTP host:port.
  bool lease_live = false;
  std::int64_t lease_expires_at_ms = 0;
  bool connected = false; ///< This node has it as a peer (or is it).
  std::vector<model::agent_directory_entry> agents;
};

/// The cluster as this node sees it.
struct cluster_view {
  std::string node; ///< This node's id.
  std::vector<node_view> nodes;
};

} // namespace hishamos
