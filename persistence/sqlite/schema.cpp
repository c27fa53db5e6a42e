// SQLite: migrations, liveness and statistics.

#include "persistence/migrations.hpp"
#include "persistence/sqlite/connection.hpp"

namespace hishamos::persistence::sqlite {

namespace {

// The indexes the queries rely on, with where they should be.
constexpr std::pair<const char*, const char*> expected_indexes[] = {
    {"idx_executions_workflow_state_created",
     "workflow_executions (workflow_name, state, created_at)"},
    {"idx_executions_unfinished",
     "workflow_executions (state) WHERE state IN ('pending', 'running', "
     "'paused')"},
    {"idx_task_results_created_agent_quality",
     "task_results (created_at, agent_id, quality_score)"},
    {"idx_execution_steps_line_agent_quality",
     "execution_steps (line_at, agent_id, quality_score) WHERE line_at IS NOT "
     "NULL"},
    {"idx_execution_steps_line_workflow",
     "execution_steps (workflow, line_at) WHERE line_at IS NOT NULL"},
    {"idx_workflows_active_department_created",
     "workflows (department, created_at) WHERE status = 'active'"},
    {"idx_audit_logs_user_created_action",
     "audit_logs (user_id, created_at, action)"}};

} // namespace

status sqlite_store::migrate() {
  if (auto st = exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                     "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                     "applied_at INTEGER NOT NULL)");
      !st)
    return st;
  auto current = schema_version();
  if (!current)
    return current.st;
  for (const auto& m : sqlite_migrations()) {
    if (m.version <= current.value)
      continue;
    if (auto st = transaction([&]() -> status {
          if (auto st = exec(m.sql); !st)
            return {st.code,
                    "migration " + std::string{m.name} + ": " + st.message};
          statement ins{db_.get(),
                        "INSERT INTO schema_migrations VALUES (?, ?, ?)"};
          ins.bind(m.version, m.name, now_ms());
          if (int rc = ins.step(); rc != SQLITE_DONE)
            return ins.error("recording migration", rc);
          return {};
        });
        !st)
      return st;
  }
  // Made from nothing now: no earlier release ever wrote this file.
  return current.value == 0 ? adopt_release_formats() : status{};
}

outcome<int> sqlite_store::schema_version() {
  statement s{db_.get(),
              "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"};
  if (int rc = s.step(); rc != SQLITE_ROW)
    return {s.error("reading schema version", rc)};
  return {{}, static_cast<int>(s.integer(0))};
}

status sqlite_store::ping() {
  statement s{db_.get(), "SELECT 1"};
  if (int rc = s.step(); rc != SQLITE_ROW)
    return s.error("ping", rc);
  return {};
}

status sqlite_store::probe_write() {
  statement s{db_.get(), "UPDATE store_identity SET probes = probes + 1"};
  if (int rc = s.step(); rc != SQLITE_DONE)
    return s.error("probing a write", rc);
  return {};
}

outcome<store_mark> sqlite_store::mark() {
  statement s{db_.get(),
              "SELECT (SELECT id FROM store_identity), (SELECT count(*) FROM "
              "workflow_executions), (SELECT count(*) FROM execution_steps)"};
  if (int rc = s.step(); rc != SQLITE_ROW)
    return {s.error("reading the store's identity", rc)};
  return {{}, {s.text(0), s.integer(1), s.integer(2)}};
}

outcome<store_settings> sqlite_store::settings() {
  statement s{db_.get(), "SELECT definitions_by_hash, compact_decisions, "
                         "ledger_with_checkpoints FROM store_identity"};
  if (int rc = s.step(); rc != SQLITE_ROW)
    return {s.error("reading the store's settings", rc)};
  return {{}, {s.integer(0) != 0, s.integer(1) != 0, s.integer(2) != 0}};
}

status sqlite_store::adopt_release_formats() {
  ledger_with_checkpoints_.reset();
  return exec("UPDATE store_identity SET definitions_by_hash = 1, "
              "compact_decisions = 1, ledger_with_checkpoints = 1");
}

outcome<optimize_report> sqlite_store::optimize() {
  outcome<optimize_report> out;
  if (out.st = exec("ANALYZE"); !out.st)
    return out;
  out.value.analyzed = {"workflow_executions", "execution_steps",
                        "task_results", "workflows", "audit_logs"};
  for (const auto& [name, where] : expected_indexes) {
    statement s{db_.get(), "SELECT 1 FROM sqlite_master WHERE type = "
                           "'index' AND name = ?"};
    s.bind(name);
    if (s.step() != SQLITE_ROW)
      out.value.missing_indexes.push_back(std::string{name} + " on " + where);
  }
  return out;
}

} // namespace hishamos::persistence::sqlite
