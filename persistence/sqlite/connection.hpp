#pragma once

// The SQLite backend's one class and the helpers its role files share
// (sqlite/executions.cpp, sqlite/records.cpp, sqlite/reports.cpp,
// sqlite/workflows.cpp, sqlite/schema.cpp). Included by those files only.
// The embedded store is single-node: it has no lease role.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "persistence/store.hpp"

namespace hishamos::persistence::sqlite {

struct db_closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct stmt_finalizer {
  /// A statement the connection keeps prepared: reset for its next use
  /// instead of finalized.
  bool keep = false;
  void operator()(sqlite3_stmt* s) const {
    if (!keep) {
      sqlite3_finalize(s);
      return;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};
using db_ptr = std::unique_ptr<sqlite3, db_closer>;
using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_finalizer>;

/// Busy and locked mean another connection holds the write lock: retryable.
errc code_of(int rc);

/// Marks bytes to bind as a BLOB rather than TEXT.
struct blob {
  std::string bytes;
};

/// A prepared statement with positional binding and column access.
class statement {
public:
  statement(sqlite3* db, const char* sql);
  /// Uses `kept`, prepared before and owned by the connection; it is reset
  /// when this ends.
  statement(sqlite3* db, sqlite3_stmt* kept)
      : db_(db), stmt_(kept, stmt_finalizer{true}) {}
  template <class... Ts> statement& bind(const Ts&... xs) {
    int i = 0;
    (bind_one(++i, xs), ...);
    return *this;
  }
  /// Binds one task_results row at parameter offset `base` (17 values:
  /// execution, step, agent, cost, latency, then as bind_line).
  void bind_row(int base, const task_result_record& r);
  /// Binds what a ledger line kept in its checkpoint's row adds to the
  /// row, at parameter offset `base` (12 values: created_at, quality,
  /// tokens in and out, decision, template version, tokens cached, cost
  /// avoided, provider, model, workflow, department).
  void bind_line(int base, const task_result_record& r);
  /// Binds NULL at `i`.
  void bind_null(int i);
  /// Steps once: SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return rc_ == SQLITE_OK ? sqlite3_step(stmt_.get()) : rc_; }
  std::string text(int col) const;
  double real(int col) const { return sqlite3_column_double(stmt_.get(), col); }
  bool is_null(int col) const {
    return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL;
  }
  std::int64_t integer(int col) const {
    return sqlite3_column_int64(stmt_.get(), col);
  }
  status error(const std::string& what, int rc) const {
    return {code_of(rc), what + " failed: " + sqlite3_errmsg(db_)};
  }

  void bind_one(int i, const std::string& x);
  void bind_one(int i, const char* x) { bind_one(i, std::string{x}); }
  void bind_one(int i, std::int64_t x) {
    sqlite3_bind_int64(stmt_.get(), i, x);
  }
  void bind_one(int i, int x) { sqlite3_bind_int64(stmt_.get(), i, x); }
  void bind_one(int i, double x) { sqlite3_bind_double(stmt_.get(), i, x); }
  void bind_one(int i, const blob& x);

private:
  sqlite3* db_;
  stmt_ptr stmt_;
  int rc_ = SQLITE_OK;
};

/// The columns of an execution row, in the order read_execution reads them.
extern const char* const execution_columns;
execution_record read_execution(const statement& s);

/// One connection to the embedded store.
class sqlite_store final : public store {
public:
  explicit sqlite_store(db_ptr db) : db_(std::move(db)) {}

  /// Runs SQL without results (pragmas, migrations).
  status exec(const std::string& sql);

  // schema (sqlite/schema.cpp)
  status migrate() override;
  outcome<int> schema_version() override;
  status ping() override;
  status probe_write() override;
  outcome<optimize_report> optimize() override;
  /// synchronous=FULL is set when the store is opened.
  status check_durability() override { return {}; }
  outcome<store_mark> mark() override;
  outcome<store_settings> settings() override;
  status adopt_release_formats() override;

  // executions and checkpoints (sqlite/executions.cpp)
  status create_execution(const execution_record& x) override;
  outcome<std::vector<creation>>
  create_executions(const std::vector<execution_record>& xs) override;
  outcome<std::vector<status>>
  save_checkpoints(const std::vector<checkpoint>& xs) override;
  status change_state(const state_change& x) override;
  outcome<std::vector<status>>
  change_states(const std::vector<state_change>& xs) override;
  group_outcome save_group(const std::vector<checkpoint>& cps,
                           const std::vector<state_change>& changes) override;
  outcome<std::optional<execution_record>>
  find_execution(const std::string& id) override;
  outcome<std::vector<checkpoint>> checkpoints(const std::string& id) override;
  outcome<std::map<std::string, std::vector<checkpoint>>>
  checkpoints_of(const std::vector<std::string>& ids) override;
  outcome<std::vector<execution_record>>
  claim_unfinished(const std::string& node_id) override;
  outcome<std::vector<execution_record>>
  claim_expired(const std::string& node_id, int limit) override;
  status release_executions(const std::string& node_id,
                            const std::vector<std::string>& ids) override;
  outcome<execution_record>
  reopen_execution(const std::string& id, const std::string& node_id) override;
  // attempt history (sqlite/attempts.cpp)
  outcome<attempt_history>
  attempts_of(const std::string& execution_id) override;

  // append-only records (sqlite/records.cpp)
  status append_records(const record_batch& batch) override;
  outcome<std::vector<agent_stat_record>> agent_stats() override;
  outcome<std::map<std::string, step_result_meta>>
  decisions_of(const std::string& execution_id) override;
  status rate_result(const std::string& execution_id,
                     const std::string& step_id, double score) override;
  outcome<std::vector<task_result_record>>
  results_of(const std::string& execution_id) override;
  outcome<std::int64_t> count_ledger_lines() override;
  outcome<std::int64_t> count_audit_events() override;
  outcome<std::vector<audit_row>> audit_rows(std::int64_t after_id,
                                             int limit) override;
  outcome<audit_head> audit_chain_head() override;
  outcome<audit_page> list_audit(const audit_query& q) override;

  // reports (sqlite/reports.cpp)
  outcome<execution_page>
  list_executions(const model::execution_query& q) override;
  outcome<workflow_page> list_workflows(const workflow_query& q) override;
  outcome<std::vector<daily_point>>
  agent_daily_series(const std::string& agent_id, const std::string& from_day,
                     const std::string& to_day) override;
  outcome<std::vector<cost_row>> cost_rollup(const cost_query& q) override;
  outcome<std::vector<model::workflow_stat>>
  workflow_stats(std::int64_t from_ms, std::int64_t to_ms) override;

  // identities (sqlite/auth.cpp)
  status create_user(const user_row& u) override;
  outcome<std::optional<user_row>>
  find_user(const std::string& username) override;
  outcome<std::optional<user_row>>
  find_user_by_id(const std::string& id) override;
  status update_user(const user_row& u) override;
  outcome<std::vector<user_row>> list_users() override;
  outcome<std::int64_t> count_users() override;
  outcome<bool> use_totp_step(const std::string& user_id,
                              std::int64_t step) override;
  outcome<int> count_login_failure(const std::string& user_id, int lock_at,
                                   std::int64_t locked_until_ms) override;
  status create_api_key(const api_key_row& k) override;
  outcome<std::optional<api_key_row>>
  find_api_key(const std::string& prefix) override;
  outcome<std::vector<api_key_row>>
  list_api_keys(const std::string& user_id) override;
  status touch_api_key(const std::string& id, std::int64_t at_ms) override;
  outcome<bool> revoke_api_key(const std::string& id,
                               std::int64_t at_ms) override;
  status create_refresh_token(const refresh_token_row& t) override;
  outcome<std::optional<refresh_token_row>>
  consume_refresh_token(const std::string& token_hash,
                        std::int64_t at_ms) override;
  status revoke_refresh_family(const std::string& family,
                               std::int64_t at_ms) override;
  status revoke_user_sessions(const std::string& user_id,
                              std::int64_t at_ms) override;
  outcome<bool> session_revoked(const std::string& family) override;
  outcome<std::vector<signing_key_row>> signing_keys() override;
  status add_signing_key(const signing_key_row& k) override;
  status put_secret(const secret_row& s) override;
  outcome<std::vector<secret_row>> secrets() override;
  outcome<bool> record_rating(const std::string& execution_id,
                              const std::string& step_id,
                              const std::string& user_id,
                              double score) override;

  // workflows (sqlite/workflows.cpp)
  outcome<std::vector<std::string>>
  sync_workflows(const std::vector<workflow_draft>& xs) override;
  outcome<workflow_row> create_workflow(const workflow_draft& x) override;
  outcome<workflow_version_row>
  add_workflow_version(const workflow_draft& x) override;
  outcome<workflow_row> activate_workflow(const std::string& name,
                                          int version) override;
  outcome<workflow_row> archive_workflow(const std::string& name) override;
  outcome<std::optional<workflow_row>>
  find_workflow(const std::string& name) override;
  outcome<std::vector<workflow_version_row>>
  workflow_versions(const std::string& name) override;
  outcome<std::optional<workflow_version_row>>
  find_workflow_version(const std::string& name, int version) override;
  status sync_templates(const std::vector<template_row>& xs) override;
  outcome<std::vector<template_row>> list_templates() override;
  outcome<std::vector<template_row>>
  template_versions(const std::string& id) override;

private:
  /// Runs `body` in BEGIN IMMEDIATE ... COMMIT; rolls back on failure.
  template <class F> status transaction(F body) {
    if (auto st = exec("BEGIN IMMEDIATE"); !st)
      return st;
    auto st = body();
    if (!st) {
      (void)exec("ROLLBACK"); // the original error is the one to report
      return st;
    }
    if (auto commit = exec("COMMIT"); !commit) {
      (void)exec("ROLLBACK"); // the original error is the one to report
      return commit;
    }
    return {};
  }
  /// Stores `cp` unless stored before; then adds its ledger lines and
  /// audit events to `with_them`, for the transaction to write.
  status save_one(const checkpoint& cp, record_batch& with_them);
  status change_one(const state_change& x);
  // The bodies of save_checkpoints and change_states, in a transaction of
  // the caller's: one status per record in `each`.
  status save_checkpoints_in(const std::vector<checkpoint>& xs,
                             std::vector<status>& each);
  status change_states_in(const std::vector<state_change>& xs,
                          std::vector<status>& each);
  /// `sql`, a string literal, prepared once for this connection.
  statement kept(const char* sql);
  outcome<std::vector<execution_record>>
  select_executions(const std::string& sql);
  outcome<std::int64_t> count(const char* what, const char* sql);
  status insert_task_results(const std::vector<task_result_record>& xs);
  status insert_audit_events(const std::vector<audit_event>& xs);
  /// Attempts that ended without a result; one stored before stays
  /// (sqlite/attempts.cpp).
  status insert_attempts(const std::vector<attempt_record>& xs);
  /// Records the change of owner to `node_id` of the executions that
  /// `which` (a condition on workflow_executions, binding ?3 and on)
  /// selects, before their epoch is bumped.
  template <class... Ts>
  status record_owners(const std::string& which, const std::string& node_id,
                       const Ts&... xs);
  outcome<std::optional<execution_record>>
  stored_like(const execution_record& x);
  // workflows (sqlite/workflows.cpp)
  outcome<std::optional<workflow_row>> workflow_of(const std::string& name);
  status insert_version(const workflow_draft& x, int version);
  status activate(const std::string& name, int version);
  status seed(const workflow_draft& x, bool& kept);

  /// store_identity.ledger_with_checkpoints, read at the connection's
  /// first checkpoint and kept (nodes read the store's settings at start).
  bool ledger_with_checkpoints();

  db_ptr db_;
  std::optional<bool> ledger_with_checkpoints_;
  /// Statements run for every step or execution, prepared once (parsing
  /// and planning them again cost the writer more than running them), by
  /// the address of their SQL literal. Declared after db_: finalized
  /// before it closes.
  std::map<const char*, stmt_ptr> kept_;
};

} // namespace hishamos::persistence::sqlite
