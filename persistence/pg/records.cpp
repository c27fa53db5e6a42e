// PostgreSQL: append-only records (task results, audit events), learned
// quality and ratings. One batch is one transaction with one multi-row
// INSERT per table.

#include <map>
#include <tuple>

#include "persistence/pg/arrays.hpp"
#include "persistence/pg/connection.hpp"

namespace hishamos::persistence::pg {

namespace {

std::string null_or(pqxx::work& tx, bool null, const std::string& quoted) {
  return null ? std::string{"NULL"} : quoted;
}

// The ledger lines of a batch in one INSERT, one array per column.
const char* const ledger_insert =
    "INSERT INTO task_results (execution_id, step_id, agent_id, "
    "quality_score, cost, tokens_in, tokens_out, latency_ms, created_at, "
    "decision, template_version, tokens_cached, cost_avoided, provider, "
    "model, workflow, department) SELECT execution_id, step_id, agent_id, "
    "quality_score, cost, tokens_in, tokens_out, latency_ms, "
    "to_timestamp(created_at_ms / 1000.0), decision, template_version, "
    "tokens_cached, cost_avoided, provider, model, workflow, department FROM "
    "unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::numeric[], "
    "$6::integer[], $7::integer[], $8::integer[], $9::bigint[], $10::text[], "
    "$11::integer[], $12::integer[], $13::numeric[], $14::text[], "
    "$15::text[], $16::text[], $17::text[]) AS v(execution_id, step_id, "
    "agent_id, quality_score, cost, tokens_in, tokens_out, latency_ms, "
    "created_at_ms, decision, template_version, tokens_cached, cost_avoided, "
    "provider, model, workflow, department)";

} // namespace

void prepare_record_statements(pqxx::connection& c) {
  c.prepare("ledger_lines", ledger_insert);
}

void insert_task_results(pqxx::work& tx,
                         const std::vector<task_result_record>& xs) {
  if (xs.empty())
    return;
  array_literal execution_id, step_id, agent_id, quality_score, cost, tokens_in,
      tokens_out, latency_ms, created_at_ms, decision, template_version,
      tokens_cached, cost_avoided, provider, model, workflow, department;
  for (const auto& r : xs) {
    execution_id.text(r.execution_id);
    step_id.text(r.step_id);
    agent_id.text(r.agent_id);
    if (r.quality_score < 0)
      quality_score.null();
    else
      quality_score.number(r.quality_score);
    cost.number(r.cost);
    tokens_in.number(std::int64_t{r.tokens_in});
    tokens_out.number(std::int64_t{r.tokens_out});
    latency_ms.number(r.latency_ms);
    created_at_ms.number(r.created_at_ms);
    decision.text_or_null(r.decision);
    if (r.template_version <= 0)
      template_version.null();
    else
      template_version.number(std::int64_t{r.template_version});
    tokens_cached.number(std::int64_t{r.tokens_cached});
    cost_avoided.number(r.cost_avoided);
    provider.text(r.provider);
    model.text(r.model);
    workflow.text(r.workflow);
    department.text(r.department);
  }
  tx.exec_prepared0(
      "ledger_lines", std::move(execution_id).done(), std::move(step_id).done(),
      std::move(agent_id).done(), std::move(quality_score).done(),
      std::move(cost).done(), std::move(tokens_in).done(),
      std::move(tokens_out).done(), std::move(latency_ms).done(),
      std::move(created_at_ms).done(), std::move(decision).done(),
      std::move(template_version).done(), std::move(tokens_cached).done(),
      std::move(cost_avoided).done(), std::move(provider).done(),
      std::move(model).done(), std::move(workflow).done(),
      std::move(department).done());
}

// Audit events join the hash chain (audit_chain.hpp): the head's row lock
// orders writers of every node, and ids follow the head without gaps.
void insert_audit_events(pqxx::work& tx, const std::vector<audit_event>& xs) {
  if (xs.empty())
    return;
  auto head = tx.exec1("SELECT last_id, last_hash FROM audit_chain_head WHERE "
                       "id = 1 FOR UPDATE");
  auto id = head[0].as<std::int64_t>();
  std::string hash = head[1].c_str();
  std::string sql = "INSERT INTO audit_logs (id, user_id, action, details, "
                    "created_at, created_at_ms, prev_hash, hash) VALUES ";
  for (size_t i = 0; i < xs.size(); ++i) {
    const auto& e = xs[i];
    auto prev = hash;
    hash = audit_hash(prev, ++id, e);
    sql += (i ? ",(" : "(") + tx.quote(id) + "," +
           null_or(tx, e.user_id.empty(), tx.quote(e.user_id)) + "," +
           tx.quote(e.action) + "," + tx.quote(e.details) +
           "::jsonb,to_timestamp(" + tx.quote(e.created_at_ms) + " / 1000.0)," +
           tx.quote(e.created_at_ms) + "," + tx.quote(prev) + "," +
           tx.quote(hash) + ")";
  }
  tx.exec0(sql);
  tx.exec_params0("UPDATE audit_chain_head SET last_id = $1, last_hash = $2 "
                  "WHERE id = 1",
                  id, hash);
}

namespace {

void upsert_agent_stats(pqxx::work& tx,
                        const std::vector<agent_stat_record>& xs) {
  // One row per key, the newest: ON CONFLICT may not touch a row twice.
  std::map<std::tuple<std::string, std::string, std::string>,
           const agent_stat_record*>
      newest;
  for (const auto& x : xs)
    newest[{x.agent_id, x.category, x.node_id}] = &x;
  if (newest.empty())
    return;
  std::string sql = "INSERT INTO agent_stats (agent_id, category, node_id, "
                    "successes, failures) VALUES ";
  bool first = true;
  for (const auto& [key, x] : newest) {
    sql += (first ? "(" : ",(") + tx.quote(x->agent_id) + "," +
           tx.quote(x->category) + "," + tx.quote(x->node_id) + "," +
           tx.quote(x->successes) + "," + tx.quote(x->failures) + ")";
    first = false;
  }
  tx.exec0(sql + " ON CONFLICT (agent_id, category, node_id) DO UPDATE SET "
                 "successes = excluded.successes, failures = "
                 "excluded.failures, updated_at = now()");
}

outcome<std::int64_t> count_rows(pqxx::connection& conn, const char* what,
                                 const char* sql) {
  outcome<std::int64_t> out;
  out.st = guarded(what, [&]() -> status {
    pqxx::nontransaction tx{conn};
    out.value = tx.exec1(sql)[0].as<std::int64_t>();
    return {};
  });
  return out;
}

} // namespace

status pg_store::append_records(const record_batch& batch) {
  return guarded("appending records", [&]() -> status {
    if (batch.empty())
      return {};
    pqxx::work tx{*conn_};
    insert_task_results(tx, batch.task_results);
    insert_audit_events(tx, batch.audit_events);
    upsert_agent_stats(tx, batch.agent_stats);
    tx.commit();
    return {};
  });
}

outcome<std::vector<agent_stat_record>> pg_store::agent_stats() {
  outcome<std::vector<agent_stat_record>> out;
  out.st = guarded("reading learned agent quality", [&]() -> status {
    pqxx::nontransaction tx{*conn_};
    for (const auto& row : tx.exec("SELECT agent_id, category, successes, "
                                   "failures, node_id FROM agent_stats"))
      out.value.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                           row[2].as<double>(), row[3].as<double>(),
                           row[4].as<std::string>()});
    return {};
  });
  return out;
}

outcome<std::map<std::string, step_result_meta>>
pg_store::decisions_of(const std::string& execution_id) {
  outcome<std::map<std::string, step_result_meta>> out;
  out.st = guarded("reading routing decisions", [&]() -> status {
    pqxx::nontransaction tx{*conn_};
    for (const auto& row : tx.exec_params(
             "SELECT DISTINCT ON (step_id) step_id, coalesce(decision, ''), "
             "coalesce(template_version, 0) FROM task_results WHERE "
             "execution_id = $1 ORDER BY step_id, id DESC",
             execution_id))
      out.value[row[0].as<std::string>()] = {row[1].as<std::string>(),
                                             row[2].as<int>()};
    return {};
  });
  return out;
}

status pg_store::rate_result(const std::string& execution_id,
                             const std::string& step_id, double score) {
  return guarded("rating a result", [&]() -> status {
    pqxx::work tx{*conn_};
    auto r = tx.exec_params(
        "UPDATE task_results SET quality_score = $3 WHERE execution_id = $1 "
        "AND step_id = $2 AND id = (SELECT max(id) FROM task_results WHERE "
        "execution_id = $1 AND step_id = $2)",
        execution_id, step_id, score);
    tx.commit();
    if (r.affected_rows() == 0)
      return {errc::not_found, "execution " + execution_id +
                                   " has no result for step '" + step_id + "'"};
    return {};
  });
}

outcome<std::vector<task_result_record>>
pg_store::results_of(const std::string& execution_id) {
  outcome<std::vector<task_result_record>> out;
  out.st = guarded("reading results of " + execution_id, [&]() -> status {
    pqxx::nontransaction tx{*conn_};
    for (const auto& r : tx.exec_params(
             "SELECT execution_id, step_id, agent_id, "
             "COALESCE(quality_score, -1), cost::float8, tokens_in, "
             "tokens_out, latency_ms, (extract(epoch FROM created_at) * "
             "1000)::bigint, COALESCE(decision, ''), "
             "COALESCE(template_version, 0), tokens_cached, "
             "cost_avoided::float8, provider, model, workflow, department "
             "FROM task_results WHERE execution_id = $1 ORDER BY id",
             execution_id))
      out.value.push_back(
          {r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].as<double>(),
           r[4].as<double>(), r[5].as<int>(), r[6].as<int>(),
           r[7].as<std::int64_t>(), r[8].as<std::int64_t>(), r[9].c_str(),
           r[10].as<int>(), r[11].as<int>(), r[12].as<double>(), r[13].c_str(),
           r[14].c_str(), r[15].c_str(), r[16].c_str()});
    return {};
  });
  return out;
}

outcome<std::int64_t> pg_store::count_task_results() {
  return count_rows(*conn_, "counting task results",
                    "SELECT count(*) FROM task_results");
}

outcome<std::int64_t> pg_store::count_audit_events() {
  return count_rows(*conn_, "counting audit events",
                    "SELECT count(*) FROM audit_logs");
}

} // namespace hishamos::persistence::pg
