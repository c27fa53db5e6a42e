// PostgreSQL: executions, checkpoints and their ownership. Every write is
// fenced by the execution's epoch inside its own transaction; the
// writer's group commits are in pg/group_commit.cpp.

#include <set>

#include "persistence/checkpoint_codec.hpp"
#include "persistence/internal/creations.hpp"
#include "persistence/pg/arrays.hpp"
#include "persistence/pg/connection.hpp"

namespace hishamos::persistence::pg {

// An execution's definition is in its row, or kept once by hash
// (migration 0017); a hash whose row is missing reads as "" and is named
// by definition_damage.
const char* const execution_columns =
    "e.id, e.workflow_id, CASE WHEN e.definition_hash IS NULL THEN "
    "e.definition ELSE COALESCE((SELECT d.definition FROM "
    "execution_definitions d WHERE d.hash = e.definition_hash), '') END, "
    "e.input, e.state, "
    "COALESCE(e.owner_node, ''), "
    "e.epoch, e.output, e.error, (extract(epoch FROM e.created_at) * "
    "1000)::bigint, "
    "(extract(epoch FROM e.updated_at) * 1000)::bigint, "
    "e.budget_approved_until, COALESCE(e.idempotency_key, ''), "
    "e.workflow_version, e.department, e.trace_context, e.trace_parent_span, "
    "COALESCE(e.definition_hash, '')";

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
  x.definition_hash = r[17].c_str();
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

status pg_store::create_execution(const execution_record& x) {
  auto made = create_executions({x});
  return made.st;
}

namespace {

// New executions in one INSERT, one array per column, with the
// definitions kept by hash ($14, $15; empty arrays when there are none)
// before the rows that refer to them, in the same statement.
const char* const creation_insert =
    "WITH kept AS (INSERT INTO execution_definitions (hash, definition) "
    "SELECT * FROM unnest($14::text[], $15::text[]) ON CONFLICT DO NOTHING) "
    "INSERT INTO workflow_executions (id, workflow_id, definition, "
    "definition_hash, input, state, owner_node, epoch, idempotency_key, "
    "workflow_version, department, trace_context, trace_parent_span) SELECT "
    "* FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], "
    "$5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], "
    "$10::integer[], $11::text[], $12::text[], $13::text[]) ON CONFLICT DO "
    "NOTHING RETURNING id";

// The columns of one creation INSERT.
struct creation_columns {
  array_literal id, workflow_id, definition, definition_hash, input, state,
      owner_node, epoch, idempotency_key, workflow_version, department,
      trace_context, trace_parent_span, kept_hash, kept_definition;

  void add(const execution_record& x) {
    bool by_hash = !x.definition_hash.empty();
    id.text(x.id);
    workflow_id.text(x.workflow_name);
    definition.text(by_hash ? std::string_view{} : x.definition);
    definition_hash.text_or_null(x.definition_hash);
    input.text(x.input);
    state.text(to_string(x.state));
    owner_node.text_or_null(x.owner_node);
    epoch.number(x.epoch);
    idempotency_key.text_or_null(x.idempotency_key);
    workflow_version.number(std::int64_t{x.workflow_version});
    department.text(x.department);
    trace_context.text(x.trace_context);
    trace_parent_span.text(x.trace_parent_span);
  }

  void keep(const std::string& hash, const std::string& text) {
    kept_hash.text(hash);
    kept_definition.text(text);
  }

  pqxx::result insert(pqxx::work& tx) && {
    return tx.exec_prepared(
        "creation_group", std::move(id).done(), std::move(workflow_id).done(),
        std::move(definition).done(), std::move(definition_hash).done(),
        std::move(input).done(), std::move(state).done(),
        std::move(owner_node).done(), std::move(epoch).done(),
        std::move(idempotency_key).done(), std::move(workflow_version).done(),
        std::move(department).done(), std::move(trace_context).done(),
        std::move(trace_parent_span).done(), std::move(kept_hash).done(),
        std::move(kept_definition).done());
  }
};

} // namespace

void prepare_statements(pqxx::connection& c) {
  c.prepare("checkpoint_owner",
            "SELECT epoch FROM workflow_executions WHERE id = $1 FOR SHARE");
  c.prepare("creation_group", creation_insert);
  prepare_group_statements(c);
  prepare_record_statements(c);
}

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
    auto definitions = definitions_by_hash(xs);
    if (!definitions)
      return definitions.st;
    creation_columns columns;
    for (const auto& [hash, definition] : definitions.value)
      columns.keep(hash, *definition);
    for (const auto& x : xs)
      columns.add(x);
    std::set<std::string> inserted;
    for (const auto& r : std::move(columns).insert(tx))
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
