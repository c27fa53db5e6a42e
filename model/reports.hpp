#pragma once

// What the read side of the runtime is asked and answers: pages of
// workflows, an agent's daily series, roll-ups of the cost ledger. The
// store computes them (persistence/report_store.hpp); the embedder API and
// the admin HTTP API hand them out as they are. Pure data and checks.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hishamos::model {

/// A page of the workflow list: filters ("" = any), 1-based page, and
/// 1..100 rows per page (see check()).
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
  double avg_latency_ms = 0; ///< Of the day's results; 0 when none.
};

/// What a cost roll-up sums by. `step` rows are keyed
/// "execution_id/step_id", `day` rows YYYY-MM-DD (UTC).
enum class cost_grouping { step, execution, agent, workflow, department, day };
[[nodiscard]] const char* to_string(cost_grouping x);
[[nodiscard]] std::optional<cost_grouping>
parse_cost_grouping(const std::string& x);

/// Which ledger lines a roll-up sums (see check()).
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

/// How a quarantined execution's error begins: it is `failed`, and its
/// stored state is damaged (runtime/quarantine.cpp writes it).
constexpr const char* quarantined_prefix = "quarantined: ";

/// A page of the execution list: filters ("" / 0 = any), newest first.
struct execution_query {
  /// pending | running | paused | completed | failed | cancelled, or
  /// quarantined: the failed ones whose error begins quarantined_prefix.
  std::string state;
  std::string workflow;     ///< By name.
  std::string department;   ///< The workflow's.
  std::int64_t from_ms = 0; ///< created_at >= from.
  std::int64_t to_ms = 0;   ///< created_at < to.
  int page = 1;
  int limit = 20; ///< 1..100
};

/// What one workflow's executions came to in a time range.
struct workflow_stat {
  std::string workflow;
  std::int64_t executions = 0;
  std::int64_t completed = 0;
  std::int64_t failed = 0;
  std::int64_t cancelled = 0;
  std::int64_t unfinished = 0; ///< pending, running or paused.
  double avg_duration_ms = 0;  ///< Of the completed: start to end.
};

/// Why an execution query is out of range; "" when it is fine.
[[nodiscard]] std::string check(const execution_query& q);
/// Why a workflow query is out of range; "" when it is fine.
[[nodiscard]] std::string check(const workflow_query& q);
/// Why a cost query is out of range; "" when it is fine.
[[nodiscard]] std::string check(const cost_query& q);
/// Why a day range is not one: days that are not YYYY-MM-DD, an end before
/// the start, more than 366 days; "" when it is fine.
[[nodiscard]] std::string check_day_range(const std::string& from_day,
                                          const std::string& to_day);

/// Midnight UTC of a YYYY-MM-DD day in ms; nullopt when it is no such day.
[[nodiscard]] std::optional<std::int64_t> day_start_ms(const std::string& day);

} // namespace hishamos::model
