// SQLite: executions, checkpoints and their ownership. The embedded store
// is single-node (the node holds a file lock), so ownership only moves
// between this node and "unowned" (queued while the node was at its limit).

#include <set>

#include "persistence/checkpoint_codec.hpp"
#include "persistence/internal/creations.hpp"
#include "persistence/sqlite/connection.hpp"

namespace hishamos::persistence::sqlite {

const char* const execution_columns =
    "id, workflow_name, definition, input, state, owner_node, epoch, "
    "COALESCE(output, ''), COALESCE(error, ''), created_at, updated_at, "
    "budget_approved_until, COALESCE(idempotency_key, ''), workflow_version, "
    "department, trace_context, trace_parent_span";

execution_record read_execution(const statement& s) {
  execution_record x;
  x.id = s.text(0);
  x.workflow_name = s.text(1);
  x.definition = s.text(2);
  x.input = s.text(3);
  x.state = parse_execution_state(s.text(4)).value_or(execution_state::failed);
  x.owner_node = s.text(5);
  x.epoch = s.integer(6);
  x.output = s.text(7);
  x.error = s.text(8);
  x.created_at_ms = s.integer(9);
  x.updated_at_ms = s.integer(10);
  x.budget_approved_until = s.real(11);
  x.idempotency_key = s.text(12);
  x.workflow_version = static_cast<int>(s.integer(13));
  x.department = s.text(14);
  x.trace_context = s.text(15);
  x.trace_parent_span = s.text(16);
  return x;
}

status sqlite_store::create_execution(const execution_record& x) {
  return create_executions({x}).st;
}

outcome<std::optional<execution_record>>
sqlite_store::stored_like(const execution_record& x) {
  statement s{db_.get(),
              (std::string{"SELECT "} + execution_columns +
               " FROM workflow_executions WHERE id = ?1 OR (?2 != '' AND "
               "idempotency_key = ?2) ORDER BY id = ?1 DESC LIMIT 1")
                  .c_str()};
  s.bind(x.id, x.idempotency_key);
  int rc = s.step();
  if (rc == SQLITE_DONE)
    return {{}, std::nullopt};
  if (rc != SQLITE_ROW)
    return {s.error("reading execution " + x.id, rc)};
  return {{}, read_execution(s)};
}

outcome<std::vector<creation>>
sqlite_store::create_executions(const std::vector<execution_record>& xs) {
  std::set<std::string> inserted;
  std::vector<execution_record> stored;
  auto st = transaction([&]() -> status {
    inserted.clear();
    stored.clear();
    for (const auto& x : xs) {
      auto s = kept("INSERT OR IGNORE INTO workflow_executions (id, "
                    "workflow_name, definition, input, state, owner_node, "
                    "epoch, created_at, updated_at, idempotency_key, "
                    "workflow_version, department, trace_context, "
                    "trace_parent_span) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    "NULLIF(?, ''), ?, ?, ?, ?)");
      auto now = now_ms();
      s.bind(x.id, x.workflow_name, x.definition, x.input, to_string(x.state),
             x.owner_node, x.epoch, now, now, x.idempotency_key,
             x.workflow_version, x.department, x.trace_context,
             x.trace_parent_span);
      if (int rc = s.step(); rc != SQLITE_DONE)
        return s.error("creating execution " + x.id, rc);
      if (sqlite3_changes(db_.get()) > 0) {
        inserted.insert(x.id);
        continue;
      }
      auto found = stored_like(x);
      if (!found)
        return found.st;
      if (found.value)
        stored.push_back(std::move(*found.value));
    }
    return {};
  });
  if (!st)
    return {st};
  return {{}, match_creations(xs, inserted, stored)};
}

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

template <class... Ts>
status sqlite_store::record_owners(const std::string& which,
                                   const std::string& node_id,
                                   const Ts&... xs) {
  statement s{
      db_.get(),
      ("INSERT INTO execution_owners (execution_id, epoch, node_id, "
       "previous_node, reason, at_ms) SELECT id, epoch + 1, ?1, "
       "COALESCE(owner_node, ''), CASE WHEN owner_node = ?1 THEN 'restart' "
       "WHEN COALESCE(owner_node, '') = '' THEN 'queued' ELSE 'takeover' "
       "END, ?2 FROM workflow_executions WHERE " +
       which + " ON CONFLICT DO NOTHING")
          .c_str()};
  s.bind(node_id, now_ms(), xs...);
  if (int rc = s.step(); rc != SQLITE_DONE)
    return s.error("recording the owners of claimed executions", rc);
  return {};
}

status sqlite_store::save_one(const checkpoint& cp, record_batch& with_them) {
  auto encoded = encode_output(cp.output);
  // Written only while the execution is at the checkpoint's epoch: the
  // check and the insert are one statement inside the writer's
  // transaction.
  auto ins =
      kept("INSERT INTO execution_steps (execution_id, step_id, attempt, "
           "epoch, output, agent_id, started_at, finished_at, cost, "
           "checksum) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 FROM "
           "workflow_executions WHERE id = ?1 AND epoch = ?4 ON CONFLICT "
           "DO NOTHING");
  ins.bind(cp.execution_id, cp.step_id, cp.attempt, cp.epoch, blob{encoded},
           cp.agent_id, cp.started_at_ms, cp.finished_at_ms,
           stored_cost(cp.cost), checkpoint_checksum(cp, encoded));
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
  with_them.task_results.insert(with_them.task_results.end(), cp.ledger.begin(),
                                cp.ledger.end());
  with_them.audit_events.insert(with_them.audit_events.end(), cp.audit.begin(),
                                cp.audit.end());
  return {};
}

status sqlite_store::change_state(const state_change& x) {
  auto got = change_states({x});
  return got.st ? got.value.front() : got.st;
}

// Each change with its audit events, all in one transaction; a stale one
// changes nothing and the others are kept.
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

outcome<std::optional<execution_record>>
sqlite_store::find_execution(const std::string& id) {
  statement s{db_.get(), (std::string{"SELECT "} + execution_columns +
                          " FROM workflow_executions WHERE id = ?")
                             .c_str()};
  s.bind(id);
  int rc = s.step();
  if (rc == SQLITE_DONE)
    return {{}, std::nullopt};
  if (rc != SQLITE_ROW)
    return {s.error("reading execution " + id, rc)};
  return {{}, read_execution(s)};
}

outcome<std::vector<checkpoint>>
sqlite_store::checkpoints(const std::string& id) {
  statement s{db_.get(),
              "SELECT step_id, attempt, epoch, output, agent_id, started_at, "
              "finished_at, cost, checksum FROM execution_steps WHERE "
              "execution_id = ? ORDER BY finished_at, step_id"};
  s.bind(id);
  std::vector<checkpoint> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    checkpoint cp{id,           s.text(0),    static_cast<int>(s.integer(1)),
                  s.integer(2), "",           s.text(4),
                  s.integer(5), s.integer(6), s.real(7)};
    restore_output(cp, s.text(3),
                   s.is_null(8) ? std::nullopt
                                : std::optional<std::string>{s.text(8)});
    out.push_back(std::move(cp));
  }
  if (rc != SQLITE_DONE)
    return {s.error("reading checkpoints of " + id, rc)};
  return {{}, std::move(out)};
}

// Local reads cost no round trip: one query per execution is fine.
outcome<std::map<std::string, std::vector<checkpoint>>>
sqlite_store::checkpoints_of(const std::vector<std::string>& ids) {
  outcome<std::map<std::string, std::vector<checkpoint>>> out;
  for (const auto& id : ids) {
    auto one = checkpoints(id);
    if (!one)
      return {one.st};
    if (!one.value.empty())
      out.value[id] = std::move(one.value);
  }
  return out;
}

outcome<std::vector<execution_record>>
sqlite_store::select_executions(const std::string& sql) {
  statement s{db_.get(), sql.c_str()};
  std::vector<execution_record> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.push_back(read_execution(s));
  if (rc != SQLITE_DONE)
    return {s.error("listing executions", rc)};
  return {{}, std::move(out)};
}

outcome<std::vector<execution_record>>
sqlite_store::claim_unfinished(const std::string& node_id) {
  outcome<std::vector<execution_record>> out;
  out.st = transaction([&]() -> status {
    if (auto noted =
            record_owners("state IN ('pending', 'running', 'paused')", node_id);
        !noted)
      return noted;
    statement up{
        db_.get(),
        "UPDATE workflow_executions SET owner_node = ?, epoch = epoch + 1, "
        "updated_at = ? WHERE state IN ('pending', 'running', 'paused')"};
    up.bind(node_id, now_ms());
    if (int rc = up.step(); rc != SQLITE_DONE)
      return up.error("claiming unfinished executions", rc);
    auto rows = select_executions(std::string{"SELECT "} + execution_columns +
                                  " FROM workflow_executions WHERE state IN "
                                  "('pending', 'running', 'paused') ORDER BY "
                                  "created_at");
    out.value = std::move(rows.value);
    return rows.st;
  });
  return out;
}

// There are no other owners to fence or leases to keep: what no live node
// owns are the executions queued unowned while the node was at its limit.
outcome<std::vector<execution_record>>
sqlite_store::claim_expired(const std::string& node_id, int limit) {
  const std::string queued =
      "id IN (SELECT id FROM workflow_executions WHERE state IN ('pending', "
      "'paused') AND COALESCE(owner_node, '') = '' ORDER BY created_at, id "
      "LIMIT ?3)";
  outcome<std::vector<execution_record>> out;
  out.st = transaction([&]() -> status {
    out.value.clear();
    if (auto noted = record_owners(queued, node_id, limit); !noted)
      return noted;
    statement s{db_.get(),
                (std::string{"UPDATE workflow_executions SET owner_node = ?1, "
                             "epoch = epoch + 1, state = CASE WHEN state = "
                             "'paused' THEN 'paused' ELSE 'running' END, "
                             "updated_at = ?2 WHERE "} +
                 queued + " RETURNING " + execution_columns)
                    .c_str()};
    s.bind(node_id, now_ms(), limit);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
      out.value.push_back(read_execution(s));
    if (rc != SQLITE_DONE)
      return s.error("claiming queued executions", rc);
    return {};
  });
  return out;
}

outcome<execution_record>
sqlite_store::reopen_execution(const std::string& id,
                               const std::string& node_id) {
  outcome<execution_record> out;
  out.st = transaction([&]() -> status {
    auto known = find_execution(id);
    if (!known)
      return known.st;
    if (!known.value)
      return {errc::not_found, "no execution with id '" + id + "'"};
    auto state = known.value->state;
    if (state != execution_state::failed && state != execution_state::cancelled)
      return {errc::conflict,
              "execution " + id + " is " + to_string(state) +
                  "; only a failed or cancelled one is retried"};
    statement owner{db_.get(),
                    "INSERT INTO execution_owners (execution_id, epoch, "
                    "node_id, previous_node, reason, at_ms) SELECT id, epoch "
                    "+ 1, ?, COALESCE(owner_node, ''), 'retry', ? FROM "
                    "workflow_executions WHERE id = ? ON CONFLICT DO NOTHING"};
    owner.bind(node_id, now_ms(), id);
    if (int rc = owner.step(); rc != SQLITE_DONE)
      return owner.error("reopening execution " + id, rc);
    statement s{db_.get(),
                "UPDATE workflow_executions SET state = 'running', "
                "owner_node = ?, epoch = epoch + 1, error = '', output = '', "
                "updated_at = ? WHERE id = ?"};
    s.bind(node_id, now_ms(), id);
    if (int rc = s.step(); rc != SQLITE_DONE)
      return s.error("reopening execution " + id, rc);
    auto now = find_execution(id);
    out.value = now.value.value_or(execution_record{});
    return now.st;
  });
  return out;
}

status sqlite_store::release_executions(const std::string& node_id,
                                        const std::vector<std::string>& ids) {
  return transaction([&]() -> status {
    for (const auto& id : ids) {
      statement s{db_.get(),
                  "UPDATE workflow_executions SET owner_node = NULL, state = "
                  "CASE WHEN state = 'running' THEN 'pending' ELSE state "
                  "END, updated_at = ? WHERE owner_node = ? AND id = ?"};
      s.bind(now_ms(), node_id, id);
      if (int rc = s.step(); rc != SQLITE_DONE)
        return s.error("releasing execution " + id, rc);
    }
    return {};
  });
}

} // namespace hishamos::persistence::sqlite
