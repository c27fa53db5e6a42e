#pragma once

// The cost roll-up query, shared by both stores: they differ only in how
// a day is named, how a time is written and how text is quoted.

#include <functional>
#include <string>

#include "persistence/store.hpp"

namespace hishamos::persistence {

struct sql_dialect {
  std::string day_of_created_at; ///< YYYY-MM-DD (UTC) of created_at.
  std::function<std::string(std::int64_t)> time_ms;     ///< A created_at value.
  std::function<std::string(const std::string&)> quote; ///< A text literal.
};

/// SELECT key, calls, tokens in, out, cached, cost, cost avoided, average
/// latency FROM the whole ledger (task_results and the lines kept with
/// checkpoints), filtered and grouped as `q` says.
inline std::string cost_rollup_sql(const cost_query& q, const sql_dialect& d) {
  std::string key;
  switch (q.by) {
  case cost_grouping::step:
    key = "execution_id || '/' || step_id";
    break;
  case cost_grouping::execution:
    key = "execution_id";
    break;
  case cost_grouping::agent:
    key = "agent_id";
    break;
  case cost_grouping::workflow:
    key = "workflow";
    break;
  case cost_grouping::department:
    key = "department";
    break;
  case cost_grouping::day:
    key = d.day_of_created_at;
    break;
  }
  std::string sql = "SELECT " + key +
                    " AS k, count(*), sum(tokens_in), sum(tokens_out), "
                    "sum(tokens_cached), sum(cost), sum(cost_avoided), "
                    "avg(latency_ms) FROM ledger_lines WHERE 1 = 1";
  if (q.from_ms > 0)
    sql += " AND created_at >= " + d.time_ms(q.from_ms);
  if (q.to_ms > 0)
    sql += " AND created_at < " + d.time_ms(q.to_ms);
  if (!q.execution_id.empty())
    sql += " AND execution_id = " + d.quote(q.execution_id);
  if (!q.workflow.empty())
    sql += " AND workflow = " + d.quote(q.workflow);
  sql += " GROUP BY k ORDER BY ";
  sql += q.by == cost_grouping::day ? "k" : "sum(cost) DESC, k";
  return sql + " LIMIT " + std::to_string(q.limit);
}

} // namespace hishamos::persistence
