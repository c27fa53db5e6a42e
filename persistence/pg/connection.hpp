#pragma once

// The PostgreSQL backend's one class and the helpers its role files share
// (pg/executions.cpp, pg/leases.cpp, pg/records.cpp, pg/reports.cpp,
// pg/workflows.cpp, pg/schema.cpp). Included by those files only: it pulls
// in libpqxx, whose exceptions never leave them (see guarded()).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "persistence/migrations.hpp"
#include "persistence/store.hpp"

namespace hishamos::persistence::pg {

/// SQLSTATE classes worth retrying: connection (08), transaction rollback
/// (40: serialization, deadlock), operator intervention (57: shutdown),
/// insufficient resources (53).
bool retryable_state(const std::string& sqlstate);

/// Runs `body`, translating libpqxx exceptions into a status once, here.
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

/// Rows of the cost ledger and of the audit chain, inside `tx`
/// (pg/records.cpp): batches and checkpoints write them alike.
void insert_task_results(pqxx::work& tx,
                         const std::vector<task_result_record>& xs);
void insert_audit_events(pqxx::work& tx, const std::vector<audit_event>& xs);
/// Attempts that ended without a result, inside `tx`; one stored before
/// stays (pg/attempts.cpp).
void insert_attempts(pqxx::work& tx, const std::vector<attempt_record>& xs);

/// `'a','b'` of quoted ids, for an IN list.
std::string quoted_list(pqxx::transaction_base& tx,
                        const std::vector<std::string>& ids);

/// The columns of an execution row, qualified by `e` (every query names
/// workflow_executions `e`), in the order read_execution reads them.
extern const char* const execution_columns;
execution_record read_execution(const pqxx::row& r);
std::vector<execution_record> read_executions(const pqxx::result& rows);

/// One connection to PostgreSQL, with every role, leases included.
/// Declares on a new connection the statements a checkpoint runs, so that
/// the server parses and plans them once per connection, not per step.
void prepare_statements(pqxx::connection& c);
/// Those of the group commits (pg/group_commit.cpp) and of the ledger
/// (pg/records.cpp), which prepare_statements declares.
void prepare_group_statements(pqxx::connection& c);
void prepare_record_statements(pqxx::connection& c);

class pg_store final : public store, public lease_store {
public:
  explicit pg_store(std::unique_ptr<pqxx::connection> c)
      : conn_(std::move(c)) {}

  lease_store* leases() override { return this; }

  // schema (pg/schema.cpp)
  status migrate() override;
  outcome<int> schema_version() override;
  status ping() override;
  status probe_write() override;
  outcome<optimize_report> optimize() override;
  status check_durability() override;
  outcome<store_mark> mark() override;
  outcome<store_settings> settings() override;
  status adopt_release_formats() override;

  // executions and checkpoints (pg/executions.cpp)
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
  // attempt history (pg/attempts.cpp)
  outcome<attempt_history>
  attempts_of(const std::string& execution_id) override;

  // leases (pg/leases.cpp)
  status heartbeat(const std::string& node_id, std::int64_t lease_ms) override;
  status register_node(const node_row& x, std::int64_t lease_ms) override;
  outcome<std::vector<node_row>> nodes() override;
  status release_lease(const std::string& node_id) override;

  // append-only records (pg/records.cpp)
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

  // reports (pg/reports.cpp)
  outcome<execution_page>
  list_executions(const model::execution_query& q) override;
  outcome<workflow_page> list_workflows(const workflow_query& q) override;
  outcome<std::vector<daily_point>>
  agent_daily_series(const std::string& agent_id, const std::string& from_day,
                     const std::string& to_day) override;
  outcome<std::vector<cost_row>> cost_rollup(const cost_query& q) override;
  outcome<std::vector<model::workflow_stat>>
  workflow_stats(std::int64_t from_ms, std::int64_t to_ms) override;

  // identities (pg/auth.cpp)
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

  // workflows (pg/workflows.cpp)
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
  // The bodies of save_checkpoints and change_states, in a transaction
  // the caller commits (pg/group_commit.cpp).
  std::vector<status> save_checkpoints_in(pqxx::work& tx,
                                          const std::vector<checkpoint>& xs);
  std::vector<status> change_states_in(pqxx::work& tx,
                                       const std::vector<state_change>& xs);
  /// Why the group's INSERT did not store `cp`: stale or missing (an
  /// error), or stored before (ok; its attempts go to `attempts`).
  status not_stored(pqxx::work& tx, const checkpoint& cp,
                    std::vector<attempt_record>& attempts);
  outcome<std::vector<execution_record>>
  claim(const std::string& who, const std::string& node_id, int limit);
  status apply(const migration& m);
  outcome<std::vector<execution_record>>
  stored_like(pqxx::work& tx, const std::vector<execution_record>& xs);
  /// store_identity.ledger_with_checkpoints, read at the connection's
  /// first checkpoint and kept (nodes read the store's settings at start).
  bool ledger_with_checkpoints(pqxx::work& tx);

  std::unique_ptr<pqxx::connection> conn_;
  std::optional<bool> ledger_with_checkpoints_;
};

} // namespace hishamos::persistence::pg
