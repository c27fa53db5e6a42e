// PostgreSQL: migrations, liveness, statistics and the durability check.

#include "persistence/pg/connection.hpp"

namespace hishamos::persistence::pg {

namespace {

constexpr const char* analyzed_tables[] = {
    "workflow_executions", "execution_steps", "task_results", "workflows",
    "audit_logs",          "nodes",           "agents"};

struct index_spec {
  const char* name;
  const char* table;
  const char* columns;
};

// The indexes the queries rely on (migrations/pg/0002_indexes.sql).
constexpr index_spec expected_indexes[] = {
    {"idx_executions_workflow_state_created", "workflow_executions",
     "(workflow_id, state, created_at)"},
    {"idx_executions_unfinished_owner", "workflow_executions",
     "(owner_node) WHERE state IN ('pending', 'running', 'paused')"},
    {"idx_task_results_created_agent_quality", "task_results",
     "(created_at, agent_id, quality_score)"},
    {"idx_execution_steps_line_agent_quality", "execution_steps",
     "(line_at, agent_id, quality_score) WHERE line_at IS NOT NULL"},
    {"idx_execution_steps_line_workflow", "execution_steps",
     "(workflow, line_at) WHERE line_at IS NOT NULL"},
    {"idx_audit_logs_user_created_action", "audit_logs",
     "(user_id, created_at, action)"},
    {"idx_workflows_active_department_created", "workflows",
     "(department, created_at) WHERE status = 'active'"},
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

constexpr int migration_lock = 7265624;

} // namespace

outcome<int> pg_store::schema_version() {
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

outcome<store_mark> pg_store::mark() {
  outcome<store_mark> out;
  out.st = guarded("reading the store's identity", [&]() -> status {
    pqxx::work tx{*conn_};
    auto r = tx.exec1(
        "SELECT COALESCE((SELECT id FROM store_identity), ''), (SELECT "
        "count(*) FROM workflow_executions), (SELECT count(*) FROM "
        "execution_steps)");
    out.value = {r[0].c_str(), r[1].as<std::int64_t>(),
                 r[2].as<std::int64_t>()};
    return {};
  });
  return out;
}

outcome<store_settings> pg_store::settings() {
  outcome<store_settings> out;
  out.st = guarded("reading the store's settings", [&]() -> status {
    pqxx::work tx{*conn_};
    auto r = tx.exec1("SELECT definitions_by_hash, compact_decisions, "
                      "ledger_with_checkpoints FROM store_identity");
    out.value.definitions_by_hash = r[0].as<bool>();
    out.value.compact_decisions = r[1].as<bool>();
    out.value.ledger_with_checkpoints = r[2].as<bool>();
    return {};
  });
  return out;
}

status pg_store::adopt_release_formats() {
  return guarded("changing the store's settings", [&]() -> status {
    pqxx::work tx{*conn_};
    tx.exec0("UPDATE store_identity SET definitions_by_hash = TRUE, "
             "compact_decisions = TRUE, ledger_with_checkpoints = TRUE");
    tx.commit();
    ledger_with_checkpoints_.reset();
    return {};
  });
}

status pg_store::ping() {
  return guarded("ping", [&]() -> status {
    pqxx::nontransaction tx{*conn_};
    tx.exec1("SELECT 1");
    return {};
  });
}

status pg_store::probe_write() {
  return guarded("probing a write", [&]() -> status {
    pqxx::work tx{*conn_};
    tx.exec0("UPDATE store_identity SET probes = probes + 1");
    tx.commit();
    return {};
  });
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
    session("SELECT pg_advisory_lock(" + std::to_string(migration_lock) + ")");
    auto st = guarded("migrating", [&]() -> status {
      session("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER "
              "PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT "
              "NULL DEFAULT now())");
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
      // Made from nothing now: no earlier release ever ran on this store.
      return current == 0 ? adopt_release_formats() : status{};
    });
    session("SELECT pg_advisory_unlock(" + std::to_string(migration_lock) +
            ")");
    return st;
  });
}

outcome<optimize_report> pg_store::optimize() {
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

status pg_store::check_durability() {
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
      return {errc::invalid,
              "the database runs with synchronous_commit = " + sync +
                  ": a checkpoint could be acknowledged before it is durable; "
                  "fix: ALTER SYSTEM SET synchronous_commit = on; SELECT "
                  "pg_reload_conf();"};
    return {};
  });
}

} // namespace hishamos::persistence::pg
