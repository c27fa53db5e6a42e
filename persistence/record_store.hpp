#pragma once

// Role: append-only records of what happened (task results, which are the
// cost ledger; audit events; learned quality) and the few reads that serve
// routing and ratings.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "persistence/audit_chain.hpp"
#include "persistence/errors.hpp"
#include "persistence/records.hpp"

namespace hishamos::persistence {

class record_store {
public:
  virtual ~record_store() = default;

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
  /// Every result of one execution, oldest first.
  virtual outcome<std::vector<task_result_record>>
  results_of(const std::string& execution_id) = 0;
  /// Number of lines in the cost ledger: rows of task_results and lines
  /// kept with their checkpoints (for tests and the admin API).
  virtual outcome<std::int64_t> count_ledger_lines() = 0;
  /// Number of audit_logs rows.
  virtual outcome<std::int64_t> count_audit_events() = 0;
  /// Chained audit rows with ids above `after_id`, oldest first.
  virtual outcome<std::vector<audit_row>> audit_rows(std::int64_t after_id,
                                                     int limit) = 0;
  virtual outcome<audit_head> audit_chain_head() = 0;
  /// The audit log as `q` filters and pages it, newest first.
  virtual outcome<audit_page> list_audit(const audit_query& q) = 0;
};

} // namespace hishamos::persistence
