// PostgreSQL: the checkpoint writer's group commits. A group of
// checkpoints is one INSERT and a group of state changes one UPDATE per
// run of distinct executions, each fenced by the execution's epoch in the
// statement itself; save_group puts both in one transaction.

#include <set>

#include "persistence/checkpoint_codec.hpp"
#include "persistence/pg/connection.hpp"

namespace hishamos::persistence::pg {

namespace {

// Past this much encoded output, a group's checkpoints go in more than one
// INSERT: a statement stays a few MiB whatever the outputs.
constexpr std::size_t group_statement_bytes = 4 << 20;

// One INSERT for many checkpoints, each written only while its execution
// is at the checkpoint's epoch, under a shared lock on the execution row
// (as checkpoint_owner takes). It returns the keys it stored.
const char* const group_insert_head =
    "INSERT INTO execution_steps (execution_id, step_id, attempt, epoch, "
    "output, agent_id, started_at, finished_at, cost, checksum) SELECT "
    "v.execution_id, v.step_id, v.attempt, v.epoch, v.output, v.agent_id, "
    "v.started_at, v.finished_at, v.cost, v.checksum FROM (VALUES ";
const char* const group_insert_tail =
    ") AS v(execution_id, step_id, attempt, epoch, output, agent_id, "
    "started_at, finished_at, cost, checksum) JOIN workflow_executions e ON "
    "e.id = v.execution_id AND e.epoch = v.epoch FOR SHARE OF e ON CONFLICT "
    "DO NOTHING RETURNING execution_id, step_id";

void append_row(pqxx::work& tx, const checkpoint& cp,
                const std::string& encoded, std::string& sql) {
  sql += '(';
  sql += tx.quote(cp.execution_id) + "::text," + tx.quote(cp.step_id) +
         "::text," + std::to_string(cp.attempt) + "::integer," +
         std::to_string(cp.epoch) + "::bigint," + tx.quote_raw(encoded) +
         "::bytea," + tx.quote(cp.agent_id) + "::text," +
         std::to_string(cp.started_at_ms) + "::bigint," +
         std::to_string(cp.finished_at_ms) + "::bigint," +
         tx.quote(pqxx::to_string(stored_cost(cp.cost))) + "::numeric," +
         tx.quote(checkpoint_checksum(cp, encoded)) + "::text)";
}

// What `body(tx)` answers for each record of a group, committed in one
// transaction (one WAL flush); no answers when the transaction fails.
template <class Body>
outcome<std::vector<status>> committed(pqxx::connection& c, const char* what,
                                       Body body) {
  outcome<std::vector<status>> out;
  out.st = guarded(what, [&]() -> status {
    pqxx::work tx{c};
    out.value = body(tx);
    tx.commit();
    return {};
  });
  if (!out.st)
    out.value.clear();
  return out;
}

} // namespace

// The group's checkpoints in one statement (one round trip per few MiB,
// not one per checkpoint); only those it did not store are asked about,
// one by one.
std::vector<status>
pg_store::save_checkpoints_in(pqxx::work& tx,
                              const std::vector<checkpoint>& xs) {
  std::vector<status> out;
  // A step's first checkpoint in the group is the one offered: which of
  // two rows of one statement ON CONFLICT keeps is not defined.
  std::set<std::pair<std::string, std::string>> offered, stored;
  for (size_t i = 0; i < xs.size();) {
    std::string sql = group_insert_head;
    std::size_t bytes = 0;
    bool any = false;
    for (; i < xs.size() && bytes < group_statement_bytes; ++i) {
      if (!offered.emplace(xs[i].execution_id, xs[i].step_id).second)
        continue;
      auto encoded = encode_output(xs[i].output);
      bytes += encoded.size();
      if (any)
        sql += ',';
      any = true;
      append_row(tx, xs[i], encoded, sql);
    }
    if (!any)
      break;
    for (const auto& row : tx.exec(sql + group_insert_tail))
      stored.emplace(row[0].c_str(), row[1].c_str());
  }
  record_batch with_them; // of the checkpoints stored now, in one INSERT
  std::vector<attempt_record> attempts;
  for (const auto& cp : xs) {
    // A key stored now answers its first checkpoint; a resend of it in
    // the same group finds it stored before.
    auto it = stored.find({cp.execution_id, cp.step_id});
    if (it == stored.end()) {
      out.push_back(not_stored(tx, cp, attempts));
      continue;
    }
    stored.erase(it);
    attempts.insert(attempts.end(), cp.attempts.begin(), cp.attempts.end());
    with_them.task_results.insert(with_them.task_results.end(),
                                  cp.ledger.begin(), cp.ledger.end());
    with_them.audit_events.insert(with_them.audit_events.end(),
                                  cp.audit.begin(), cp.audit.end());
    out.push_back({});
  }
  insert_task_results(tx, with_them.task_results);
  insert_audit_events(tx, with_them.audit_events);
  insert_attempts(tx, attempts);
  return out;
}

outcome<std::vector<status>>
pg_store::save_checkpoints(const std::vector<checkpoint>& xs) {
  return committed(*conn_, "saving checkpoints",
                   [&](pqxx::work& tx) { return save_checkpoints_in(tx, xs); });
}

// A checkpoint the group's INSERT did not store: another epoch, no
// execution, or stored before (its ledger and audit lines are there too).
// Rare, so asked only now, under the same shared row lock.
status pg_store::not_stored(pqxx::work& tx, const checkpoint& cp,
                            std::vector<attempt_record>& attempts) {
  auto owner = tx.exec_prepared("checkpoint_owner", cp.execution_id);
  if (owner.empty())
    return {errc::not_found, "no execution " + cp.execution_id};
  auto epoch = owner[0][0].as<std::int64_t>();
  if (epoch != cp.epoch)
    return {errc::stale_epoch,
            "checkpoint " + cp.execution_id + "/" + cp.step_id +
                " carries epoch " + std::to_string(cp.epoch) +
                " but the execution is at epoch " + std::to_string(epoch)};
  attempts.insert(attempts.end(), cp.attempts.begin(), cp.attempts.end());
  return {};
}

status pg_store::change_state(const state_change& x) {
  auto got = change_states({x});
  return got.st ? got.value.front() : got.st;
}

namespace {

// One UPDATE for many state changes, each applied only while its
// execution is at the change's epoch; it returns the executions changed.
const char* const group_update_head =
    "UPDATE workflow_executions e SET state = v.state, output = v.output, "
    "error = v.error, updated_at = now(), budget_approved_until = CASE WHEN "
    "v.budget < 0 THEN e.budget_approved_until ELSE v.budget END FROM "
    "(VALUES ";
const char* const group_update_tail =
    ") AS v(id, epoch, state, output, error, budget) WHERE e.id = v.id AND "
    "e.epoch = v.epoch RETURNING e.id";

void append_change(pqxx::work& tx, const state_change& x, std::string& sql) {
  sql += '(';
  sql += tx.quote(x.execution_id) + "::text," + std::to_string(x.epoch) +
         "::bigint," + tx.quote(to_string(x.state)) + "::text," +
         tx.quote(x.output) + "::text," + tx.quote(x.error) + "::text," +
         tx.quote(pqxx::to_string(x.budget_approved_until)) + "::float8)";
}

} // namespace

// The changes in as few UPDATEs as keep their order (a run of changes to
// distinct executions is one statement; a second change of one execution
// starts the next), with the audit events and attempts of those applied,
// in the caller's transaction.
std::vector<status>
pg_store::change_states_in(pqxx::work& tx,
                           const std::vector<state_change>& xs) {
  std::vector<status> out(xs.size());
  std::vector<bool> applied(xs.size(), false);
  for (size_t i = 0; i < xs.size();) {
    std::set<std::string> in_run, changed;
    std::string sql = group_update_head;
    std::size_t bytes = 0;
    size_t from = i;
    for (; i < xs.size() && bytes < group_statement_bytes &&
           in_run.insert(xs[i].execution_id).second;
         ++i) {
      bytes += xs[i].output.size() + xs[i].error.size();
      if (i > from)
        sql += ',';
      append_change(tx, xs[i], sql);
    }
    for (const auto& row : tx.exec(sql + group_update_tail))
      changed.insert(row[0].c_str());
    for (size_t k = from; k < i; ++k)
      applied[k] = changed.count(xs[k].execution_id) > 0;
  }
  std::vector<audit_event> audit; // committed with their changes
  std::vector<attempt_record> attempts;
  for (size_t k = 0; k < xs.size(); ++k) {
    const auto& x = xs[k];
    if (!applied[k]) {
      out[k] = {errc::stale_epoch, "execution " + x.execution_id +
                                       " is not owned at epoch " +
                                       std::to_string(x.epoch)};
      continue;
    }
    audit.insert(audit.end(), x.audit.begin(), x.audit.end());
    attempts.insert(attempts.end(), x.attempts.begin(), x.attempts.end());
  }
  insert_audit_events(tx, audit);
  insert_attempts(tx, attempts);
  return out;
}

outcome<std::vector<status>>
pg_store::change_states(const std::vector<state_change>& xs) {
  return committed(*conn_, "changing execution states",
                   [&](pqxx::work& tx) { return change_states_in(tx, xs); });
}

// Checkpoints first: a change to an execution follows its checkpoints of
// the same flush, as it followed them in the writer's mailbox.
execution_store::group_outcome
pg_store::save_group(const std::vector<checkpoint>& cps,
                     const std::vector<state_change>& changes) {
  group_outcome out;
  auto st = guarded("saving checkpoints and state changes", [&]() -> status {
    pqxx::work tx{*conn_};
    out.checkpoints.value = save_checkpoints_in(tx, cps);
    out.changes.value = change_states_in(tx, changes);
    tx.commit(); // one WAL flush for the whole flush of the writer
    return {};
  });
  if (!st) {
    out.checkpoints = {st, {}};
    out.changes = {st, {}};
  }
  return out;
}

} // namespace hishamos::persistence::pg
