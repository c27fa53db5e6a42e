// PostgreSQL: the checkpoint writer's group commits. A group of
// checkpoints is one INSERT and a group of state changes one UPDATE per
// run of distinct executions, each fenced by the execution's epoch in the
// statement itself; save_group puts both in one transaction.

#include <set>

#include "persistence/checkpoint_codec.hpp"
#include "persistence/pg/arrays.hpp"
#include "persistence/pg/connection.hpp"
#include "persistence/pg/line_columns.hpp"

namespace hishamos::persistence::pg {

namespace {

// Past this much encoded output, a group's checkpoints go in more than one
// INSERT: a parameter stays a few MiB whatever the outputs.
constexpr std::size_t group_statement_bytes = 4 << 20;

// One INSERT for many checkpoints, each written only while its execution
// is at the checkpoint's epoch, under a shared lock on the execution row
// (as checkpoint_owner takes). It returns the keys it stored. The rows
// come as one array per column; the last twelve are the ledger lines kept
// with them (store_identity.ledger_with_checkpoints), NULL in a row
// without one.
const char* const group_insert =
    "INSERT INTO execution_steps (execution_id, step_id, attempt, epoch, "
    "output, agent_id, started_at, finished_at, cost, checksum, line_at, "
    "quality_score, tokens_in, tokens_out, decision, template_version, "
    "tokens_cached, cost_avoided, provider, model, workflow, department) "
    "SELECT v.execution_id, v.step_id, v.attempt, v.epoch, v.output, "
    "v.agent_id, v.started_at, v.finished_at, v.cost, v.checksum, "
    "to_timestamp(v.line_at_ms / 1000.0), v.quality_score, v.tokens_in, "
    "v.tokens_out, v.decision, v.template_version, v.tokens_cached, "
    "v.cost_avoided, v.provider, v.model, v.workflow, v.department FROM "
    "unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], "
    "$5::bytea[], $6::text[], $7::bigint[], $8::bigint[], $9::numeric[], "
    "$10::text[], $11::bigint[], $12::float8[], $13::integer[], "
    "$14::integer[], $15::text[], $16::integer[], $17::integer[], "
    "$18::numeric[], $19::text[], $20::text[], $21::text[], $22::text[]) AS "
    "v(execution_id, step_id, attempt, epoch, output, agent_id, started_at, "
    "finished_at, cost, checksum, line_at_ms, quality_score, tokens_in, "
    "tokens_out, decision, template_version, tokens_cached, cost_avoided, "
    "provider, model, workflow, department) JOIN workflow_executions e ON "
    "e.id = v.execution_id AND e.epoch = v.epoch FOR SHARE OF e ON CONFLICT "
    "DO NOTHING RETURNING execution_id, step_id";

// The columns of one group INSERT.
struct checkpoint_columns {
  array_literal execution_id, step_id, attempt, epoch, output, agent_id,
      started_at, finished_at, cost, checksum;
  line_columns line; // the line kept with the row, if any

  void add(const checkpoint& cp, const std::string& encoded,
           const task_result_record* kept_line) {
    execution_id.text(cp.execution_id);
    step_id.text(cp.step_id);
    attempt.number(std::int64_t{cp.attempt});
    epoch.number(cp.epoch);
    output.bytes(encoded);
    agent_id.text(cp.agent_id);
    started_at.number(cp.started_at_ms);
    finished_at.number(cp.finished_at_ms);
    cost.number(stored_cost(cp.cost));
    checksum.text(checkpoint_checksum(cp, encoded));
    if (kept_line)
      line.add(*kept_line);
    else
      line.add_none();
  }

  pqxx::result insert(pqxx::work& tx) && {
    std::vector<std::string> params{
        std::move(execution_id).done(), std::move(step_id).done(),
        std::move(attempt).done(),      std::move(epoch).done(),
        std::move(output).done(),       std::move(agent_id).done(),
        std::move(started_at).done(),   std::move(finished_at).done(),
        std::move(cost).done(),         std::move(checksum).done()};
    std::move(line).append_to(params);
    return tx.exec_prepared("checkpoint_group",
                            pqxx::prepare::make_dynamic_params(params));
  }
};

// The group statements join their rows to workflow_executions by key,
// and PostgreSQL keeps the plan of a prepared statement after five runs
// (its generic plan), costed for the table as it was then. Made while the
// table was small, that plan read the whole table at every run as it grew.
// Planned in a group's transaction, they look rows up by their key
// whatever the table's size; the settings end with the transaction. A
// plan that still has to read a table whole (one-row store_identity)
// then costs more than jit_above_cost, and PostgreSQL compiled it with
// LLVM, about 100 ms for a statement of microseconds: never worth it for
// these statements, so JIT is off in the transaction too.
void plan_by_key(pqxx::work& tx) {
  tx.exec0("SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = "
           "off; SET LOCAL enable_mergejoin = off; SET LOCAL jit = off");
}

// What `body(tx)` answers for each record of a group, committed in one
// transaction (one WAL flush); no answers when the transaction fails.
template <class Body>
outcome<std::vector<status>> committed(pqxx::connection& c, const char* what,
                                       Body body) {
  outcome<std::vector<status>> out;
  out.st = guarded(what, [&]() -> status {
    pqxx::work tx{c};
    plan_by_key(tx);
    out.value = body(tx);
    tx.commit();
    return {};
  });
  if (!out.st)
    out.value.clear();
  return out;
}

} // namespace

bool pg_store::ledger_with_checkpoints(pqxx::work& tx) {
  if (!ledger_with_checkpoints_)
    ledger_with_checkpoints_ =
        tx.exec1("SELECT ledger_with_checkpoints FROM store_identity")[0]
            .as<bool>();
  return *ledger_with_checkpoints_;
}

// The group's checkpoints in one statement (one round trip per few MiB,
// not one per checkpoint); only those it did not store are asked about,
// one by one.
std::vector<status>
pg_store::save_checkpoints_in(pqxx::work& tx,
                              const std::vector<checkpoint>& xs) {
  std::vector<status> out;
  // The line a checkpoint's row keeps, if the store says to keep them
  // there; its lines go to task_results otherwise.
  bool lines_in_rows = ledger_with_checkpoints(tx);
  auto kept_line = [lines_in_rows](const checkpoint& cp) {
    return lines_in_rows ? line_in_row(cp) : nullptr;
  };
  // A step's first checkpoint in the group is the one offered: which of
  // two rows of one statement ON CONFLICT keeps is not defined.
  std::set<std::pair<std::string, std::string>> offered, stored;
  for (size_t i = 0; i < xs.size();) {
    checkpoint_columns columns;
    std::size_t bytes = 0;
    bool any = false;
    for (; i < xs.size() && bytes < group_statement_bytes; ++i) {
      if (!offered.emplace(xs[i].execution_id, xs[i].step_id).second)
        continue;
      auto encoded = encode_output(xs[i].output);
      bytes += encoded.size();
      any = true;
      columns.add(xs[i], encoded, kept_line(xs[i]));
    }
    if (!any)
      break;
    for (const auto& row : std::move(columns).insert(tx))
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
    if (!kept_line(cp))
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
const char* const group_update =
    "UPDATE workflow_executions e SET state = v.state, output = v.output, "
    "error = v.error, updated_at = now(), budget_approved_until = CASE WHEN "
    "v.budget < 0 THEN e.budget_approved_until ELSE v.budget END FROM "
    "unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], "
    "$6::float8[]) AS v(id, epoch, state, output, error, budget) WHERE e.id = "
    "v.id AND e.epoch = v.epoch RETURNING e.id";

// The columns of one group UPDATE.
struct change_columns {
  array_literal id, epoch, state, output, error, budget;

  void add(const state_change& x) {
    id.text(x.execution_id);
    epoch.number(x.epoch);
    state.text(to_string(x.state));
    output.text(x.output);
    error.text(x.error);
    budget.number(x.budget_approved_until);
  }

  pqxx::result update(pqxx::work& tx) && {
    return tx.exec_prepared("state_change_group", std::move(id).done(),
                            std::move(epoch).done(), std::move(state).done(),
                            std::move(output).done(), std::move(error).done(),
                            std::move(budget).done());
  }
};

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
    change_columns columns;
    std::size_t bytes = 0;
    size_t from = i;
    for (; i < xs.size() && bytes < group_statement_bytes &&
           in_run.insert(xs[i].execution_id).second;
         ++i) {
      bytes += xs[i].output.size() + xs[i].error.size();
      columns.add(xs[i]);
    }
    for (const auto& row : std::move(columns).update(tx))
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
    plan_by_key(tx);
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

void prepare_group_statements(pqxx::connection& c) {
  c.prepare("checkpoint_group", group_insert);
  c.prepare("state_change_group", group_update);
}

} // namespace hishamos::persistence::pg
