#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "persistence/open_store.hpp"
#include "persistence/store.hpp"

namespace hishamos::test {

/// Holds checkpoint commits while closed, to test what waits for an ack.
struct gate {
  std::mutex mx;
  std::condition_variable cv;
  bool open = true;
  std::set<std::string> held; ///< "step" ids whose checkpoint is being held.
  int transactions = 0;       ///< save_checkpoints calls so far.
  int checkpoints = 0;        ///< Checkpoints passed to them.
  int fail_appends = 0;       ///< append_records calls left to fail.
  /// save_group calls left to refuse as invalid (a refusal that is not
  /// the link's), and how many were.
  int refuse_groups = 0;
  int groups_refused = 0;
  /// create_executions calls left that commit and then answer as a lost
  /// connection would (the caller cannot know that they took effect).
  int lose_create_answers = 0;
  /// Seeded transient faults: this share of store calls fails as a
  /// database under stress fails (serialization failure, deadlock, a
  /// connection reset), half of the writes after their commit, so that
  /// their caller cannot know whether they took effect.
  double fault_rate = 0;
  std::mt19937_64 rng{0};
  int faults = 0; ///< Injected so far.

  /// The fault to answer `call` with, if one is due; `after` says whether
  /// the call is to run first (its outcome then unknown to the caller).
  std::optional<persistence::status> fault(const char* call, bool write,
                                           bool& after) {
    std::lock_guard<std::mutex> guard{mx};
    if (fault_rate <= 0 ||
        std::uniform_real_distribution<double>{0, 1}(rng) >= fault_rate)
      return std::nullopt;
    static const char* const kinds[] = {
        "could not serialize access due to concurrent update (SQLSTATE "
        "40001)",
        "deadlock detected (SQLSTATE 40P01)",
        "server closed the connection unexpectedly"};
    after = write && rng() % 2 == 0;
    ++faults;
    return persistence::status{persistence::errc::unavailable,
                               std::string{call} + ": " + kinds[rng() % 3]};
  }

  void close() {
    std::lock_guard<std::mutex> guard{mx};
    open = false;
  }
  void release() {
    std::lock_guard<std::mutex> guard{mx};
    open = true;
    cv.notify_all();
  }
  int count(int gate::*field) {
    std::lock_guard<std::mutex> guard{mx};
    return this->*field;
  }
  bool holds(const std::string& step) {
    std::lock_guard<std::mutex> guard{mx};
    return held.count(step) > 0;
  }
};

/// A store factory that wraps the store at `url` in a gated_store.
inline std::function<
    persistence::outcome<std::unique_ptr<persistence::store>>()>
gated_factory(std::string url, std::shared_ptr<gate> g);

/// A store that forwards to a real one but blocks save_checkpoints while
/// its gate is closed (it runs on the writer's own thread, so blocking is
/// what a slow disk would do).
class gated_store : public persistence::store, public persistence::lease_store {
public:
  gated_store(std::unique_ptr<persistence::store> inner,
              std::shared_ptr<gate> g)
      : inner_(std::move(inner)), gate_(std::move(g)) {}

  persistence::status migrate() override { return inner_->migrate(); }
  persistence::outcome<int> schema_version() override {
    return inner_->schema_version();
  }
  persistence::status ping() override { return inner_->ping(); }
  persistence::status probe_write() override { return inner_->probe_write(); }
  persistence::status
  create_execution(const persistence::execution_record& x) override {
    return faulty("create_execution", true,
                  [&] { return inner_->create_execution(x); });
  }
  persistence::outcome<std::vector<persistence::status>>
  save_checkpoints(const std::vector<persistence::checkpoint>& xs) override {
    {
      std::unique_lock<std::mutex> lock{gate_->mx};
      for (const auto& x : xs)
        if (!gate_->open)
          gate_->held.insert(x.step_id);
      gate_->cv.wait(lock, [this] { return gate_->open; });
      ++gate_->transactions;
      gate_->checkpoints += static_cast<int>(xs.size());
    }
    return faulty("save_checkpoints", true,
                  [&] { return inner_->save_checkpoints(xs); });
  }
  group_outcome
  save_group(const std::vector<persistence::checkpoint>& cps,
             const std::vector<persistence::state_change>& changes) override {
    {
      std::lock_guard<std::mutex> guard{gate_->mx};
      if (gate_->refuse_groups > 0) {
        --gate_->refuse_groups;
        ++gate_->groups_refused;
        persistence::status no{persistence::errc::invalid,
                               "save_group refused by the test"};
        return {{no, {}}, {no, {}}};
      }
    }
    return persistence::store::save_group(cps, changes);
  }
  persistence::status
  change_state(const persistence::state_change& x) override {
    return faulty("change_state", true,
                  [&] { return inner_->change_state(x); });
  }
  persistence::outcome<std::optional<persistence::execution_record>>
  find_execution(const std::string& id) override {
    return faulty("find_execution", false,
                  [&] { return inner_->find_execution(id); });
  }
  persistence::outcome<std::vector<persistence::checkpoint>>
  checkpoints(const std::string& id) override {
    return inner_->checkpoints(id);
  }
  persistence::outcome<
      std::map<std::string, std::vector<persistence::checkpoint>>>
  checkpoints_of(const std::vector<std::string>& ids) override {
    return faulty("checkpoints_of", false,
                  [&] { return inner_->checkpoints_of(ids); });
  }
  persistence::outcome<persistence::execution_page>
  list_executions(const model::execution_query& q) override {
    return inner_->list_executions(q);
  }
  persistence::outcome<std::vector<persistence::creation>> create_executions(
      const std::vector<persistence::execution_record>& xs) override {
    auto out = faulty("create_executions", true,
                      [&] { return inner_->create_executions(xs); });
    std::lock_guard<std::mutex> guard{gate_->mx};
    if (out && gate_->lose_create_answers > 0) {
      --gate_->lose_create_answers;
      return {{persistence::errc::unavailable,
               "create_executions: server closed the connection unexpectedly "
               "(after commit)"},
              {}};
    }
    return out;
  }
  persistence::outcome<persistence::execution_record>
  reopen_execution(const std::string& id, const std::string& node_id) override {
    return inner_->reopen_execution(id, node_id);
  }
  persistence::outcome<persistence::attempt_history>
  attempts_of(const std::string& id) override {
    return inner_->attempts_of(id);
  }
  persistence::outcome<std::vector<persistence::execution_record>>
  claim_unfinished(const std::string& node_id) override {
    return faulty("claim_unfinished", true,
                  [&] { return inner_->claim_unfinished(node_id); });
  }

  persistence::outcome<std::vector<persistence::execution_record>>
  claim_expired(const std::string& node_id, int limit) override {
    return inner_->claim_expired(node_id, limit);
  }
  persistence::status
  release_executions(const std::string& node_id,
                     const std::vector<std::string>& ids) override {
    return inner_->release_executions(node_id, ids);
  }
  /// Leases as the wrapped store has them (none on SQLite).
  persistence::lease_store* leases() override {
    return inner_->leases() ? this : nullptr;
  }
  persistence::status heartbeat(const std::string& id,
                                std::int64_t ms) override {
    return inner_->leases()->heartbeat(id, ms);
  }
  persistence::status register_node(const persistence::node_row& x,
                                    std::int64_t lease_ms) override {
    return inner_->leases()->register_node(x, lease_ms);
  }
  persistence::outcome<std::vector<persistence::node_row>> nodes() override {
    return inner_->leases()->nodes();
  }
  persistence::status release_lease(const std::string& id) override {
    return inner_->leases()->release_lease(id);
  }
  persistence::status
  append_records(const persistence::record_batch& xs) override {
    {
      std::lock_guard<std::mutex> guard{gate_->mx};
      if (gate_->fail_appends > 0) {
        --gate_->fail_appends;
        return {persistence::errc::unavailable, "injected failure"};
      }
    }
    return inner_->append_records(xs);
  }
  persistence::outcome<std::vector<persistence::agent_stat_record>>
  agent_stats() override {
    return inner_->agent_stats();
  }
  persistence::outcome<std::map<std::string, persistence::step_result_meta>>
  decisions_of(const std::string& id) override {
    return inner_->decisions_of(id);
  }
  persistence::status rate_result(const std::string& id,
                                  const std::string& step,
                                  double score) override {
    return inner_->rate_result(id, step, score);
  }
  persistence::outcome<std::int64_t> count_audit_events() override {
    return inner_->count_audit_events();
  }
  persistence::outcome<std::int64_t> count_ledger_lines() override {
    return inner_->count_ledger_lines();
  }
  persistence::outcome<std::vector<std::string>>
  sync_workflows(const std::vector<persistence::workflow_draft>& xs) override {
    return inner_->sync_workflows(xs);
  }
  persistence::outcome<persistence::workflow_row>
  create_workflow(const persistence::workflow_draft& x) override {
    return inner_->create_workflow(x);
  }
  persistence::outcome<persistence::workflow_version_row>
  add_workflow_version(const persistence::workflow_draft& x) override {
    return inner_->add_workflow_version(x);
  }
  persistence::outcome<persistence::workflow_row>
  activate_workflow(const std::string& name, int version) override {
    return inner_->activate_workflow(name, version);
  }
  persistence::outcome<persistence::workflow_row>
  archive_workflow(const std::string& name) override {
    return inner_->archive_workflow(name);
  }
  persistence::outcome<std::optional<persistence::workflow_row>>
  find_workflow(const std::string& name) override {
    return inner_->find_workflow(name);
  }
  persistence::outcome<std::vector<persistence::workflow_version_row>>
  workflow_versions(const std::string& name) override {
    return inner_->workflow_versions(name);
  }
  persistence::outcome<std::optional<persistence::workflow_version_row>>
  find_workflow_version(const std::string& name, int version) override {
    return inner_->find_workflow_version(name, version);
  }
  persistence::status
  sync_templates(const std::vector<persistence::template_row>& xs) override {
    return inner_->sync_templates(xs);
  }
  persistence::outcome<std::vector<persistence::template_row>>
  list_templates() override {
    return inner_->list_templates();
  }
  persistence::outcome<std::vector<persistence::template_row>>
  template_versions(const std::string& id) override {
    return inner_->template_versions(id);
  }
  persistence::outcome<std::vector<persistence::task_result_record>>
  results_of(const std::string& id) override {
    return inner_->results_of(id);
  }
  persistence::outcome<std::vector<model::workflow_stat>>
  workflow_stats(std::int64_t from_ms, std::int64_t to_ms) override {
    return inner_->workflow_stats(from_ms, to_ms);
  }
  persistence::outcome<persistence::workflow_page>
  list_workflows(const persistence::workflow_query& q) override {
    return inner_->list_workflows(q);
  }
  persistence::outcome<std::vector<persistence::daily_point>>
  agent_daily_series(const std::string& agent, const std::string& from,
                     const std::string& to) override {
    return inner_->agent_daily_series(agent, from, to);
  }
  persistence::outcome<std::vector<persistence::cost_row>>
  cost_rollup(const persistence::cost_query& q) override {
    return inner_->cost_rollup(q);
  }
  persistence::outcome<persistence::optimize_report> optimize() override {
    return inner_->optimize();
  }
  persistence::status check_durability() override {
    return inner_->check_durability();
  }
  persistence::outcome<persistence::store_mark> mark() override {
    return inner_->mark();
  }
  persistence::outcome<persistence::store_settings> settings() override {
    return inner_->settings();
  }
  persistence::status adopt_release_formats() override {
    return inner_->adopt_release_formats();
  }

  persistence::outcome<std::vector<persistence::audit_row>>
  audit_rows(std::int64_t after_id, int limit) override {
    return inner_->audit_rows(after_id, limit);
  }
  persistence::outcome<persistence::audit_head> audit_chain_head() override {
    return inner_->audit_chain_head();
  }
  persistence::outcome<persistence::audit_page>
  list_audit(const persistence::audit_query& q) override {
    return inner_->list_audit(q);
  }
  persistence::status put_secret(const persistence::secret_row& x) override {
    return inner_->put_secret(x);
  }
  persistence::outcome<std::vector<persistence::secret_row>>
  secrets() override {
    return inner_->secrets();
  }
  // identities: passed through
  persistence::status create_user(const persistence::user_row& u) override {
    return inner_->create_user(u);
  }
  persistence::outcome<std::optional<persistence::user_row>>
  find_user(const std::string& username) override {
    return inner_->find_user(username);
  }
  persistence::outcome<std::optional<persistence::user_row>>
  find_user_by_id(const std::string& id) override {
    return inner_->find_user_by_id(id);
  }
  persistence::status update_user(const persistence::user_row& u) override {
    return inner_->update_user(u);
  }
  persistence::outcome<std::vector<persistence::user_row>>
  list_users() override {
    return inner_->list_users();
  }
  persistence::outcome<std::int64_t> count_users() override {
    return inner_->count_users();
  }
  persistence::outcome<bool> use_totp_step(const std::string& user_id,
                                           std::int64_t step) override {
    return inner_->use_totp_step(user_id, step);
  }
  persistence::outcome<int>
  count_login_failure(const std::string& user_id, int lock_at,
                      std::int64_t locked_until_ms) override {
    return inner_->count_login_failure(user_id, lock_at, locked_until_ms);
  }
  persistence::status
  create_api_key(const persistence::api_key_row& k) override {
    return inner_->create_api_key(k);
  }
  persistence::outcome<std::optional<persistence::api_key_row>>
  find_api_key(const std::string& prefix) override {
    return inner_->find_api_key(prefix);
  }
  persistence::outcome<std::vector<persistence::api_key_row>>
  list_api_keys(const std::string& user_id) override {
    return inner_->list_api_keys(user_id);
  }
  persistence::status touch_api_key(const std::string& id,
                                    std::int64_t at_ms) override {
    return inner_->touch_api_key(id, at_ms);
  }
  persistence::outcome<bool> revoke_api_key(const std::string& id,
                                            std::int64_t at_ms) override {
    return inner_->revoke_api_key(id, at_ms);
  }
  persistence::status
  create_refresh_token(const persistence::refresh_token_row& t) override {
    return inner_->create_refresh_token(t);
  }
  persistence::outcome<std::optional<persistence::refresh_token_row>>
  consume_refresh_token(const std::string& token_hash,
                        std::int64_t at_ms) override {
    return inner_->consume_refresh_token(token_hash, at_ms);
  }
  persistence::status revoke_refresh_family(const std::string& family,
                                            std::int64_t at_ms) override {
    return inner_->revoke_refresh_family(family, at_ms);
  }
  persistence::outcome<bool>
  session_revoked(const std::string& family) override {
    return inner_->session_revoked(family);
  }
  persistence::status revoke_user_sessions(const std::string& user_id,
                                           std::int64_t at_ms) override {
    return inner_->revoke_user_sessions(user_id, at_ms);
  }
  persistence::outcome<std::vector<persistence::signing_key_row>>
  signing_keys() override {
    return inner_->signing_keys();
  }
  persistence::status
  add_signing_key(const persistence::signing_key_row& k) override {
    return inner_->add_signing_key(k);
  }
  persistence::outcome<bool> record_rating(const std::string& execution_id,
                                           const std::string& step_id,
                                           const std::string& user_id,
                                           double score) override {
    return inner_->record_rating(execution_id, step_id, user_id, score);
  }

private:
  // Runs `call` unless the gate injects a fault before it; a fault after
  // it replaces its answer (the work is done, the caller hears it failed).
  template <class Call>
  auto faulty(const char* name, bool write, Call call) -> decltype(call()) {
    bool after = false;
    auto injected = gate_->fault(name, write, after);
    if (!injected)
      return call();
    decltype(call()) out{};
    if (after)
      out = call();
    if constexpr (std::is_same_v<decltype(out), persistence::status>)
      out = *injected;
    else
      out = {*injected, {}};
    return out;
  }

  std::unique_ptr<persistence::store> inner_;
  std::shared_ptr<gate> gate_;
};

inline std::function<
    persistence::outcome<std::unique_ptr<persistence::store>>()>
gated_factory(std::string url, std::shared_ptr<gate> g) {
  return
      [url, g]() -> persistence::outcome<std::unique_ptr<persistence::store>> {
        auto inner = persistence::open_store(url);
        if (!inner)
          return {inner.st};
        return {{}, std::make_unique<gated_store>(std::move(inner.value), g)};
      };
}

} // namespace hishamos::test
