#pragma once

// The rows the store keeps, as the rest of the runtime sees them: an
// execution, its checkpoints and state changes, the append-only records
// of every step (task results, audit events, learned quality) and the
// nodes of a cluster. Plain data: the store roles read and write them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hishamos::persistence {

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
  /// When set (`definition_hash_of(definition)`), the store keeps the
  /// definition once under this hash rather than in each execution's row
  /// (store.definitions_by_hash); reads fill `definition` in from it. ""
  /// = kept in the row, as releases before this one read it.
  std::string definition_hash;
  std::string input; ///< JSON object.
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
  /// The client's name for this start of it ("" = none): a second create
  /// with the same key finds this execution instead of making another.
  std::string idempotency_key;
  int workflow_version = 1; ///< The version of the workflow it runs.
  std::string department;   ///< Its workflow's, for filters.
  /// The traceparent of the execution's own span (W3C trace context; ""
  /// for executions stored before traces were kept).
  std::string trace_context;
  std::string trace_parent_span; ///< The span that started it; "" = none.
};

/// What creating an execution did: stored it, or found it stored already
/// (the same id, or the same idempotency key), as it is now.
struct creation {
  bool created = false;
  execution_record stored;
};

/// A page of the execution list, newest first.
struct execution_page {
  std::vector<execution_record> items;
  std::int64_t total = 0; ///< Rows matching the filters, over all pages.
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

/// An attempt at a step that ended without a result (step_attempts): it
/// failed, timed out, or was given up when its execution ended. The
/// attempt that succeeded is the step's checkpoint.
struct attempt_record {
  std::string execution_id;
  std::string step_id;
  std::int64_t epoch = 1;
  int attempt = 1;
  std::string node_id; ///< The node that owned the execution then.
  std::string agent_id;
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::string outcome; ///< failed | given_up
  std::string error;   ///< Bounded (max_attempt_error_bytes).
};

/// The most of an attempt's error the store keeps.
constexpr size_t max_attempt_error_bytes = 2048;

/// A change of an execution's owner (execution_owners): the epoch it
/// began, written in the transaction that bumped the epoch.
struct owner_change {
  std::int64_t epoch = 1;
  std::string node_id;       ///< The owner from this epoch on.
  std::string previous_node; ///< "" = none (it was queued unowned).
  std::string reason;        ///< restart | takeover | queued | retry
  std::int64_t at_ms = 0;
};

/// Everything stored about an execution's attempts beyond its checkpoints.
struct attempt_history {
  std::vector<attempt_record> attempts; ///< By start time.
  std::vector<owner_change> owners;     ///< By epoch.
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
  /// Committed in the checkpoint's own transaction, and only with the
  /// checkpoint that is stored (a resent one adds nothing): the step's
  /// line in the cost ledger (zero or one) and the audit events of what
  /// the execution decided on its way to it (budgets).
  std::vector<task_result_record> ledger;
  std::vector<audit_event> audit;
  /// Earlier attempts of the execution's steps that ended without a result
  /// and are not stored yet: stored in the same transaction, whether or
  /// not the checkpoint is new (a resend stores them once).
  std::vector<attempt_record> attempts;
  /// Read back: "" when it is intact; otherwise what is wrong with it
  /// (checksum mismatch, unknown encoding), and `output` is empty. An
  /// execution with a damaged checkpoint is quarantined, never run on.
  std::string damage;
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
  /// Audit events committed in the same transaction as the change.
  std::vector<audit_event> audit;
  /// Attempts that ended without a result, stored with the change (as a
  /// checkpoint's are).
  std::vector<attempt_record> attempts;
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
  void prepend(record_batch earlier);
  /// Adds a quality record, replacing a waiting one of the same agent,
  /// category and node: each carries totals, so only the newest counts.
  void put_stat(agent_stat_record x);
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

/// A workflow as stored: its active version's definition, and how many
/// versions it has.
struct workflow_row {
  std::string name;
  int version = 1; ///< The active version (what executions start with).
  std::string status = "active"; ///< draft | active | archived
  std::string department;
  std::string definition; ///< JSON of the active version.
  std::string description;
  int latest_version = 1;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

/// One version of a workflow.
struct workflow_version_row {
  std::string name;
  int version = 1;
  std::string definition; ///< JSON.
  std::string source;     ///< api | catalog
  std::int64_t created_at_ms = 0;
};

/// One version of a command template.
struct template_row {
  std::string id;
  int version = 1;
  std::string name;
  std::string category;
  std::string definition; ///< JSON.
  std::int64_t created_at_ms = 0;
};

/// What a store holds, as a node remembers it: which store it is and how
/// much it held. Executions and checkpoints are never deleted, so a store
/// with fewer than a node saw has lost some.
struct store_mark {
  std::string id; ///< store_identity.id; "" = none (no schema yet).
  std::int64_t executions = 0;
  std::int64_t checkpoints = 0;
};

/// What the store says its nodes write (store_identity), where a node's
/// configuration does not say.
struct store_settings {
  /// Each distinct execution definition kept once, by hash: on in a store
  /// made by a release that has it, off in one made before.
  bool definitions_by_hash = false;
  /// Routing decisions in their compact form (model::write_compact_json):
  /// on in a store made by a release that reads it, off in one made
  /// before.
  bool compact_decisions = false;
  /// Each step's ledger line kept in its checkpoint's row, not in a row of
  /// task_results of its own: on in a store made by a release that reads
  /// both, off in one made before.
  bool ledger_with_checkpoints = false;
};

/// What `hishamos db optimize` did and found.
struct optimize_report {
  std::vector<std::string>
      analyzed; ///< Tables whose statistics were refreshed.
  std::vector<std::string> missing_indexes; ///< "name on table (columns)".
};

/// Milliseconds since the Unix epoch (wall clock, for timestamps).
[[nodiscard]] std::int64_t now_ms();

} // namespace hishamos::persistence
