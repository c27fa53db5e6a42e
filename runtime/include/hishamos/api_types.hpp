#pragma once

// The types of the embedder API (hishamos/node.hpp): its one error type,
// and how executions and the cluster look from outside. The store's own
// types stay behind it (persistence/); reports and snapshots are model
// types (model/reports.hpp, model/snapshots.hpp) handed out as they are.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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
