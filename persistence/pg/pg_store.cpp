#include "persistence/pg/pg_store.hpp"

#include <map>
#include <tuple>

#include <pqxx/pqxx>

#include "persistence/checkpoint_codec.hpp"
#include "persistence/ledger_sql.hpp"
#include "persistence/migrations.hpp"

namespace hishamos::persistence::pg {

namespace {

// SQLSTATE classes worth retrying: connection (08), transaction rollback
// (40: serialization, deadlock), operator intervention (57: shutdown).
bool retryable_state(const std::string& sqlstate) {
  auto cls = sqlstate.substr(0, 2);
  return cls == "08" || cls == "40" || cls == "57" || cls == "53";
}

// Runs `body`, translating libpqxx exceptions into a status once, here.
template <class F> status guarded(const std::string& what, F body) {
  try {
    return body();
  } catch (const pqxx::broken_connection& e) {
    return {errc::unavailable, what + ": no connection: " + e.what()};
  } catch (const pqxx::in_doubt_error& e) {
    return {errc::unavailable, what + ": commit outcome unknown: " + e.what()};
  } catch (const pqxx::sql_error& e) {
    return {retryable_state(e.sqlstate()) ? errc::unavailable : errc::invalid,
            what + ": " + e.what()};
  } catch (const std::exception& e) {
    return {errc::unavailable, what + ": " + e.what()};
  }
}

// Qualified by `e`: every query names workflow_executions `e`.
constexpr const char* execution_columns =
    "e.id, e.workflow_id, e.definition, e.input, e.state, "
    "COALESCE(e.owner_node, ''), "
    "e.epoch, e.output, e.error, (extract(epoch FROM e.created_at) * "
    "1000)::bigint, "
    "(extract(epoch FROM e.updated_at) * 1000)::bigint, "
    "e.budget_approved_until";

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
  return x;
}

std::vector<execution_record> read_executions(const pqxx::result& rows) {
  std::vector<execution_record> out;
  for (const auto& r : rows)
    out.push_back(read_execution(r));
  return out;
}

// The claim shared by start-up and takeover: lock unfinished rows that
// match `who`, skipping rows others hold, then bump epoch and owner.
std::string claim_sql(const std::string& who) {
  return std::string{
             "WITH claimable AS (SELECT e.id FROM workflow_executions e "
             "LEFT JOIN nodes n ON n.id = e.owner_node "
             "WHERE e.state IN ('pending', 'running', 'paused') AND ("} +
         who +
         ") ORDER BY e.created_at LIMIT $2 FOR UPDATE OF e SKIP LOCKED) "
         "UPDATE workflow_executions e SET owner_node = $1, epoch = e.epoch + "
         "1, state = CASE WHEN e.state = 'paused' THEN 'paused' ELSE "
         "'running' END, "
         "updated_at = now() FROM claimable c WHERE e.id = c.id RETURNING " +
         execution_columns;
}

constexpr const char* expired_owner =
    "e.owner_node IS DISTINCT FROM $1 AND (n.id IS NULL OR n.lease_expires_at "
    "< now())";

constexpr const char* analyzed_tables[] = {
    "workflow_executions", "execution_steps", "task_results", "workflows",
    "audit_logs",          "nodes",           "agents"};

struct index_spec {
  const char* name;
  const char* table;
  const char* columns;
};

// The indexes the queries above rely on (migrations/pg/0002_indexes.sql).
constexpr index_spec expected_indexes[] = {
    {"idx_executions_workflow_state_created", "workflow_executions",
     "(workflow_id, state, created_at)"},
    {"idx_executions_unfinished_owner", "workflow_executions",
     "(owner_node) WHERE state IN ('pending', 'running', 'paused')"},
    {"idx_task_results_created_agent_quality", "task_results",
     "(created_at, agent_id, quality_score)"},
    {"idx_audit_logs_user_created_action", "audit_logs",
     "(user_id, created_at, action)"},
    {"idx_workflows_active_department_created", "workflows",
     "(department, created_at) WHERE status = 'active'"},
};

class pg_store final : public store {
public:
  explicit pg_store(std::unique_ptr<pqxx::connection> c)
      : conn_(std::move(c)) {}

  status migrate() override;

  outcome<int> schema_version() override {
    outcome<int> out;
    out.st = guarded("reading schema version", [&]() -> status {
      pqxx::work tx{*conn_};
      out.value =
          tx.exec1("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")[0]
              .as<int>();
      return {};
    });
    return out;
  }

  status ping() override {
    return guarded("ping", [&]() -> status {
      pqxx::nontransaction tx{*conn_};
      tx.exec1("SELECT 1");
      return {};
    });
  }

  status create_execution(const execution_record& x) override {
    return guarded("creating execution " + x.id, [&]() -> status {
      pqxx::work tx{*conn_};
      tx.exec_params0(
          "INSERT INTO workflow_executions (id, workflow_id, definition, "
          "input, state, owner_node, epoch) VALUES ($1, $2, $3, $4, $5, $6, "
          "$7) ON CONFLICT (id) DO NOTHING",
          x.id, x.workflow_name, x.definition, x.input, to_string(x.state),
          x.owner_node, x.epoch);
      tx.commit();
      return {};
    });
  }

  outcome<std::vector<status>>
  save_checkpoints(const std::vector<checkpoint>& xs) override {
    outcome<std::vector<status>> out;
    out.st = guarded("saving checkpoints", [&]() -> status {
      out.value.clear();
      pqxx::work tx{*conn_};
      for (const auto& cp : xs)
        out.value.push_back(save_one(tx, cp));
      tx.commit(); // one commit (one WAL flush) for the whole group
      return {};
    });
    if (!out.st)
      out.value.clear();
    return out;
  }

  status change_state(const state_change& x) override {
    return guarded("changing state of " + x.execution_id, [&]() -> status {
      pqxx::work tx{*conn_};
      auto r = tx.exec_params(
          "UPDATE workflow_executions SET state = $1, output = $2, "
          "error = $3, updated_at = now(), budget_approved_until = CASE "
          "WHEN $6::float8 < 0 THEN budget_approved_until ELSE $6::float8 END "
          "WHERE id = $4 "
          "AND epoch = $5",
          to_string(x.state), x.output, x.error, x.execution_id, x.epoch,
          x.budget_approved_until);
      tx.commit();
      if (r.affected_rows() == 0)
        return {errc::stale_epoch, "execution " + x.execution_id +
                                       " is not owned at epoch " +
                                       std::to_string(x.epoch)};
      return {};
    });
  }

  outcome<std::optional<execution_record>>
  find_execution(const std::string& id) override {
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

  outcome<std::vector<checkpoint>> checkpoints(const std::string& id) override {
    auto all = checkpoints_of({id});
    return {all.st, std::move(all.value[id])};
  }

  outcome<std::map<std::string, std::vector<checkpoint>>>
  checkpoints_of(const std::vector<std::string>& ids) override {
    outcome<std::map<std::string, std::vector<checkpoint>>> out;
    if (ids.empty())
      return out;
    out.st = guarded("reading checkpoints", [&]() -> status {
      out.value.clear();
      pqxx::work tx{*conn_};
      std::string in;
      for (const auto& id : ids)
        in += (in.empty() ? "" : ",") + tx.quote(id);
      auto rows = tx.exec(
          "SELECT execution_id, step_id, attempt, epoch, output, agent_id, "
          "started_at, finished_at, cost::float8 FROM execution_steps "
          "WHERE execution_id IN (" +
          in + ") ORDER BY execution_id, finished_at, step_id");
      for (const auto& r : rows) {
        std::string id = r[0].c_str();
        auto output = decode_output(pqxx::binarystring{r[4]}.str());
        if (!output)
          return {errc::corrupt, "checkpoint " + id + "/" + r[1].c_str() +
                                     " has an unknown encoding"};
        out.value[id].push_back({id, r[1].c_str(), r[2].as<int>(),
                                 r[3].as<std::int64_t>(), *output, r[5].c_str(),
                                 r[6].as<std::int64_t>(),
                                 r[7].as<std::int64_t>(), r[8].as<double>()});
      }
      return {};
    });
    return out;
  }

  outcome<std::vector<execution_record>> list_executions(int limit) override {
    outcome<std::vector<execution_record>> out;
    out.st = guarded("listing executions", [&]() -> status {
      pqxx::work tx{*conn_};
      out.value = read_executions(
          tx.exec_params(std::string{"SELECT "} + execution_columns +
                             " FROM workflow_executions e ORDER BY "
                             "e.created_at DESC, e.id LIMIT $1",
                         limit));
      return {};
    });
    return out;
  }

  outcome<std::vector<execution_record>>
  claim_unfinished(const std::string& node_id) override {
    return claim("e.owner_node = $1 OR (" + std::string{expired_owner} + ")",
                 node_id, 1000000);
  }

  outcome<std::vector<execution_record>>
  claim_expired(const std::string& node_id, int limit) override {
    return claim(expired_owner, node_id, limit);
  }

  status release_executions(const std::string& node_id,
                            const std::vector<std::string>& ids) override {
    if (ids.empty())
      return {};
    return guarded("releasing executions", [&]() -> status {
      pqxx::work tx{*conn_};
      std::string in;
      for (const auto& id : ids)
        in += (in.empty() ? "" : ",") + tx.quote(id);
      tx.exec_params0("UPDATE workflow_executions SET owner_node = NULL, "
                      "state = CASE WHEN state = 'running' THEN 'pending' "
                      "ELSE state END, updated_at = now() WHERE owner_node = "
                      "$1 AND id IN (" +
                          in + ")",
                      node_id);
      tx.commit();
      return {};
    });
  }

  status append_records(const record_batch& batch) override {
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

  static void upsert_agent_stats(pqxx::work& tx,
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

  outcome<std::vector<agent_stat_record>> agent_stats() override {
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
  decisions_of(const std::string& execution_id) override {
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

  status rate_result(const std::string& execution_id,
                     const std::string& step_id, double score) override {
    return guarded("rating a result", [&]() -> status {
      pqxx::work tx{*conn_};
      auto r = tx.exec_params(
          "UPDATE task_results SET quality_score = $3 WHERE id = (SELECT "
          "max(id) FROM task_results WHERE execution_id = $1 AND step_id = "
          "$2)",
          execution_id, step_id, score);
      tx.commit();
      if (r.affected_rows() == 0)
        return {errc::not_found, "execution " + execution_id +
                                     " has no "
                                     "result for step '" +
                                     step_id + "'"};
      return {};
    });
  }

  outcome<std::int64_t> count_audit_events() override {
    outcome<std::int64_t> out;
    out.st = guarded("counting audit events", [&]() -> status {
      pqxx::nontransaction tx{*conn_};
      out.value =
          tx.exec1("SELECT count(*) FROM audit_logs")[0].as<std::int64_t>();
      return {};
    });
    return out;
  }

  static void insert_audit_events(pqxx::work& tx,
                                  const std::vector<audit_event>& xs) {
    if (xs.empty())
      return;
    std::string sql = "INSERT INTO audit_logs (user_id, action, details, "
                      "created_at) VALUES ";
    for (size_t i = 0; i < xs.size(); ++i) {
      const auto& e = xs[i];
      sql += (i ? ",(" : "(") +
             (e.user_id.empty() ? std::string{"NULL"} : tx.quote(e.user_id)) +
             "," + tx.quote(e.action) + "," + tx.quote(e.details) +
             "::jsonb,to_timestamp(" + tx.quote(e.created_at_ms) +
             " / 1000.0))";
    }
    tx.exec0(sql);
  }

  static void insert_task_results(pqxx::work& tx,
                                  const std::vector<task_result_record>& xs) {
    {
      if (xs.empty())
        return;
      // One multi-row INSERT; values are quoted by libpqxx.
      std::string sql =
          "INSERT INTO task_results (execution_id, step_id, agent_id, "
          "quality_score, cost, tokens_in, tokens_out, latency_ms, "
          "created_at, decision, template_version, tokens_cached, "
          "cost_avoided, provider, model, workflow, department) VALUES ";
      for (size_t i = 0; i < xs.size(); ++i) {
        const auto& r = xs[i];
        sql +=
            (i ? ",(" : "(") + tx.quote(r.execution_id) + "," +
            tx.quote(r.step_id) + "," + tx.quote(r.agent_id) + "," +
            (r.quality_score < 0 ? std::string{"NULL"}
                                 : tx.quote(r.quality_score)) +
            "," + tx.quote(r.cost) + "," + tx.quote(r.tokens_in) + "," +
            tx.quote(r.tokens_out) + "," + tx.quote(r.latency_ms) +
            ",to_timestamp(" + tx.quote(r.created_at_ms) + " / 1000.0)," +
            (r.decision.empty() ? std::string{"NULL"} : tx.quote(r.decision)) +
            "," +
            (r.template_version > 0 ? tx.quote(r.template_version)
                                    : std::string{"NULL"}) +
            "," + tx.quote(r.tokens_cached) + "," + tx.quote(r.cost_avoided) +
            "," + tx.quote(r.provider) + "," + tx.quote(r.model) + "," +
            tx.quote(r.workflow) + "," + tx.quote(r.department) + ")";
      }
      tx.exec0(sql);
    }
  }

  outcome<std::int64_t> count_task_results() override {
    outcome<std::int64_t> out;
    out.st = guarded("counting task results", [&]() -> status {
      pqxx::nontransaction tx{*conn_};
      out.value =
          tx.exec1("SELECT count(*) FROM task_results")[0].as<std::int64_t>();
      return {};
    });
    return out;
  }

  status heartbeat(const std::string& node_id, std::int64_t lease_ms) override {
    return guarded("renewing the lease of " + node_id, [&]() -> status {
      pqxx::work tx{*conn_};
      // Database time, not this node's clock: all nodes compare to now().
      tx.exec_params0(
          "INSERT INTO nodes (id, lease_expires_at) VALUES "
          "($1, now() + $2 * interval '1 millisecond') ON CONFLICT (id) DO "
          "UPDATE SET lease_expires_at = EXCLUDED.lease_expires_at, "
          "heartbeat_at = now()",
          node_id, lease_ms);
      tx.commit();
      return {};
    });
  }

  status register_node(const node_row& x, std::int64_t lease_ms) override {
    return guarded("registering node " + x.id, [&]() -> status {
      pqxx::work tx{*conn_};
      tx.exec_params0(
          "INSERT INTO nodes (id, lease_expires_at, address, http_address) "
          "VALUES ($1, now() + $2 * interval '1 millisecond', $3, $4) ON "
          "CONFLICT (id) DO UPDATE SET lease_expires_at = "
          "EXCLUDED.lease_expires_at, address = EXCLUDED.address, "
          "http_address = EXCLUDED.http_address, heartbeat_at = now(), "
          "started_at = now()",
          x.id, lease_ms, x.address, x.http_address);
      tx.commit();
      return {};
    });
  }

  outcome<std::vector<node_row>> nodes() override {
    outcome<std::vector<node_row>> out;
    out.st = guarded("listing nodes", [&]() -> status {
      pqxx::work tx{*conn_};
      for (const auto& r :
           tx.exec("SELECT id, address, http_address, (extract(epoch FROM "
                   "lease_expires_at) * 1000)::bigint, (extract(epoch FROM "
                   "started_at) * 1000)::bigint, lease_expires_at > now() FROM "
                   "nodes ORDER BY id"))
        out.value.push_back({r[0].c_str(), r[1].c_str(), r[2].c_str(),
                             r[3].as<std::int64_t>(), r[4].as<std::int64_t>(),
                             r[5].as<bool>()});
      return {};
    });
    return out;
  }

  status release_lease(const std::string& node_id) override {
    return guarded("releasing the lease of " + node_id, [&]() -> status {
      pqxx::work tx{*conn_};
      tx.exec_params0(
          "UPDATE nodes SET lease_expires_at = now() - interval '1 second' "
          "WHERE id = $1",
          node_id);
      tx.commit();
      return {};
    });
  }

  status sync_workflows(const std::vector<workflow_row>& xs) override {
    return guarded("storing catalog workflows", [&]() -> status {
      pqxx::work tx{*conn_};
      for (const auto& w : xs)
        tx.exec_params0(
            "INSERT INTO workflows (id, version, status, department, "
            "definition) VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (id) "
            "DO UPDATE SET version = EXCLUDED.version, status = "
            "EXCLUDED.status, department = EXCLUDED.department, definition = "
            "EXCLUDED.definition",
            w.name, w.version, w.status, w.department, w.definition);
      tx.commit();
      return {};
    });
  }

  outcome<workflow_page> list_workflows(const workflow_query& q) override {
    outcome<workflow_page> out;
    if (out.st = check_workflow_query(q); !out.st)
      return out;
    out.st = guarded("listing workflows", [&]() -> status {
      pqxx::work tx{*conn_};
      constexpr const char* filter =
          " WHERE ($1 = '' OR w.status = $1) AND ($2 = '' OR w.department = "
          "$2)";
      out.value.total = tx.exec_params1(std::string{"SELECT count(*) FROM "
                                                    "workflows w"} +
                                            filter,
                                        q.status, q.department)[0]
                            .as<std::int64_t>();
      // One index-only probe of (workflow_id, state, created_at) per
      // workflow on the page, instead of grouping every execution.
      auto rows = tx.exec_params(
          std::string{
              "SELECT w.id, w.version, w.status, w.department, s.n, "
              "COALESCE((extract(epoch FROM s.last) * 1000)::bigint, 0), "
              "(extract(epoch FROM w.created_at) * 1000)::bigint "
              "FROM workflows w LEFT JOIN LATERAL (SELECT count(*) AS n, "
              "max(e.created_at) AS last FROM workflow_executions e WHERE "
              "e.workflow_id = w.id) s ON true"} +
              filter + " ORDER BY w.created_at DESC, w.id LIMIT $3 OFFSET $4",
          q.status, q.department, q.limit, (q.page - 1) * q.limit);
      for (const auto& r : rows)
        out.value.items.push_back({r[0].c_str(), r[1].as<int>(), r[2].c_str(),
                                   r[3].c_str(), r[4].as<std::int64_t>(),
                                   r[5].as<std::int64_t>(),
                                   r[6].as<std::int64_t>()});
      return {};
    });
    return out;
  }

  outcome<std::vector<daily_point>>
  agent_daily_series(const std::string& agent_id, const std::string& from_day,
                     const std::string& to_day) override {
    outcome<std::vector<daily_point>> out;
    if (out.st = check_day_range(from_day, to_day); !out.st)
      return out;
    out.st =
        guarded("reading the daily series of " + agent_id, [&]() -> status {
          pqxx::work tx{*conn_};
          // generate_series supplies the days without results; each day is a
          // created_at range, so (created_at, agent_id, ...) serves the join.
          auto rows = tx.exec_params(
              "SELECT to_char(d, 'YYYY-MM-DD'), count(DISTINCT "
              "t.execution_id), "
              "count(t.id), COALESCE(avg(t.quality_score), 0), "
              "COALESCE(sum(t.cost), 0)::float8 "
              "FROM generate_series($2::timestamp, $3::timestamp, interval '1 "
              "day') AS d LEFT JOIN task_results t ON t.agent_id = $1 AND "
              "t.created_at >= (d AT TIME ZONE 'UTC') AND t.created_at < "
              "((d + interval '1 day') AT TIME ZONE 'UTC') GROUP BY d ORDER BY "
              "d",
              agent_id, from_day, to_day);
          for (const auto& r : rows)
            out.value.push_back({r[0].c_str(), r[1].as<std::int64_t>(),
                                 r[2].as<std::int64_t>(), r[3].as<double>(),
                                 r[4].as<double>()});
          return {};
        });
    return out;
  }

  outcome<std::vector<cost_row>> cost_rollup(const cost_query& q) override {
    outcome<std::vector<cost_row>> out;
    if (out.st = check_cost_query(q); !out.st)
      return out;
    out.st = guarded("summing the cost ledger", [&]() -> status {
      pqxx::work tx{*conn_};
      sql_dialect d{"to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
                    [&](std::int64_t ms) {
                      return "to_timestamp(" + tx.quote(ms) + " / 1000.0)";
                    },
                    [&](const std::string& x) { return tx.quote(x); }};
      for (const auto& r : tx.exec(cost_rollup_sql(q, d)))
        out.value.push_back({r[0].c_str(), r[1].as<std::int64_t>(),
                             r[2].as<std::int64_t>(), r[3].as<std::int64_t>(),
                             r[4].as<std::int64_t>(), r[5].as<double>(),
                             r[6].as<double>(), r[7].as<double>()});
      return {};
    });
    return out;
  }

  outcome<optimize_report> optimize() override {
    outcome<optimize_report> out;
    out.st = guarded("optimizing", [&]() -> status {
      pqxx::nontransaction tx{*conn_};
      for (const auto* table : analyzed_tables) {
        tx.exec0(std::string{"ANALYZE "} + table);
        out.value.analyzed.emplace_back(table);
      }
      for (const auto& x : expected_indexes) {
        auto r = tx.exec_params(
            "SELECT i.indisvalid FROM pg_class c JOIN pg_index i ON "
            "i.indexrelid = c.oid WHERE c.relname = $1 AND "
            "pg_table_is_visible(c.oid)",
            x.name);
        if (r.empty() || !r[0][0].as<bool>())
          out.value.missing_indexes.push_back(
              std::string{x.name} + " on " + x.table + " " + x.columns +
              (r.empty() ? "" : " (invalid: an interrupted build)"));
      }
      return {};
    });
    return out;
  }

  status check_durability() override {
    return guarded("checking durability settings", [&]() -> status {
      pqxx::nontransaction tx{*conn_};
      std::string fsync = tx.exec1("SHOW fsync")[0].c_str();
      std::string sync = tx.exec1("SHOW synchronous_commit")[0].c_str();
      if (fsync != "on")
        return {errc::invalid,
                "the database runs with fsync = " + fsync +
                    ": committed checkpoints could be lost in a crash; fix: "
                    "set fsync = on in postgresql.conf and reload"};
      if (sync != "on")
        return {
            errc::invalid,
            "the database runs with synchronous_commit = " + sync +
                ": a checkpoint could be acknowledged before it is durable; "
                "fix: ALTER SYSTEM SET synchronous_commit = on; SELECT "
                "pg_reload_conf();"};
      return {};
    });
  }

private:
  // Under a shared row lock the epoch cannot change until commit, so a
  // claim by another node waits for this transaction or skips the row.
  status save_one(pqxx::work& tx, const checkpoint& cp) {
    auto owner = tx.exec_params(
        "SELECT epoch FROM workflow_executions WHERE id = $1 FOR SHARE",
        cp.execution_id);
    if (owner.empty())
      return {errc::not_found, "no execution " + cp.execution_id};
    auto epoch = owner[0][0].as<std::int64_t>();
    if (epoch != cp.epoch)
      return {errc::stale_epoch,
              "checkpoint " + cp.execution_id + "/" + cp.step_id +
                  " carries epoch " + std::to_string(cp.epoch) +
                  " but the execution is at epoch " + std::to_string(epoch)};
    tx.exec_params0(
        "INSERT INTO execution_steps (execution_id, step_id, attempt, epoch, "
        "output, agent_id, started_at, finished_at, cost) VALUES "
        "($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        cp.execution_id, cp.step_id, cp.attempt, cp.epoch,
        pqxx::binarystring{encode_output(cp.output)}, cp.agent_id,
        cp.started_at_ms, cp.finished_at_ms, cp.cost);
    return {};
  }

  outcome<std::vector<execution_record>>
  claim(const std::string& who, const std::string& node_id, int limit) {
    outcome<std::vector<execution_record>> out;
    out.st = guarded("claiming executions", [&]() -> status {
      pqxx::work tx{*conn_};
      out.value =
          read_executions(tx.exec_params(claim_sql(who), node_id, limit));
      tx.commit();
      return {};
    });
    return out;
  }

  status apply(const migration& m);

  std::unique_ptr<pqxx::connection> conn_;
};

// Statements of a no-transaction migration, split at semicolons (such
// migrations hold only simple DDL).
std::vector<std::string> statements(const std::string& sql) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (auto end = sql.find(';'); end != std::string::npos;
       end = sql.find(';', pos)) {
    out.push_back(sql.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

status pg_store::apply(const migration& m) {
  std::string sql = m.sql;
  if (sql.find("hishamos:no-transaction") == std::string::npos) {
    pqxx::work tx{*conn_};
    tx.exec0(sql);
    tx.exec_params0(
        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
        m.version, m.name);
    tx.commit();
    return {};
  }
  pqxx::nontransaction tx{*conn_};
  // An interrupted CREATE INDEX CONCURRENTLY leaves an invalid index that
  // IF NOT EXISTS would keep: drop those first, so a rerun repairs them.
  for (const auto& r :
       tx.exec("SELECT c.relname FROM pg_index i JOIN pg_class c "
               "ON c.oid = i.indexrelid WHERE NOT i.indisvalid"))
    tx.exec0("DROP INDEX CONCURRENTLY IF EXISTS " +
             tx.quote_name(r[0].c_str()));
  for (const auto& stmt : statements(sql))
    if (stmt.find_first_not_of(" \n\t") != std::string::npos)
      tx.exec0(stmt);
  tx.exec_params0(
      "INSERT INTO schema_migrations (version, name) VALUES ($1, $2) "
      "ON CONFLICT DO NOTHING",
      m.version, m.name);
  return {};
}

status pg_store::migrate() {
  // libpqxx allows one transaction object per connection at a time, so
  // each step opens and closes its own. The advisory lock belongs to the
  // session: one migrator at a time across nodes that start together.
  auto session = [&](const std::string& sql) {
    pqxx::nontransaction tx{*conn_};
    return tx.exec(sql);
  };
  return guarded("migrating", [&]() -> status {
    session("SELECT pg_advisory_lock(7265624)");
    auto st = guarded("migrating", [&]() -> status {
      session(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER "
          "PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL "
          "DEFAULT now())");
      auto current =
          session(
              "SELECT COALESCE(MAX(version), 0) FROM schema_migrations")[0][0]
              .as<int>();
      for (const auto& m : pg_migrations())
        if (m.version > current)
          if (auto applied = guarded(std::string{"migration "} + m.name,
                                     [&] { return apply(m); });
              !applied)
            return applied;
      return {};
    });
    session("SELECT pg_advisory_unlock(7265624)");
    return st;
  });
}

} // namespace

outcome<std::unique_ptr<store>> open(const std::string& url) {
  outcome<std::unique_ptr<store>> out;
  out.st = guarded("connecting to PostgreSQL at " + redact_url(url),
                   [&]() -> status {
                     auto conn = std::make_unique<pqxx::connection>(url);
                     // A paused or partitioned node must not keep row locks
                     // that block the node taking over: our transactions never
                     // sit idle, so the server may end one that does after a
                     // moment.
                     pqxx::nontransaction{*conn}.exec(
                         "SET idle_in_transaction_session_timeout = 2000");
                     out.value = std::make_unique<pg_store>(std::move(conn));
                     return {};
                   });
  if (!out.st)
    out.st.message +=
        "; fix: check that the server runs and the URL, user and password "
        "are right";
  return out;
}

} // namespace hishamos::persistence::pg
