#pragma once

#include <cstdint>
#include <map>
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
  conflict,    ///< Final: the request does not fit the current state.
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
  /// A person approved spending beyond its budgets until the execution's
  /// own spend reaches this (USD); 0 = nothing approved.
  double budget_approved_until = 0;
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
  double cost = 0; ///< What its model call cost: budgets count it on resume.
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
  std::string decision;     ///< Why its agent ran it (JSON); "" = unknown.
  int template_version = 0; ///< Of the template rendered; 0 = unknown.
  int tokens_cached = 0;    ///< Of tokens_in, served from a cache.
  double cost_avoided = 0;  ///< A cache hit: what the call would have cost.
  std::string provider;     ///< "" = no model call (a function agent).
  std::string model;
  std::string workflow;   ///< The execution's workflow, for roll-ups.
  std::string department; ///< The workflow's department ("" = none).
};

/// What a step's newest result says beyond its checkpoint.
struct step_result_meta {
  std::string decision;     ///< "" = none stored.
  int template_version = 0; ///< 0 = unknown.
};

/// Learned quality of an agent for a command category (agent_stats), as
/// one node observed it, written with the batch: the newest values replace
/// the stored ones of that (agent, category, node).
struct agent_stat_record {
  std::string agent_id;
  std::string category;
  double successes = 0;
  double failures = 0;
  std::string node_id; ///< Whose evidence; "" = an unclustered node's.
};

/// One append-only audit event (audit_logs): who did what.
struct audit_event {
  std::string user_id;        ///< "" when no user is known (no auth yet).
  std::string action;         ///< e.g. execution.start, execution.cancel
  std::string details = "{}"; ///< JSON object.
  std::int64_t created_at_ms = 0;
};

/// Append-only records written together by the batch processor.
struct record_batch {
  std::vector<task_result_record> task_results;
  std::vector<audit_event> audit_events;
  std::vector<agent_stat_record> agent_stats;
  [[nodiscard]] size_t size() const {
    return task_results.size() + audit_events.size() + agent_stats.size();
  }
  [[nodiscard]] bool empty() const { return size() == 0; }
  /// Puts `earlier` in front of these records (a failed write goes back).
  void prepend(record_batch earlier) {
    earlier.task_results.insert(earlier.task_results.end(),
                                task_results.begin(), task_results.end());
    earlier.audit_events.insert(earlier.audit_events.end(),
                                audit_events.begin(), audit_events.end());
    earlier.agent_stats.insert(earlier.agent_stats.end(), agent_stats.begin(),
                               agent_stats.end());
    *this = std::move(earlier);
  }
};

/// A fenced change of an execution's state.
struct state_change {
  std::string execution_id;
  std::int64_t epoch = 1;
  execution_state state = execution_state::running;
  std::string output; ///< JSON, for completed executions.
  std::string error;  ///< For failed or cancelled executions.
  /// Replaces the execution's budget_approved_until; < 0 = leaves it.
  double budget_approved_until = -1;
};

/// A node as the nodes table knows it.
struct node_row {
  std::string id;
  std::string address;      ///< host:port of its middleman; "" = none.
  std::string http_address; ///< host:port of its admin HTTP server.
  std::int64_t lease_expires_at_ms = 0;
  std::int64_t started_at_ms = 0;
  bool alive = false; ///< Its lease has not expired (database time).
};

/// A catalog workflow as stored in the workflows table.
struct workflow_row {
  std::string name;
  int version = 1;
  std::string status = "active";
  std::string department;
  std::string definition; ///< JSON.
};

/// A page of the workflow list: filters ("" = any), 1-based page, and
/// 1..100 rows per page (check with check_workflow_query).
struct workflow_query {
  std::string status;
  std::string department;
  int page = 1;
  int limit = 20;
};

/// One workflow with its execution statistics.
struct workflow_summary {
  std::string name;
  int version = 1;
  std::string status;
  std::string department;
  std::int64_t execution_count = 0;
  std::int64_t last_execution_ms = 0; ///< 0: never executed.
  std::int64_t created_at_ms = 0;
};

struct workflow_page {
  std::vector<workflow_summary> items;
  std::int64_t total = 0; ///< Rows matching the filters, over all pages.
};

/// One UTC day of an agent's task results; days without results are zeros.
struct daily_point {
  std::string day;             ///< YYYY-MM-DD
  std::int64_t executions = 0; ///< Distinct executions the agent worked on.
  std::int64_t tasks = 0;      ///< Task results.
  double avg_quality = 0;      ///< Over scored results; 0 when none.
  double cost = 0;
};

/// What a cost roll-up sums by. `step` rows are keyed
/// "execution_id/step_id", `day` rows YYYY-MM-DD (UTC).
enum class cost_grouping { step, execution, agent, workflow, department, day };
[[nodiscard]] const char* to_string(cost_grouping x);
[[nodiscard]] std::optional<cost_grouping>
parse_cost_grouping(const std::string& x);

/// Which ledger lines a roll-up sums (check with check_cost_query).
struct cost_query {
  cost_grouping by = cost_grouping::day;
  std::int64_t from_ms = 0; ///< created_at >= from; 0 = from the first.
  std::int64_t to_ms = 0;   ///< created_at < to; 0 = no end.
  std::string execution_id; ///< "" = every execution.
  std::string workflow;     ///< "" = every workflow.
  int limit = 100;          ///< 1..1000 rows, the costliest first (days:
                            ///< oldest first).
};

/// The ledger summed over one group.
struct cost_row {
  std::string key;
  std::int64_t calls = 0; ///< Task results.
  std::int64_t tokens_in = 0;
  std::int64_t tokens_out = 0;
  std::int64_t tokens_cached = 0;
  double cost = 0;
  double cost_avoided = 0;
  double avg_latency_ms = 0;
};

/// What `hishamos db optimize` did and found.
struct optimize_report {
  std::vector<std::string>
      analyzed; ///< Tables whose statistics were refreshed.
  std::vector<std::string> missing_indexes; ///< "name on table (columns)".
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
  /// The checkpoints of many executions in one round trip (recovery reads
  /// hundreds at once): execution id -> its checkpoints, as checkpoints().
  virtual outcome<std::map<std::string, std::vector<checkpoint>>>
  checkpoints_of(const std::vector<std::string>& execution_ids) = 0;
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
  /// Gives up this node's ownership of executions it claimed but will not
  /// run now (more than node.max_executions): they become unowned (running
  /// ones `pending`, paused ones stay paused) for the first node with room,
  /// which claims them as claim_expired does.
  virtual status release_executions(const std::string& node_id,
                                    const std::vector<std::string>& ids) = 0;
  /// Renews this node's lease until database time + `lease_ms`.
  virtual status heartbeat(const std::string& node_id,
                           std::int64_t lease_ms) = 0;
  /// Records where peers and operators reach this node (with a fresh
  /// lease of `lease_ms`), so that others can connect to it.
  virtual status register_node(const node_row& x, std::int64_t lease_ms) = 0;
  /// Every node the table knows, alive or not, by id.
  virtual outcome<std::vector<node_row>> nodes() = 0;
  /// Ends this node's lease now, so that others may claim its executions.
  virtual status release_lease(const std::string& node_id) = 0;
  /// Appends all records in one transaction, one multi-row INSERT per
  /// table (agent_stats rows are upserted, the later record of a pair
  /// winning): all of them are stored or none.
  virtual status append_records(const record_batch& xs) = 0;
  /// Every learned quality (agent_stats), for the dispatcher at start.
  virtual outcome<std::vector<agent_stat_record>> agent_stats() = 0;
  /// Step id -> the routing decision and template version of its newest
  /// result, for one execution.
  virtual outcome<std::map<std::string, step_result_meta>>
  decisions_of(const std::string& execution_id) = 0;
  /// Sets the quality score of a step's newest result (a person's
  /// rating); not_found when the step has no result.
  virtual status rate_result(const std::string& execution_id,
                             const std::string& step_id, double score) = 0;
  /// Number of task_results rows (for tests and the admin API).
  virtual outcome<std::int64_t> count_task_results() = 0;
  /// Number of audit_logs rows.
  virtual outcome<std::int64_t> count_audit_events() = 0;
  /// Makes the workflows table hold these catalog workflows (by name;
  /// created_at of known ones is kept).
  virtual status sync_workflows(const std::vector<workflow_row>& xs) = 0;
  /// Workflows with execution_count and last_execution, newest first.
  virtual outcome<workflow_page> list_workflows(const workflow_query& q) = 0;
  /// One point per UTC day from `from_day` to `to_day` (YYYY-MM-DD, both
  /// included; check with check_day_range).
  virtual outcome<std::vector<daily_point>>
  agent_daily_series(const std::string& agent_id, const std::string& from_day,
                     const std::string& to_day) = 0;
  /// The cost ledger (task_results) summed per `q.by`.
  virtual outcome<std::vector<cost_row>> cost_rollup(const cost_query& q) = 0;
  /// Refreshes planner statistics and reports expected indexes that are
  /// missing or invalid.
  virtual outcome<optimize_report> optimize() = 0;
  /// Refuses settings that lose committed data (fsync off, asynchronous
  /// commit), saying what to change.
  virtual status check_durability() = 0;
};

/// Rejects a workflow query the API should answer with 400 (invalid).
status check_workflow_query(const workflow_query& q);
/// Rejects days that are not YYYY-MM-DD, an end before the start, or a
/// range longer than 366 days (invalid).
status check_day_range(const std::string& from_day, const std::string& to_day);

/// Midnight UTC of a YYYY-MM-DD day in ms; nullopt when it is no such day.
[[nodiscard]] std::optional<std::int64_t> day_start_ms(const std::string& day);

/// Rejects a cost query the API should answer with 400 (invalid).
status check_cost_query(const cost_query& q);

/// A URL with any password replaced by "***", for messages and logs.
[[nodiscard]] std::string redact_url(const std::string& url);

/// Opens a store by URL: `sqlite:PATH` (the embedded default, single node;
/// the parent directory is created) or `postgresql://...` (production and
/// clusters). Does not migrate.
outcome<std::unique_ptr<store>> open_store(const std::string& url);

/// Milliseconds since the Unix epoch (wall clock, for timestamps).
[[nodiscard]] std::int64_t now_ms();

} // namespace hishamos::persistence
