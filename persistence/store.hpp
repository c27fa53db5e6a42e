#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hishamos::persistence {

/// Error codes of the persistence module.
enum class errc {
  ok = 0,
  unavailable, ///< Retryable: the database could not be reached or was busy.
  stale_epoch, ///< Final: the writer no longer owns the execution (fenced).
  not_found,   ///< Final: no such execution.
  invalid,     ///< Final: bad input (e.g. an unsupported store URL).
  corrupt,     ///< Final: stored data could not be decoded.
};

/// True for errors worth retrying (the same call may succeed later).
[[nodiscard]] constexpr bool is_retryable(errc x) {
  return x == errc::unavailable;
}

/// The outcome of a store call without a value.
struct [[nodiscard]] status {
  errc code = errc::ok;
  std::string message; ///< What failed and how to fix it; never holds secrets.
  explicit operator bool() const { return code == errc::ok; }
};

/// A value or the status that prevented it.
template <class T> struct [[nodiscard]] outcome {
  status st;
  T value{};
  explicit operator bool() const { return static_cast<bool>(st); }
};

/// Lifecycle states of an execution.
enum class execution_state {
  pending,
  running,
  paused,
  completed,
  failed,
  cancelled
};
[[nodiscard]] const char* to_string(execution_state x);
[[nodiscard]] std::optional<execution_state>
parse_execution_state(const std::string& x);
[[nodiscard]] bool is_terminal(execution_state x);

/// One row of workflow_executions.
struct execution_record {
  std::string id;
  std::string workflow_name;
  std::string definition; ///< The workflow as JSON, as it was when started.
  std::string input;      ///< JSON object.
  execution_state state = execution_state::pending;
  std::string owner_node;
  std::int64_t epoch = 1; ///< Fences writes from a stale owner.
  std::string output;     ///< JSON object of leaf-step outputs when completed.
  std::string error;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

/// A finished step: the result an execution never recomputes once stored.
struct checkpoint {
  std::string execution_id;
  std::string step_id;
  int attempt = 1;
  std::int64_t epoch = 1;
  std::string output;
  std::string agent_id;
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
};

/// One append-only record of a step attempt's result (task_results).
struct task_result_record {
  std::string execution_id;
  std::string step_id;
  std::string agent_id;
  double quality_score = -1; ///< -1: not scored (stored as NULL).
  double cost = 0;
  int tokens_in = 0;
  int tokens_out = 0;
  std::int64_t latency_ms = 0;
  std::int64_t created_at_ms = 0;
};

/// A fenced change of an execution's state.
struct state_change {
  std::string execution_id;
  std::int64_t epoch = 1;
  execution_state state = execution_state::running;
  std::string output; ///< JSON, for completed executions.
  std::string error;  ///< For failed or cancelled executions.
};

/// Durable storage of executions and their checkpoints. One instance is one
/// connection: not thread-safe; blocking; used from detached actors or
/// threads of their own only.
class store {
public:
  virtual ~store() = default;

  /// Applies pending forward-only migrations.
  virtual status migrate() = 0;
  /// Highest applied migration version.
  virtual outcome<int> schema_version() = 0;
  /// Cheap liveness check.
  virtual status ping() = 0;

  /// Stores a new execution (state, owner and epoch as given). Creating an
  /// existing id again changes nothing, so a create whose commit outcome
  /// was unknown can simply be retried.
  virtual status create_execution(const execution_record& x) = 0;
  /// Commits all checkpoints in one transaction. Saving a step twice keeps
  /// the first row. A checkpoint whose epoch is not the execution's current
  /// epoch is rejected (stale_epoch) inside the same transaction; the
  /// result has one status per checkpoint.
  virtual outcome<std::vector<status>>
  save_checkpoints(const std::vector<checkpoint>& xs) = 0;
  /// Changes an execution's state if `x.epoch` is current.
  virtual status change_state(const state_change& x) = 0;

  virtual outcome<std::optional<execution_record>>
  find_execution(const std::string& id) = 0;
  virtual outcome<std::vector<checkpoint>>
  checkpoints(const std::string& execution_id) = 0;
  /// Newest first.
  virtual outcome<std::vector<execution_record>> list_executions(int limit) = 0;
  /// At a node's start: takes its own unfinished executions and those of
  /// nodes whose lease expired (or that have none): sets the owner, bumps
  /// the epoch (fencing any previous owner) and returns them.
  virtual outcome<std::vector<execution_record>>
  claim_unfinished(const std::string& node_id) = 0;
  /// While running: takes up to `limit` unfinished executions of other
  /// nodes whose lease expired, as claim_unfinished does. Rows another
  /// transaction holds are skipped, not waited for.
  virtual outcome<std::vector<execution_record>>
  claim_expired(const std::string& node_id, int limit) = 0;
  /// Renews this node's lease until database time + `lease_ms`.
  virtual status heartbeat(const std::string& node_id,
                           std::int64_t lease_ms) = 0;
  /// Ends this node's lease now, so that others may claim its executions.
  virtual status release_lease(const std::string& node_id) = 0;
  /// Appends records in one multi-row INSERT (one transaction).
  virtual status
  append_task_results(const std::vector<task_result_record>& xs) = 0;
  /// Number of task_results rows (for tests and the admin API).
  virtual outcome<std::int64_t> count_task_results() = 0;
  /// Refuses settings that lose committed data (fsync off, asynchronous
  /// commit), saying what to change.
  virtual status check_durability() = 0;
};

/// A URL with any password replaced by "***", for messages and logs.
[[nodiscard]] std::string redact_url(const std::string& url);

/// Opens a store by URL: `sqlite:PATH` (the embedded default, single node;
/// the parent directory is created) or `postgresql://...` (production and
/// clusters). Does not migrate.
outcome<std::unique_ptr<store>> open_store(const std::string& url);

/// Milliseconds since the Unix epoch (wall clock, for timestamps).
[[nodiscard]] std::int64_t now_ms();

} // namespace hishamos::persistence
