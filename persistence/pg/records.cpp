// PostgreSQL: append-only records (task results, audit events), learned
// quality and ratings. One batch is one transaction with one multi-row
// INSERT per table.

#include <map>
#include <tuple>

#include "persistence/pg/arrays.hpp"
#include "persistence/pg/connection.hpp"
#include "persistence/pg/line_columns.hpp"

namespace hishamos::persistence::pg {

namespace {

std::string null_or(pqxx::work& tx, bool null, const std::string& quoted) {
  return null ? std::string{"NULL"} : quoted;
}

// The ledger lines of a batch in one INSERT, one array per column.
const char* const ledger_insert =
    "INSERT INTO task_results (execution_id, step_id, agent_id, cost, "
    "latency_ms, created_at, quality_score, tokens_in, tokens_out, decision, "
    "template_version, tokens_cached, cost_avoided, provider, model, "
    "workflow, department) SELECT execution_id, step_id, agent_id, cost, "
    "latency_ms, to_timestamp(created_at_ms / 1000.0), quality_score, "
    "tokens_in, tokens_out, decision, template_version, tokens_cached, "
    "cost_avoided, provider, model, workflow, department FROM "
    "unnest($1::text[], $2::text[], $3::text[], $4::numeric[], "
    "$5::integer[], $6::bigint[], $7::float8[], $8::integer[], "
    "$9::integer[], $10::text[], $11::integer[], $12::integer[], "
    "$13::numeric[], $14::text[], $15::text[], $16::text[], $17::text[]) AS "
    "v(execution_id, step_id, agent_id, cost, latency_ms, created_at_ms, "
    "quality_score, tokens_in, tokens_out, decision, template_version, "
    "tokens_cached, cost_avoided, provider, model, workflow, department)";

} // namespace

void prepare_record_statements(pqxx::connection& c) {
  c.prepare("ledger_lines", ledger_insert);
}

void line_columns::add(const task_result_record& x) {
  created_at_ms_.number(x.created_at_ms);
  if (x.quality_score < 0)
    quality_score_.null();
  else
    quality_score_.number(x.quality_score);
  tokens_in_.number(std::int64_t{x.tokens_in});
  tokens_out_.number(std::int64_t{x.tokens_out});
  decision_.text_or_null(x.decision);
  if (x.template_version <= 0)
    template_version_.null();
  else
    template_version_.number(std::int64_t{x.template_version});
  tokens_cached_.number(std::int64_t{x.tokens_cached});
  cost_avoided_.number(x.cost_avoided);
  provider_.text(x.provider);
  model_.text(x.model);
  workflow_.text(x.workflow);
  department_.text(x.department);
}

std::array<array_literal*, 12> line_columns::columns() {
  return {&created_at_ms_, &quality_score_, &tokens_in_,
          &tokens_out_,    &decision_,      &template_version_,
          &tokens_cached_, &cost_avoided_,  &provider_,
          &model_,         &workflow_,      &department_};
}

void line_columns::add_none() {
  for (auto* c : columns())
    c->null();
}

void line_columns::append_to(std::vector<std::string>& params) && {
  for (auto* c : columns())
    params.push_back(std::move(*c).done());
}

void insert_task_results(pqxx::work& tx,
                         const std::vector<task_result_record>& xs) {
  if (xs.empty())
    return;
  array_literal execution_id, step_id, agent_id, cost, latency_ms;
  line_columns rest;
  for (const auto& r : xs) {
    execution_id.text(r.execution_id);
    step_id.text(r.step_id);
    agent_id.text(r.agent_id);
    cost.number(r.cost);
    latency_ms.number(r.latency_ms);
    rest.add(r);
  }
  std::vector<std::string> params{
      std::move(execution_id).done(), std::move(step_id).done(),
      std::move(agent_id).done(), std::move(cost).done(),
      std::move(latency_ms).done()};
  std::move(rest).append_to(params);
  tx.exec_prepared0("ledger_lines", pqxx::prepare::make_dynamic_params(params));
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
             "coalesce(template_version, 0) FROM ledger_lines WHERE "
             "execution_id = $1 ORDER BY step_id, created_at DESC, line_id "
             "DESC NULLS LAST",
             execution_id))
      out.value[row[0].as<std::string>()] = {row[1].as<std::string>(),
                                             row[2].as<int>()};
    return {};
  });
  return out;
}

// The step's line kept with its checkpoint, else its newest line in
// task_results.
status pg_store::rate_result(const std::string& execution_id,
                             const std::string& step_id, double score) {
  return guarded("rating a result", [&]() -> status {
    pqxx::work tx{*conn_};
    auto r = tx.exec_params(
        "UPDATE execution_steps SET quality_score = $3 WHERE execution_id = "
        "$1 AND step_id = $2 AND line_at IS NOT NULL",
        execution_id, step_id, score);
    if (r.affected_rows() == 0)
      r = tx.exec_params(
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
             "FROM ledger_lines WHERE execution_id = $1 ORDER BY created_at, "
             "line_id NULLS FIRST, step_id",
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

outcome<std::int64_t> pg_store::count_ledger_lines() {
  return count_rows(*conn_, "counting ledger lines",
                    "SELECT count(*) FROM ledger_lines");
}

outcome<std::int64_t> pg_store::count_audit_events() {
  return count_rows(*conn_, "counting audit events",
                    "SELECT count(*) FROM audit_logs");
}

} // namespace hishamos::persistence::pg
