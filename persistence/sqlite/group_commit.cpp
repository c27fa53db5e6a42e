// SQLite: the checkpoint writer's group commits. Checkpoints and state
// changes are written one statement each (kept prepared), each fenced by
// the execution's epoch in the statement itself; save_group puts both in
// one transaction.

#include "persistence/checkpoint_codec.hpp"
#include "persistence/sqlite/connection.hpp"

namespace hishamos::persistence::sqlite {

// The body of save_checkpoints, inside a transaction of the caller's.
status sqlite_store::save_checkpoints_in(const std::vector<checkpoint>& xs,
                                         std::vector<status>& each) {
  each.clear();
  record_batch with_them; // of the checkpoints stored now
  for (const auto& cp : xs) {
    auto one = save_one(cp, with_them);
    if (!one && is_retryable(one.code))
      return one;
    each.push_back(std::move(one));
  }
  if (auto written = insert_task_results(with_them.task_results); !written)
    return written;
  return insert_audit_events(with_them.audit_events);
}

outcome<std::vector<status>>
sqlite_store::save_checkpoints(const std::vector<checkpoint>& xs) {
  std::vector<status> each;
  auto st = transaction([&] { return save_checkpoints_in(xs, each); });
  return {st, st ? each : std::vector<status>{}};
}

// Unread (a failed read, kept for the next call), lines go to
// task_results, which every release reads.
bool sqlite_store::ledger_with_checkpoints() {
  if (!ledger_with_checkpoints_) {
    statement s{db_.get(),
                "SELECT ledger_with_checkpoints FROM store_identity"};
    if (s.step() != SQLITE_ROW)
      return false;
    ledger_with_checkpoints_ = s.integer(0) != 0;
  }
  return *ledger_with_checkpoints_;
}

status sqlite_store::save_one(const checkpoint& cp, record_batch& with_them) {
  auto encoded = encode_output(cp.output);
  const auto* line = ledger_with_checkpoints() ? line_in_row(cp) : nullptr;
  // Written only while the execution is at the checkpoint's epoch: the
  // check and the insert are one statement inside the writer's
  // transaction. With its ledger line when the row keeps it.
  auto ins =
      line ? kept("INSERT INTO execution_steps (execution_id, step_id, "
                  "attempt, epoch, output, agent_id, started_at, finished_at, "
                  "cost, checksum, line_at, quality_score, tokens_in, "
                  "tokens_out, decision, template_version, tokens_cached, "
                  "cost_avoided, provider, model, workflow, department) "
                  "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                  "?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22 FROM "
                  "workflow_executions WHERE id = ?1 AND epoch = ?4 ON "
                  "CONFLICT DO NOTHING")
           : kept("INSERT INTO execution_steps (execution_id, step_id, "
                  "attempt, epoch, output, agent_id, started_at, finished_at, "
                  "cost, checksum) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                  "?10 FROM workflow_executions WHERE id = ?1 AND epoch = ?4 "
                  "ON CONFLICT DO NOTHING");
  ins.bind(cp.execution_id, cp.step_id, cp.attempt, cp.epoch, blob{encoded},
           cp.agent_id, cp.started_at_ms, cp.finished_at_ms,
           stored_cost(cp.cost), checkpoint_checksum(cp, encoded));
  if (line)
    ins.bind_line(10, *line);
  if (int rc = ins.step(); rc != SQLITE_DONE)
    return ins.error("saving checkpoint", rc);
  if (sqlite3_changes(db_.get()) == 0) {
    // No row: another epoch, no execution, or stored before (its ledger
    // and audit lines are there too). Rare, so asked only now.
    statement check{db_.get(),
                    "SELECT epoch FROM workflow_executions WHERE id = ?"};
    check.bind(cp.execution_id);
    int rc = check.step();
    if (rc == SQLITE_DONE)
      return {errc::not_found, "no execution " + cp.execution_id};
    if (rc != SQLITE_ROW)
      return check.error("checking epoch", rc);
    if (check.integer(0) != cp.epoch)
      return {errc::stale_epoch, "checkpoint " + cp.execution_id + "/" +
                                     cp.step_id + " carries epoch " +
                                     std::to_string(cp.epoch) +
                                     " but the execution is at epoch " +
                                     std::to_string(check.integer(0))};
    return insert_attempts(cp.attempts);
  }
  if (auto saved = insert_attempts(cp.attempts); !saved)
    return saved;
  if (!line)
    with_them.task_results.insert(with_them.task_results.end(),
                                  cp.ledger.begin(), cp.ledger.end());
  with_them.audit_events.insert(with_them.audit_events.end(), cp.audit.begin(),
                                cp.audit.end());
  return {};
}

status sqlite_store::change_state(const state_change& x) {
  auto got = change_states({x});
  return got.st ? got.value.front() : got.st;
}

// Each change with its audit events, in the caller's transaction; a stale
// one changes nothing and the others are kept.
status sqlite_store::change_states_in(const std::vector<state_change>& xs,
                                      std::vector<status>& each) {
  each.clear();
  for (const auto& x : xs) {
    auto one = change_one(x);
    if (!one && is_retryable(one.code))
      return one;
    if (one) {
      if (auto audited = insert_audit_events(x.audit); !audited)
        return audited;
      if (auto noted = insert_attempts(x.attempts); !noted)
        return noted;
    }
    each.push_back(std::move(one));
  }
  return {};
}

outcome<std::vector<status>>
sqlite_store::change_states(const std::vector<state_change>& xs) {
  std::vector<status> each;
  auto st = transaction([&] { return change_states_in(xs, each); });
  return {st, st ? each : std::vector<status>{}};
}

// Checkpoints first: a change to an execution follows its checkpoints of
// the same flush, as it followed them in the writer's mailbox. One commit
// (one fsync) for the writer's whole flush.
execution_store::group_outcome
sqlite_store::save_group(const std::vector<checkpoint>& cps,
                         const std::vector<state_change>& changes) {
  std::vector<status> saved, changed;
  auto st = transaction([&] {
    auto first = save_checkpoints_in(cps, saved);
    return first ? change_states_in(changes, changed) : first;
  });
  if (!st)
    return {{st, {}}, {st, {}}};
  return {{{}, std::move(saved)}, {{}, std::move(changed)}};
}

status sqlite_store::change_one(const state_change& x) {
  auto s =
      kept("UPDATE workflow_executions SET state = ?, output = ?, error = ?, "
           "updated_at = ?, budget_approved_until = CASE WHEN ? < 0 THEN "
           "budget_approved_until ELSE ? END WHERE id = ? AND epoch = ?");
  s.bind(to_string(x.state), x.output, x.error, now_ms(),
         x.budget_approved_until, x.budget_approved_until, x.execution_id,
         x.epoch);
  if (int rc = s.step(); rc != SQLITE_DONE)
    return s.error("changing state of " + x.execution_id, rc);
  if (sqlite3_changes(db_.get()) == 0)
    return {errc::stale_epoch, "execution " + x.execution_id +
                                   " is not owned at epoch " +
                                   std::to_string(x.epoch)};
  return {};
}

} // namespace hishamos::persistence::sqlite
