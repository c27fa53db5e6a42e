// SQLite: append-only records (task results, audit events), learned
// quality and ratings; one batch is one transaction.

#include <algorithm>

#include "persistence/sqlite/connection.hpp"

namespace hishamos::persistence::sqlite {

// One row a statement, kept prepared: with SQLite in process, running a
// prepared statement per row costs less than parsing a statement of many.
status
sqlite_store::insert_task_results(const std::vector<task_result_record>& xs) {
  for (const auto& x : xs) {
    auto ins = kept("INSERT INTO task_results (execution_id, step_id, "
                    "agent_id, cost, latency_ms, created_at, quality_score, "
                    "tokens_in, tokens_out, decision, template_version, "
                    "tokens_cached, cost_avoided, provider, model, workflow, "
                    "department) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    ins.bind_row(0, x);
    if (int rc = ins.step(); rc != SQLITE_DONE)
      return ins.error("appending task results", rc);
  }
  return {};
}

status sqlite_store::append_records(const record_batch& batch) {
  if (batch.empty())
    return {};
  return transaction([&]() -> status {
    if (auto st = insert_audit_events(batch.audit_events); !st)
      return st;
    if (auto st = insert_task_results(batch.task_results); !st)
      return st;
    for (const auto& x : batch.agent_stats) { // in order: the newest wins
      statement up{db_.get(),
                   "INSERT INTO agent_stats (agent_id, category, node_id, "
                   "successes, failures, updated_at) VALUES (?, ?, ?, ?, ?, "
                   "?) ON CONFLICT (agent_id, category, node_id) DO UPDATE "
                   "SET successes = excluded.successes, failures = "
                   "excluded.failures, updated_at = excluded.updated_at"};
      up.bind(x.agent_id, x.category, x.node_id, x.successes, x.failures,
              now_ms());
      if (int rc = up.step(); rc != SQLITE_DONE)
        return up.error("storing learned agent quality", rc);
    }
    return {};
  });
}

// Audit events join the hash chain (audit_chain.hpp); the write
// transaction orders writers, and ids follow the head without gaps.
status sqlite_store::insert_audit_events(const std::vector<audit_event>& xs) {
  if (xs.empty())
    return {};
  statement head{
      db_.get(),
      "SELECT last_id, last_hash FROM audit_chain_head WHERE id = 1"};
  if (int rc = head.step(); rc != SQLITE_ROW)
    return head.error("reading the audit chain's head", rc);
  auto id = head.integer(0);
  auto hash = head.text(1);
  for (const auto& e : xs) {
    auto prev = hash;
    hash = audit_hash(prev, ++id, e);
    statement ins{db_.get(), "INSERT INTO audit_logs (id, user_id, action, "
                             "details, created_at, prev_hash, hash) VALUES "
                             "(?, NULLIF(?, ''), ?, ?, ?, ?, ?)"};
    ins.bind(id, e.user_id, e.action, e.details, e.created_at_ms, prev, hash);
    if (int rc = ins.step(); rc != SQLITE_DONE)
      return ins.error("appending audit events", rc);
  }
  statement up{db_.get(), "UPDATE audit_chain_head SET last_id = ?, last_hash "
                          "= ? WHERE id = 1"};
  up.bind(id, hash);
  if (int rc = up.step(); rc != SQLITE_DONE)
    return up.error("moving the audit chain's head", rc);
  return {};
}

outcome<std::vector<agent_stat_record>> sqlite_store::agent_stats() {
  statement s{db_.get(), "SELECT agent_id, category, successes, failures, "
                         "node_id FROM agent_stats"};
  outcome<std::vector<agent_stat_record>> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.value.push_back(
        {s.text(0), s.text(1), s.real(2), s.real(3), s.text(4)});
  if (rc != SQLITE_DONE)
    out.st = s.error("reading learned agent quality", rc);
  return out;
}

outcome<std::map<std::string, step_result_meta>>
sqlite_store::decisions_of(const std::string& execution_id) {
  // Oldest first (a line kept with its checkpoint before one of
  // task_results of the same time).
  statement s{db_.get(), "SELECT step_id, coalesce(decision, ''), "
                         "coalesce(template_version, 0) FROM ledger_lines "
                         "WHERE execution_id = ? ORDER BY created_at, "
                         "line_id"};
  s.bind(execution_id);
  outcome<std::map<std::string, step_result_meta>> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) // newest last: it stays
    out.value[s.text(0)] = {s.text(1), static_cast<int>(s.integer(2))};
  if (rc != SQLITE_DONE)
    out.st = s.error("reading routing decisions", rc);
  return out;
}

// The step's line kept with its checkpoint, else its newest line in
// task_results.
status sqlite_store::rate_result(const std::string& execution_id,
                                 const std::string& step_id, double score) {
  statement with_checkpoint{
      db_.get(), "UPDATE execution_steps SET quality_score = ?3 WHERE "
                 "execution_id = ?1 AND step_id = ?2 AND line_at IS NOT NULL"};
  with_checkpoint.bind(execution_id, step_id, score);
  if (int rc = with_checkpoint.step(); rc != SQLITE_DONE)
    return with_checkpoint.error("rating a result", rc);
  if (sqlite3_changes(db_.get()) > 0)
    return {};
  statement s{db_.get(), "UPDATE task_results SET quality_score = ?3 WHERE "
                         "id = (SELECT max(id) FROM task_results WHERE "
                         "execution_id = ?1 AND step_id = ?2)"};
  s.bind(execution_id, step_id, score);
  if (int rc = s.step(); rc != SQLITE_DONE)
    return s.error("rating a result", rc);
  if (sqlite3_changes(db_.get()) == 0)
    return {errc::not_found, "execution " + execution_id +
                                 " has no result for step '" + step_id + "'"};
  return {};
}

outcome<std::vector<task_result_record>>
sqlite_store::results_of(const std::string& execution_id) {
  statement s{db_.get(),
              "SELECT execution_id, step_id, agent_id, "
              "COALESCE(quality_score, -1), cost, tokens_in, tokens_out, "
              "latency_ms, created_at, COALESCE(decision, ''), "
              "COALESCE(template_version, 0), tokens_cached, cost_avoided, "
              "provider, model, workflow, department FROM ledger_lines WHERE "
              "execution_id = ? ORDER BY created_at, line_id, step_id"};
  s.bind(execution_id);
  outcome<std::vector<task_result_record>> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.value.push_back(
        {s.text(0), s.text(1), s.text(2), s.real(3), s.real(4),
         static_cast<int>(s.integer(5)), static_cast<int>(s.integer(6)),
         s.integer(7), s.integer(8), s.text(9), static_cast<int>(s.integer(10)),
         static_cast<int>(s.integer(11)), s.real(12), s.text(13), s.text(14),
         s.text(15), s.text(16)});
  if (rc != SQLITE_DONE)
    out.st = s.error("reading results of " + execution_id, rc);
  return out;
}

outcome<std::int64_t> sqlite_store::count_audit_events() {
  return count("counting audit events", "SELECT count(*) FROM audit_logs");
}

outcome<std::int64_t> sqlite_store::count_ledger_lines() {
  return count("counting ledger lines", "SELECT count(*) FROM ledger_lines");
}

} // namespace hishamos::persistence::sqlite
