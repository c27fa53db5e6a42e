#include "persistence/effect_ledger.hpp"

#include "persistence/open_store.hpp"

#include <pqxx/pqxx>
#include <sqlite3.h>

namespace hishamos::persistence {

namespace {

constexpr const char* columns =
    "execution_id, step_id, attempt, node, agent, epoch, at_ms";

class pg_ledger final : public effect_ledger {
public:
  explicit pg_ledger(const std::string& url) : conn_(url) {
    // Nodes starting together would race on CREATE TABLE IF NOT EXISTS.
    pqxx::work tx{conn_};
    tx.exec("SELECT pg_advisory_xact_lock(7265626)");
    tx.exec0(
        "CREATE TABLE IF NOT EXISTS effect_ledger (id BIGSERIAL PRIMARY KEY, "
        "execution_id TEXT NOT NULL, step_id TEXT NOT NULL, attempt INTEGER "
        "NOT NULL, node TEXT NOT NULL, agent TEXT NOT NULL, epoch BIGINT NOT "
        "NULL, at_ms BIGINT NOT NULL)");
    tx.commit();
  }

  status record(const effect& x) override {
    return guard("recording an effect", [&] {
      pqxx::work tx{conn_};
      tx.exec_params0(std::string{"INSERT INTO effect_ledger ("} + columns +
                          ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
                      x.execution_id, x.step_id, x.attempt, x.node, x.agent,
                      x.epoch, x.at_ms);
      tx.commit();
    });
  }

  outcome<std::vector<effect>> all() override {
    outcome<std::vector<effect>> out;
    out.st = guard("reading the effect ledger", [&] {
      pqxx::work tx{conn_};
      for (const auto& r : tx.exec(std::string{"SELECT "} + columns +
                                   " FROM effect_ledger ORDER BY id"))
        out.value.push_back({r[0].c_str(), r[1].c_str(), r[2].as<int>(),
                             r[3].c_str(), r[4].c_str(),
                             r[5].as<std::int64_t>(), r[6].as<std::int64_t>()});
    });
    return out;
  }

private:
  template <class F> static status guard(const std::string& what, F body) {
    try {
      body();
      return {};
    } catch (const std::exception& e) {
      return {errc::unavailable, what + ": " + e.what()};
    }
  }

  pqxx::connection conn_;
};

class sqlite_ledger final : public effect_ledger {
public:
  explicit sqlite_ledger(sqlite3* db) : db_(db) {}
  ~sqlite_ledger() override { sqlite3_close_v2(db_); }

  status exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
      return {errc::unavailable,
              std::string{"effect ledger: "} + sqlite3_errmsg(db_)};
    return {};
  }

  status record(const effect& x) override {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_,
                       "INSERT INTO effect_ledger (execution_id, step_id, "
                       "attempt, node, agent, epoch, at_ms) VALUES "
                       "(?, ?, ?, ?, ?, ?, ?)",
                       -1, &s, nullptr);
    int i = 0;
    for (const auto* text : {&x.execution_id, &x.step_id})
      sqlite3_bind_text(s, ++i, text->c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, ++i, x.attempt);
    for (const auto* text : {&x.node, &x.agent})
      sqlite3_bind_text(s, ++i, text->c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, ++i, x.epoch);
    sqlite3_bind_int64(s, ++i, x.at_ms);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
      return {errc::unavailable,
              std::string{"recording an effect: "} + sqlite3_errmsg(db_)};
    return {};
  }

  outcome<std::vector<effect>> all() override {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_,
                       "SELECT execution_id, step_id, attempt, node, agent, "
                       "epoch, at_ms FROM effect_ledger ORDER BY rowid",
                       -1, &s, nullptr);
    outcome<std::vector<effect>> out;
    auto text = [&](int col) {
      auto* p = sqlite3_column_text(s, col);
      return p ? std::string{reinterpret_cast<const char*>(p)} : "";
    };
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
      out.value.push_back({text(0), text(1), sqlite3_column_int(s, 2), text(3),
                           text(4), sqlite3_column_int64(s, 5),
                           sqlite3_column_int64(s, 6)});
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
      out.st = {errc::unavailable, std::string{"reading the effect ledger: "} +
                                       sqlite3_errmsg(db_)};
    return out;
  }

private:
  sqlite3* db_;
};

} // namespace

outcome<std::unique_ptr<effect_ledger>>
open_effect_ledger(const std::string& url) {
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
    try {
      return {{}, std::make_unique<pg_ledger>(url)};
    } catch (const std::exception& e) {
      return {{errc::unavailable, "cannot open the effect ledger at " +
                                      redact_url(url) + ": " + e.what()}};
    }
  }
  if (url.rfind("sqlite:", 0) == 0) {
    sqlite3* db = nullptr;
    if (sqlite3_open(url.substr(7).c_str(), &db) != SQLITE_OK) {
      sqlite3_close(db);
      return {{errc::unavailable, "cannot open the effect ledger at " + url}};
    }
    // Several node processes append to one file.
    sqlite3_busy_timeout(db, 10000);
    auto ledger = std::make_unique<sqlite_ledger>(db);
    if (auto st = ledger->exec(
            "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS effect_ledger "
            "(execution_id TEXT NOT NULL, step_id TEXT NOT NULL, attempt "
            "INTEGER NOT NULL, node TEXT NOT NULL, agent TEXT NOT NULL, epoch "
            "INTEGER NOT NULL, at_ms INTEGER NOT NULL)");
        !st)
      return {st};
    return {{}, std::move(ledger)};
  }
  return {{errc::invalid, "effect ledger URL '" + redact_url(url) +
                              "' must start with postgresql:// or sqlite:"}};
}

} // namespace hishamos::persistence
