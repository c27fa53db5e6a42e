// PostgreSQL: executions, checkpoints and their ownership. Every write is
// fenced by the execution's epoch inside its own transaction.

#include <set>

#include "persistence/checkpoint_codec.hpp"
#include "persistence/internal/creations.hpp"
#include "persistence/pg/connection.hpp"

namespace hishamos::persistence::pg {

const char* const execution_columns =
    "e.id, e.workflow_id, e.definition, e.input, e.state, "
    "COALESCE(e.owner_node, ''), "
    "e.epoch, e.output, e.error, (extract(epoch FROM e.created_at) * "
    "1000)::bigint, "
    "(extract(epoch FROM e.updated_at) * 1000)::bigint, "
    "e.budget_approved_until, COALESCE(e.idempotency_key, ''), "
    "e.workflow_version, e.department, e.trace_context, e.trace_parent_span";

execution_record read_execution(const pqxx::row& r) {
  execution_record x;
  x.id = r[0].c_str();
  x.workflow_name = r[1].c_str();
  x.definition = r[2].c_str();
  x.input = r[3].c_str();
  x.state =
      parse_execution_state(r[4].c_str()).value_or(execution_state::failed);
  x.owner_node = r[5].c_str();
  x.epoch = r[6].as<std::int64_t>();
  x.output = r[7].c_str();
  x.error = r[8].c_str();
  x.created_at_ms = r[9].as<std::int64_t>();
  x.updated_at_ms = r[10].as<std::int64_t>();
  x.budget_approved_until = r[11].as<double>();
  x.idempotency_key = r[12].c_str();
  x.workflow_version = r[13].as<int>();
  x.department = r[14].c_str();
  x.trace_context = r[15].c_str();
  x.trace_parent_span = r[16].c_str();
  return x;
}

std::vector<execution_record> read_executions(const pqxx::result& rows) {
  std::vector<execution_record> out;
  for (const auto& r : rows)
    out.push_back(read_execution(r));
  return out;
}

namespace {

// The claim shared by start-up and takeover: lock unfinished rows that
// match `who`, skipping rows others hold, then bump epoch and owner, and
// record each change of owner in the same statement.
std::string claim_sql(const std::string& who) {
  return std::string{
             "WITH claimable AS (SELECT e.id, e.owner_node AS previous FROM "
             "workflow_executions e "
             "LEFT JOIN nodes n ON n.id = e.owner_node "
             "WHERE e.state IN ('pending', 'running', 'paused') AND ("} +
         who +
         ") ORDER BY e.created_at LIMIT $2 FOR UPDATE OF e SKIP LOCKED), "
         "moved AS (UPDATE workflow_executions e SET owner_node = $1, epoch = "
         "e.epoch + 1, state = CASE WHEN e.state = 'paused' THEN 'paused' "
         "ELSE 'running' END, "
         "updated_at = now() FROM claimable c WHERE e.id = c.id RETURNING "
         "e.*, c.previous), "
         "noted AS (INSERT INTO execution_owners (execution_id, epoch, "
         "node_id, previous_node, reason, at_ms) SELECT id, epoch, $1::text, "
         "COALESCE(previous, ''), CASE WHEN previous = $1 THEN 'restart' "
         "WHEN previous IS NULL THEN 'queued' ELSE 'takeover' END, "
         "(extract(epoch FROM now()) * 1000)::bigint FROM moved "
         "ON CONFLICT DO NOTHING) "
         "SELECT " +
         execution_columns + " FROM moved e";
}

constexpr const char* expired_owner =
    "e.owner_node IS DISTINCT FROM $1 AND (n.id IS NULL OR n.lease_expires_at "
    "< now())";

} // namespace

void prepare_statements(pqxx::connection& c) {
  c.prepare("checkpoint_owner",
            "SELECT epoch FROM workflow_executions WHERE id = $1 FOR SHARE");
}

status pg_store::create_execution(const execution_record& x) {
  auto made = create_executions({x});
  return made.st;
}

namespace {

std::string values_of(pqxx::work& tx, const execution_record& x) {
  return "(" + tx.quote(x.id) + "," + tx.quote(x.workflow_name) + "," +
         tx.quote(x.definition) + "," + tx.quote(x.input) + "," +
         tx.quote(to_string(x.state)) + "," +
         (x.owner_node.empty() ? std::string{"NULL"} : tx.quote(x.owner_node)) +
         "," + tx.quote(x.epoch) + "," +
         (x.idempotency_key.empty() ? std::string{"NULL"}
                                    : tx.quote(x.idempotency_key)) +
         "," + tx.quote(x.workflow_version) + "," + tx.quote(x.department) +
         "," + tx.quote(x.trace_context) + "," + tx.quote(x.trace_parent_span) +
         ")";
}

} // namespace

// The stored executions that have the id or the idempotency key of one
// of `xs`.
outcome<std::vector<execution_record>>
pg_store::stored_like(pqxx::work& tx, const std::vector<execution_record>& xs) {
  std::vector<std::string> ids, keys;
  for (const auto& x : xs) {
    ids.push_back(x.id);
    if (!x.idempotency_key.empty())
      keys.push_back(x.idempotency_key);
  }
  std::string sql = std::string{"SELECT "} + execution_columns +
                    " FROM workflow_executions e WHERE e.id IN (" +
                    quoted_list(tx, ids) + ")";
  if (!keys.empty())
    sql += " OR e.idempotency_key IN (" + quoted_list(tx, keys) + ")";
  return {{}, read_executions(tx.exec(sql))};
}

// One INSERT for all; what it did not insert was there already (by id or
// by idempotency key) and is read back in the same transaction.
outcome<std::vector<creation>>
pg_store::create_executions(const std::vector<execution_record>& xs) {
  outcome<std::vector<creation>> out;
  if (xs.empty())
    return out;
  out.st = guarded("creating executions", [&]() -> status {
    out.value.clear();
    pqxx::work tx{*conn_};
    std::string sql =
        "INSERT INTO workflow_executions (id, workflow_id, definition, input, "
        "state, owner_node, epoch, idempotency_key, workflow_version, "
        "department, trace_context, trace_parent_span) VALUES ";
    for (size_t i = 0; i < xs.size(); ++i)
      sql += (i ? "," : "") + values_of(tx, xs[i]);
    std::set<std::string> inserted;
    for (const auto& r : tx.exec(sql + " ON CONFLICT DO NOTHING RETURNING id"))
      inserted.insert(r[0].c_str());
    std::vector<execution_record> others;
    for (const auto& x : xs)
      if (!inserted.count(x.id))
        others.push_back(x);
    std::vector<execution_record> stored;
    if (!others.empty())
      stored = stored_like(tx, others).value;
    tx.commit();
    out.value = match_creations(xs, inserted, stored);
    return {};
  });
  if (!out.st)
    out.value.clear();
  return out;
}

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

} // namespace

// The group's checkpoints in one statement (one round trip per few MiB,
// not one per checkpoint); only those it did not store are asked about,
// one by one.
std::vector<status>
pg_store::save_checkpoints_in(pqxx::work& tx,
                              const std::vector<checkpoint>& xs) {
  std::vector<status> out;
  {
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
  }
  return out;
}

outcome<std::vector<status>>
pg_store::save_checkpoints(const std::vector<checkpoint>& xs) {
  outcome<std::vector<status>> out;
  out.st = guarded("saving checkpoints", [&]() -> status {
    pqxx::work tx{*conn_};
    out.value = save_checkpoints_in(tx, xs);
    tx.commit(); // one commit (one WAL flush) for the whole group
    return {};
  });
  if (!out.st)
    out.value.clear();
  return out;
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
// all in one transaction (one commit).
std::vector<status>
pg_store::change_states_in(pqxx::work& tx,
                           const std::vector<state_change>& xs) {
  std::vector<status> out(xs.size());
  {
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
  }
  return out;
}

outcome<std::vector<status>>
pg_store::change_states(const std::vector<state_change>& xs) {
  outcome<std::vector<status>> out;
  out.st = guarded("changing execution states", [&]() -> status {
    pqxx::work tx{*conn_};
    out.value = change_states_in(tx, xs);
    tx.commit();
    return {};
  });
  if (!out.st)
    out.value.clear();
  return out;
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

outcome<std::optional<execution_record>>
pg_store::find_execution(const std::string& id) {
  outcome<std::optional<execution_record>> out;
  out.st = guarded("reading execution " + id, [&]() -> status {
    pqxx::work tx{*conn_};
    auto r = tx.exec_params(std::string{"SELECT "} + execution_columns +
                                " FROM workflow_executions e WHERE e.id = $1",
                            id);
    if (!r.empty())
      out.value = read_execution(r[0]);
    return {};
  });
  return out;
}

outcome<std::vector<checkpoint>> pg_store::checkpoints(const std::string& id) {
  auto all = checkpoints_of({id});
  return {all.st, std::move(all.value[id])};
}

outcome<std::map<std::string, std::vector<checkpoint>>>
pg_store::checkpoints_of(const std::vector<std::string>& ids) {
  outcome<std::map<std::string, std::vector<checkpoint>>> out;
  if (ids.empty())
    return out;
  out.st = guarded("reading checkpoints", [&]() -> status {
    out.value.clear();
    pqxx::work tx{*conn_};
    auto rows = tx.exec(
        "SELECT execution_id, step_id, attempt, epoch, output, agent_id, "
        "started_at, finished_at, cost::float8, checksum FROM execution_steps "
        "WHERE execution_id IN (" +
        quoted_list(tx, ids) + ") ORDER BY execution_id, finished_at, step_id");
    for (const auto& r : rows) {
      std::string id = r[0].c_str();
      checkpoint cp{id,
                    r[1].c_str(),
                    r[2].as<int>(),
                    r[3].as<std::int64_t>(),
                    "",
                    r[5].c_str(),
                    r[6].as<std::int64_t>(),
                    r[7].as<std::int64_t>(),
                    r[8].as<double>()};
      restore_output(cp, pqxx::binarystring{r[4]}.str(),
                     r[9].is_null() ? std::nullopt
                                    : std::optional<std::string>{r[9].c_str()});
      out.value[id].push_back(std::move(cp));
    }
    return {};
  });
  return out;
}

outcome<std::vector<execution_record>>
pg_store::claim_unfinished(const std::string& node_id) {
  return claim("e.owner_node = $1 OR (" + std::string{expired_owner} + ")",
               node_id, 1000000);
}

outcome<std::vector<execution_record>>
pg_store::claim_expired(const std::string& node_id, int limit) {
  return claim(expired_owner, node_id, limit);
}

outcome<std::vector<execution_record>>
pg_store::claim(const std::string& who, const std::string& node_id, int limit) {
  outcome<std::vector<execution_record>> out;
  out.st = guarded("claiming executions", [&]() -> status {
    pqxx::work tx{*conn_};
    out.value = read_executions(tx.exec_params(claim_sql(who), node_id, limit));
    tx.commit();
    return {};
  });
  return out;
}

outcome<execution_record>
pg_store::reopen_execution(const std::string& id, const std::string& node_id) {
  outcome<execution_record> out;
  out.st = guarded("reopening execution " + id, [&]() -> status {
    pqxx::work tx{*conn_};
    // The change of owner first, from the row as it is; the UPDATE below
    // decides whether the transaction commits at all.
    tx.exec_params0(
        "INSERT INTO execution_owners (execution_id, epoch, node_id, "
        "previous_node, reason, at_ms) SELECT id, epoch + 1, $2::text, "
        "COALESCE(owner_node, ''), 'retry', (extract(epoch FROM now()) * "
        "1000)::bigint FROM workflow_executions WHERE id = $1 AND state IN "
        "('failed', 'cancelled') ON CONFLICT DO NOTHING",
        id, node_id);
    auto r = tx.exec_params(
        std::string{"UPDATE workflow_executions e SET state = 'running', "
                    "owner_node = $2, epoch = e.epoch + 1, error = '', "
                    "output = '', updated_at = now() WHERE e.id = $1 AND "
                    "e.state IN ('failed', 'cancelled') RETURNING "} +
            execution_columns,
        id, node_id);
    if (r.empty()) {
      auto known = tx.exec_params(
          "SELECT state FROM workflow_executions WHERE id = $1", id);
      if (known.empty())
        return {errc::not_found, "no execution with id '" + id + "'"};
      return {errc::conflict,
              "execution " + id + " is " + known[0][0].c_str() +
                  "; only a failed or cancelled one is retried"};
    }
    out.value = read_execution(r[0]);
    tx.commit();
    return {};
  });
  return out;
}

status pg_store::release_executions(const std::string& node_id,
                                    const std::vector<std::string>& ids) {
  if (ids.empty())
    return {};
  return guarded("releasing executions", [&]() -> status {
    pqxx::work tx{*conn_};
    tx.exec_params0("UPDATE workflow_executions SET owner_node = NULL, "
                    "state = CASE WHEN state = 'running' THEN 'pending' "
                    "ELSE state END, updated_at = now() WHERE owner_node = "
                    "$1 AND id IN (" +
                        quoted_list(tx, ids) + ")",
                    node_id);
    tx.commit();
    return {};
  });
}

} // namespace hishamos::persistence::pg
