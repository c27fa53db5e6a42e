#pragma once

// Role: the reports operators read: lists of executions and workflows,
// an agent's daily series, roll-ups of the cost ledger. Queries and rows
// are model types (model/reports.hpp), named here too for the store's
// callers.

#include <string>
#include <vector>

#include "model/reports.hpp"
#include "persistence/errors.hpp"
#include "persistence/records.hpp"

namespace hishamos::persistence {

using model::cost_grouping;
using model::cost_query;
using model::cost_row;
using model::daily_point;
using model::workflow_page;
using model::workflow_query;
using model::workflow_summary;

class report_store {
public:
  virtual ~report_store() = default;

  /// Newest first, filtered and paged as `q` says; `invalid` for a query
  /// out of range (model::check).
  virtual outcome<execution_page>
  list_executions(const model::execution_query& q) = 0;
  /// Workflows with execution_count and last_execution, newest first;
  /// `invalid` for a query out of range (model::check).
  virtual outcome<workflow_page> list_workflows(const workflow_query& q) = 0;
  /// One point per UTC day from `from_day` to `to_day` (YYYY-MM-DD, both
  /// included); `invalid` for a bad range (model::check_day_range).
  virtual outcome<std::vector<daily_point>>
  agent_daily_series(const std::string& agent_id, const std::string& from_day,
                     const std::string& to_day) = 0;
  /// Per workflow: its executions created in [from_ms, to_ms) (0 = no
  /// bound) by state, and how long the completed ones took.
  virtual outcome<std::vector<model::workflow_stat>>
  workflow_stats(std::int64_t from_ms, std::int64_t to_ms) = 0;
  /// The cost ledger (task_results) summed per `q.by`; `invalid` for a
  /// query out of range.
  virtual outcome<std::vector<cost_row>> cost_rollup(const cost_query& q) = 0;
};

/// `invalid` with the reason when `why` is not empty.
[[nodiscard]] inline status invalid_if(const std::string& why) {
  if (why.empty())
    return {};
  return {errc::invalid, why};
}

} // namespace hishamos::persistence
