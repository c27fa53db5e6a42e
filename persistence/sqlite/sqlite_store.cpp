#include "persistence/sqlite/sqlite_store.hpp"

#include <algorithm>
#include <filesystem>

#include <sqlite3.h>

#include "persistence/checkpoint_codec.hpp"
#include "persistence/ledger_sql.hpp"
#include "persistence/migrations.hpp"

namespace hishamos::persistence::sqlite {

namespace {

struct db_closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct stmt_finalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using db_ptr = std::unique_ptr<sqlite3, db_closer>;
using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_finalizer>;

// Busy and locked mean another connection holds the write lock: retryable.
errc code_of(int rc) {
  return rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_IOERR
             ? errc::unavailable
             : errc::invalid;
}

/// Marks bytes to bind as a BLOB rather than TEXT.
struct blob {
  std::string bytes;
};

/// A prepared statement with positional binding and column access.
class statement {
public:
  statement(sqlite3* db, const char* sql) : db_(db) {
    sqlite3_stmt* raw = nullptr;
    rc_ = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
    stmt_.reset(raw);
  }
  template <class... Ts> statement& bind(const Ts&... xs) {
    int i = 0;
    (bind_one(++i, xs), ...);
    return *this;
  }
  /// Steps once: SQLITE_ROW, SQLITE_DONE or an error code.
  /// Binds one task_results row at parameter offset `base`.
  void bind_row(int base, const task_result_record& r) {
    bind_one(base + 1, r.execution_id);
    bind_one(base + 2, r.step_id);
    bind_one(base + 3, r.agent_id);
    if (r.quality_score < 0)
      sqlite3_bind_null(stmt_.get(), base + 4);
    else
      sqlite3_bind_double(stmt_.get(), base + 4, r.quality_score);
    sqlite3_bind_double(stmt_.get(), base + 5, r.cost);
    bind_one(base + 6, r.tokens_in);
    bind_one(base + 7, r.tokens_out);
    bind_one(base + 8, r.latency_ms);
    bind_one(base + 9, r.created_at_ms);
    if (r.decision.empty())
      sqlite3_bind_null(stmt_.get(), base + 10);
    else
      bind_one(base + 10, r.decision);
    if (r.template_version > 0)
      bind_one(base + 11, r.template_version);
    else
      sqlite3_bind_null(stmt_.get(), base + 11);
    bind_one(base + 12, r.tokens_cached);
    sqlite3_bind_double(stmt_.get(), base + 13, r.cost_avoided);
    bind_one(base + 14, r.provider);
    bind_one(base + 15, r.model);
    bind_one(base + 16, r.workflow);
    bind_one(base + 17, r.department);
  }
  int step() { return rc_ == SQLITE_OK ? sqlite3_step(stmt_.get()) : rc_; }
  std::string text(int col) const {
    auto p = sqlite3_column_blob(stmt_.get(), col);
    return p ? std::string(static_cast<const char*>(p),
                           sqlite3_column_bytes(stmt_.get(), col))
             : std::string{};
  }
  double real(int col) const { return sqlite3_column_double(stmt_.get(), col); }
  std::int64_t integer(int col) const {
    return sqlite3_column_int64(stmt_.get(), col);
  }
  status error(const std::string& what, int rc) const {
    return {code_of(rc), what + " failed: " + sqlite3_errmsg(db_)};
  }

private:
  void bind_one(int i, const std::string& x) {
    sqlite3_bind_text(stmt_.get(), i, x.data(), static_cast<int>(x.size()),
                      SQLITE_TRANSIENT);
  }
  void bind_one(int i, const char* x) { bind_one(i, std::string{x}); }
  void bind_one(int i, std::int64_t x) {
    sqlite3_bind_int64(stmt_.get(), i, x);
  }
  void bind_one(int i, int x) { sqlite3_bind_int64(stmt_.get(), i, x); }
  void bind_one(int i, double x) { sqlite3_bind_double(stmt_.get(), i, x); }
  void bind_one(int i, const blob& x) {
    sqlite3_bind_blob(stmt_.get(), i, x.bytes.data(),
                      static_cast<int>(x.bytes.size()), SQLITE_TRANSIENT);
  }
  sqlite3* db_;
  stmt_ptr stmt_;
  int rc_ = SQLITE_OK;
};

constexpr const char* execution_columns =
    "id, workflow_name, definition, input, state, owner_node, epoch, "
    "COALESCE(output, ''), COALESCE(error, ''), created_at, updated_at, "
    "budget_approved_until";

execution_record read_execution(const statement& s) {
  execution_record x;
  x.id = s.text(0);
  x.workflow_name = s.text(1);
  x.definition = s.text(2);
  x.input = s.text(3);
  x.state = parse_execution_state(s.text(4)).value_or(execution_state::failed);
  x.owner_node = s.text(5);
  x.epoch = s.integer(6);
  x.output = s.text(7);
  x.error = s.text(8);
  x.created_at_ms = s.integer(9);
  x.updated_at_ms = s.integer(10);
  x.budget_approved_until = s.real(11);
  return x;
}

class sqlite_store final : public store {
public:
  explicit sqlite_store(db_ptr db) : db_(std::move(db)) {}

  status exec(const std::string& sql) {
    char* msg = nullptr;
    int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &msg);
    std::string text = msg ? msg : "";
    sqlite3_free(msg);
    if (rc != SQLITE_OK)
      return {code_of(rc), "sqlite: " + text};
    return {};
  }

  status migrate() override {
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
    return {};
  }

  outcome<int> schema_version() override {
    statement s{db_.get(),
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"};
    if (int rc = s.step(); rc != SQLITE_ROW)
      return {s.error("reading schema version", rc)};
    return {{}, static_cast<int>(s.integer(0))};
  }

  status ping() override {
    statement s{db_.get(), "SELECT 1"};
    if (int rc = s.step(); rc != SQLITE_ROW)
      return s.error("ping", rc);
    return {};
  }

  status create_execution(const execution_record& x) override {
    statement s{db_.get(),
                "INSERT OR IGNORE INTO workflow_executions (id, workflow_name, "
                "definition, "
                "input, state, owner_node, epoch, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"};
    auto now = now_ms();
    s.bind(x.id, x.workflow_name, x.definition, x.input, to_string(x.state),
           x.owner_node, x.epoch, now, now);
    if (int rc = s.step(); rc != SQLITE_DONE)
      return s.error("creating execution " + x.id, rc);
    return {};
  }

  outcome<std::vector<status>>
  save_checkpoints(const std::vector<checkpoint>& xs) override {
    std::vector<status> each;
    auto st = transaction([&]() -> status {
      each.clear();
      for (const auto& cp : xs) {
        auto one = save_one(cp);
        if (!one && is_retryable(one.code))
          return one;
        each.push_back(std::move(one));
      }
      return {};
    });
    return {st, st ? each : std::vector<status>{}};
  }

  status change_state(const state_change& x) override {
    statement s{
        db_.get(),
        "UPDATE workflow_executions SET state = ?, output = ?, error = ?, "
        "updated_at = ?, budget_approved_until = CASE WHEN ? < 0 THEN "
        "budget_approved_until ELSE ? END WHERE id = ? AND epoch = ?"};
    s.bind(to_string(x.state), x.output, x.error, now_ms(),
           x.budget_approved_until, x.budget_approved_until, x.execution_id,
           x.epoch);
    if (int rc = s.step(); rc != SQLITE_DONE)
      return s.error("changing state of " + x.execution_id, rc);
    if (sqlite3_changes(db_.get()) == 0)
      return {errc::stale_epoch, "execution " + x.execution_id +
                                     " is not owned at epoch " +
                                     std::to_string(x.epoch)};
    return {};
  }

  outcome<std::optional<execution_record>>
  find_execution(const std::string& id) override {
    statement s{db_.get(), (std::string{"SELECT "} + execution_columns +
                            " FROM workflow_executions WHERE id = ?")
                               .c_str()};
    s.bind(id);
    int rc = s.step();
    if (rc == SQLITE_DONE)
      return {{}, std::nullopt};
    if (rc != SQLITE_ROW)
      return {s.error("reading execution " + id, rc)};
    return {{}, read_execution(s)};
  }

  outcome<std::vector<checkpoint>> checkpoints(const std::string& id) override {
    statement s{db_.get(),
                "SELECT step_id, attempt, epoch, output, agent_id, started_at, "
                "finished_at, cost FROM execution_steps WHERE execution_id = ? "
                "ORDER BY finished_at, step_id"};
    s.bind(id);
    std::vector<checkpoint> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      auto output = decode_output(s.text(3));
      if (!output)
        return {{errc::corrupt, "checkpoint " + id + "/" + s.text(0) +
                                    " has an unknown encoding"}};
      out.push_back({id, s.text(0), static_cast<int>(s.integer(1)),
                     s.integer(2), *output, s.text(4), s.integer(5),
                     s.integer(6), s.real(7)});
    }
    if (rc != SQLITE_DONE)
      return {s.error("reading checkpoints of " + id, rc)};
    return {{}, std::move(out)};
  }

  // Local reads cost no round trip: one query per execution is fine.
  outcome<std::map<std::string, std::vector<checkpoint>>>
  checkpoints_of(const std::vector<std::string>& ids) override {
    outcome<std::map<std::string, std::vector<checkpoint>>> out;
    for (const auto& id : ids) {
      auto one = checkpoints(id);
      if (!one)
        return {one.st};
      if (!one.value.empty())
        out.value[id] = std::move(one.value);
    }
    return out;
  }

  outcome<std::vector<execution_record>> list_executions(int limit) override {
    return select_executions(std::string{"SELECT "} + execution_columns +
                             " FROM workflow_executions ORDER BY created_at "
                             "DESC, id LIMIT " +
                             std::to_string(limit));
  }

  outcome<std::vector<execution_record>>
  claim_unfinished(const std::string& node_id) override {
    outcome<std::vector<execution_record>> out;
    out.st = transaction([&]() -> status {
      statement up{
          db_.get(),
          "UPDATE workflow_executions SET owner_node = ?, epoch = epoch + 1, "
          "updated_at = ? WHERE state IN ('pending', 'running', 'paused')"};
      up.bind(node_id, now_ms());
      if (int rc = up.step(); rc != SQLITE_DONE)
        return up.error("claiming unfinished executions", rc);
      auto rows = select_executions(
          std::string{"SELECT "} + execution_columns +
          " FROM workflow_executions WHERE state IN "
          "('pending', 'running', 'paused') ORDER BY created_at");
      out.value = std::move(rows.value);
      return rows.st;
    });
    return out;
  }

  status append_records(const record_batch& batch) override {
    if (batch.empty())
      return {};
    return transaction([&]() -> status {
      const auto& xs = batch.task_results;
      for (const auto& e : batch.audit_events) {
        statement ins{db_.get(), "INSERT INTO audit_logs (user_id, action, "
                                 "details, created_at) VALUES (NULLIF(?, ''), "
                                 "?, ?, ?)"};
        ins.bind(e.user_id, e.action, e.details, e.created_at_ms);
        if (int rc = ins.step(); rc != SQLITE_DONE)
          return ins.error("appending audit events", rc);
      }
      for (size_t from = 0; from < xs.size(); from += 100) {
        auto to = std::min(xs.size(), from + 100);
        std::string sql =
            "INSERT INTO task_results (execution_id, step_id, agent_id, "
            "quality_score, cost, tokens_in, tokens_out, latency_ms, "
            "created_at, decision, template_version, tokens_cached, "
            "cost_avoided, provider, model, workflow, department) VALUES ";
        for (auto i = from; i < to; ++i)
          sql += i == from ? "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                           : ",(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
        statement ins{db_.get(), sql.c_str()};
        for (auto i = from; i < to; ++i)
          ins.bind_row(static_cast<int>((i - from) * 17), xs[i]);
        if (int rc = ins.step(); rc != SQLITE_DONE)
          return ins.error("appending task results", rc);
      }
      for (const auto& x : batch.agent_stats) { // in order: the newest wins
        statement up{db_.get(),
                     "INSERT INTO agent_stats (agent_id, category, node_id, "
                     "successes, failures, updated_at) VALUES (?, ?, ?, ?, ?, "
                     "?) ON CONFLICT (agent_id, category, node_id) DO UPDATE "
                     "SET successes = excluded.successes, failures = "
                     "excluded.failures, updated_at = excluded.updated_at"};
        up.bind(x.agent_id, x.category, x.node_id, x.successes, x.failures,
                now_ms());
        if (int rc = up.step(); rc != SQLITE_DONE)
          return up.error("storing learned agent quality", rc);
      }
      return {};
    });
  }

  outcome<std::vector<agent_stat_record>> agent_stats() override {
    statement s{db_.get(), "SELECT agent_id, category, successes, failures, "
                           "node_id FROM agent_stats"};
    outcome<std::vector<agent_stat_record>> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
      out.value.push_back(
          {s.text(0), s.text(1), s.real(2), s.real(3), s.text(4)});
    if (rc != SQLITE_DONE)
      out.st = s.error("reading learned agent quality", rc);
    return out;
  }

  outcome<std::map<std::string, step_result_meta>>
  decisions_of(const std::string& execution_id) override {
    statement s{db_.get(),
                "SELECT step_id, coalesce(decision, ''), "
                "coalesce(template_version, 0) FROM task_results WHERE "
                "execution_id = ? ORDER BY id"};
    s.bind(execution_id);
    outcome<std::map<std::string, step_result_meta>> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) // newest last: it stays
      out.value[s.text(0)] = {s.text(1), static_cast<int>(s.integer(2))};
    if (rc != SQLITE_DONE)
      out.st = s.error("reading routing decisions", rc);
    return out;
  }

  status rate_result(const std::string& execution_id,
                     const std::string& step_id, double score) override {
    statement s{db_.get(), "UPDATE task_results SET quality_score = ?3 WHERE "
                           "id = (SELECT max(id) FROM task_results WHERE "
                           "execution_id = ?1 AND step_id = ?2)"};
    s.bind(execution_id, step_id, score);
    if (int rc = s.step(); rc != SQLITE_DONE)
      return s.error("rating a result", rc);
    if (sqlite3_changes(db_.get()) == 0)
      return {errc::not_found, "execution " + execution_id +
                                   " has no result for step '" + step_id + "'"};
    return {};
  }

  outcome<std::int64_t> count_audit_events() override {
    statement s{db_.get(), "SELECT count(*) FROM audit_logs"};
    if (int rc = s.step(); rc != SQLITE_ROW)
      return {s.error("counting audit events", rc)};
    return {{}, s.integer(0)};
  }

  outcome<std::int64_t> count_task_results() override {
    statement s{db_.get(), "SELECT count(*) FROM task_results"};
    if (int rc = s.step(); rc != SQLITE_ROW)
      return {s.error("counting task results", rc)};
    return {{}, s.integer(0)};
  }

  status sync_workflows(const std::vector<workflow_row>& xs) override {
    return transaction([&]() -> status {
      for (const auto& w : xs) {
        statement up{db_.get(),
                     "INSERT INTO workflows (id, version, status, department, "
                     "definition, created_at) VALUES (?, ?, ?, ?, ?, ?) ON "
                     "CONFLICT (id) DO UPDATE SET version = excluded.version, "
                     "status = excluded.status, department = "
                     "excluded.department, definition = excluded.definition"};
        up.bind(w.name, w.version, w.status, w.department, w.definition,
                now_ms());
        if (int rc = up.step(); rc != SQLITE_DONE)
          return up.error("storing workflow " + w.name, rc);
      }
      return {};
    });
  }

  outcome<workflow_page> list_workflows(const workflow_query& q) override {
    if (auto st = check_workflow_query(q); !st)
      return {st};
    constexpr const char* filter =
        " WHERE (?1 = '' OR w.status = ?1) AND (?2 = '' OR w.department = ?2)";
    statement count{
        db_.get(),
        (std::string{"SELECT count(*) FROM workflows w"} + filter).c_str()};
    count.bind(q.status, q.department);
    if (int rc = count.step(); rc != SQLITE_ROW)
      return {count.error("counting workflows", rc)};
    outcome<workflow_page> out;
    out.value.total = count.integer(0);
    statement s{db_.get(),
                (std::string{"SELECT w.id, w.version, w.status, w.department, "
                             "(SELECT count(*) FROM workflow_executions e "
                             "WHERE e.workflow_name = w.id), "
                             "(SELECT COALESCE(max(e.created_at), 0) FROM "
                             "workflow_executions e WHERE e.workflow_name = "
                             "w.id), w.created_at FROM workflows w"} +
                 filter +
                 " ORDER BY w.created_at DESC, w.id LIMIT ?3 OFFSET ?4")
                    .c_str()};
    s.bind(q.status, q.department, q.limit, (q.page - 1) * q.limit);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
      out.value.items.push_back({s.text(0), static_cast<int>(s.integer(1)),
                                 s.text(2), s.text(3), s.integer(4),
                                 s.integer(5), s.integer(6)});
    if (rc != SQLITE_DONE)
      return {s.error("listing workflows", rc)};
    return out;
  }

  outcome<std::vector<daily_point>>
  agent_daily_series(const std::string& agent_id, const std::string& from_day,
                     const std::string& to_day) override {
    if (auto st = check_day_range(from_day, to_day); !st)
      return {st};
    // A recursive CTE stands in for generate_series.
    statement s{db_.get(),
                "WITH RECURSIVE days(d) AS (SELECT date(?2) UNION ALL SELECT "
                "date(d, '+1 day') FROM days WHERE d < date(?3)) "
                "SELECT d, count(DISTINCT t.execution_id), count(t.id), "
                "COALESCE(avg(t.quality_score), 0), COALESCE(sum(t.cost), 0) "
                "FROM days LEFT JOIN task_results t ON t.agent_id = ?1 AND "
                "t.created_at >= unixepoch(d) * 1000 AND t.created_at < "
                "unixepoch(d, '+1 day') * 1000 GROUP BY d ORDER BY d"};
    s.bind(agent_id, from_day, to_day);
    outcome<std::vector<daily_point>> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
      out.value.push_back(
          {s.text(0), s.integer(1), s.integer(2), s.real(3), s.real(4)});
    if (rc != SQLITE_DONE)
      return {s.error("reading the daily series of " + agent_id, rc)};
    return out;
  }

  outcome<std::vector<cost_row>> cost_rollup(const cost_query& q) override {
    if (auto st = check_cost_query(q); !st)
      return {st};
    sql_dialect d{"strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')",
                  [](std::int64_t ms) { return std::to_string(ms); },
                  [](const std::string& x) {
                    std::string out = "'";
                    for (char c : x)
                      out += c == '\'' ? std::string{"''"} : std::string{c};
                    return out + "'";
                  }};
    statement s{db_.get(), cost_rollup_sql(q, d).c_str()};
    outcome<std::vector<cost_row>> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
      out.value.push_back({s.text(0), s.integer(1), s.integer(2), s.integer(3),
                           s.integer(4), s.real(5), s.real(6), s.real(7)});
    if (rc != SQLITE_DONE)
      return {s.error("summing the cost ledger", rc)};
    return out;
  }

  outcome<optimize_report> optimize() override {
    outcome<optimize_report> out;
    if (out.st = exec("ANALYZE"); !out.st)
      return out;
    out.value.analyzed = {"workflow_executions", "execution_steps",
                          "task_results", "workflows", "audit_logs"};
    for (const auto& [name, where] :
         {std::pair{"idx_executions_workflow_state_created",
                    "workflow_executions (workflow_name, state, created_at)"},
          {"idx_executions_unfinished", "workflow_executions (state) WHERE "
                                        "state IN ('pending', 'running', "
                                        "'paused')"},
          {"idx_task_results_created_agent_quality",
           "task_results (created_at, agent_id, quality_score)"},
          {"idx_workflows_active_department_created",
           "workflows (department, created_at) WHERE status = 'active'"},
          {"idx_audit_logs_user_created_action",
           "audit_logs (user_id, created_at, action)"}}) {
      statement s{db_.get(), "SELECT 1 FROM sqlite_master WHERE type = "
                             "'index' AND name = ?"};
      s.bind(name);
      if (s.step() != SQLITE_ROW)
        out.value.missing_indexes.push_back(std::string{name} + " on " + where);
    }
    return out;
  }

  // The embedded store is single-node (the node holds a file lock): there
  // are no other owners to fence or leases to keep. What is left to claim
  // are executions queued unowned while the node was at its limit.
  outcome<std::vector<execution_record>>
  claim_expired(const std::string& node_id, int limit) override {
    statement s{db_.get(),
                (std::string{"UPDATE workflow_executions SET owner_node = ?, "
                             "epoch = epoch + 1, state = CASE WHEN state = "
                             "'paused' THEN 'paused' ELSE 'running' END, "
                             "updated_at = ? WHERE id IN (SELECT id FROM "
                             "workflow_executions WHERE state IN ('pending', "
                             "'paused') AND "
                             "COALESCE(owner_node, '') = '' ORDER BY "
                             "created_at, id LIMIT ?) RETURNING "} +
                 execution_columns)
                    .c_str()};
    s.bind(node_id, now_ms(), limit);
    std::vector<execution_record> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
      out.push_back(read_execution(s));
    if (rc != SQLITE_DONE)
      return {s.error("claiming queued executions", rc)};
    return {{}, std::move(out)};
  }
  status release_executions(const std::string& node_id,
                            const std::vector<std::string>& ids) override {
    return transaction([&]() -> status {
      for (const auto& id : ids) {
        statement s{db_.get(),
                    "UPDATE workflow_executions SET owner_node = NULL, state = "
                    "CASE WHEN state = 'running' THEN 'pending' ELSE state "
                    "END, updated_at = ? WHERE owner_node = ? AND id = ?"};
        s.bind(now_ms(), node_id, id);
        if (int rc = s.step(); rc != SQLITE_DONE)
          return s.error("releasing execution " + id, rc);
      }
      return {};
    });
  }
  status heartbeat(const std::string&, std::int64_t) override { return {}; }
  status release_lease(const std::string&) override { return {}; }
  status register_node(const node_row&, std::int64_t) override { return {}; }
  outcome<std::vector<node_row>> nodes() override { return {}; }
  // synchronous=FULL is set when the store is opened.
  status check_durability() override { return {}; }

private:
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

  status save_one(const checkpoint& cp) {
    statement check{
        db_.get(), "SELECT epoch, state FROM workflow_executions WHERE id = ?"};
    check.bind(cp.execution_id);
    int rc = check.step();
    if (rc == SQLITE_DONE)
      return {errc::not_found, "no execution " + cp.execution_id};
    if (rc != SQLITE_ROW)
      return check.error("checking epoch", rc);
    if (check.integer(0) != cp.epoch)
      return {errc::stale_epoch, "checkpoint " + cp.execution_id + "/" +
                                     cp.step_id + " carries epoch " +
                                     std::to_string(cp.epoch) +
                                     " but the execution is at epoch " +
                                     std::to_string(check.integer(0))};
    statement ins{
        db_.get(),
        "INSERT INTO execution_steps (execution_id, step_id, attempt, "
        "epoch, output, agent_id, started_at, finished_at, cost) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"};
    ins.bind(cp.execution_id, cp.step_id, cp.attempt, cp.epoch,
             blob{encode_output(cp.output)}, cp.agent_id, cp.started_at_ms,
             cp.finished_at_ms, cp.cost);
    if (rc = ins.step(); rc != SQLITE_DONE)
      return ins.error("saving checkpoint", rc);
    return {};
  }

  outcome<std::vector<execution_record>>
  select_executions(const std::string& sql) {
    statement s{db_.get(), sql.c_str()};
    std::vector<execution_record> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
      out.push_back(read_execution(s));
    if (rc != SQLITE_DONE)
      return {s.error("listing executions", rc)};
    return {{}, std::move(out)};
  }

  db_ptr db_;
};

} // namespace

outcome<std::unique_ptr<store>> open(const std::string& path) {
  std::error_code ec;
  auto parent = std::filesystem::path{path}.parent_path();
  if (!parent.empty())
    std::filesystem::create_directories(parent, ec);
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                               SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  db_ptr db{raw};
  if (rc != SQLITE_OK)
    return {{errc::unavailable,
             "cannot open SQLite store '" + path +
                 "': " + (raw ? sqlite3_errmsg(raw) : "out of memory") +
                 "; fix: check the directory exists and is writable"}};
  sqlite3_busy_timeout(raw, 5000);
  auto s = std::make_unique<sqlite_store>(std::move(db));
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=ON"})
    if (auto st = s->exec(pragma); !st)
      return {st};
  return {{}, std::move(s)};
}

} // namespace hishamos::persistence::sqlite
