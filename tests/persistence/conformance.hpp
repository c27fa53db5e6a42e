#pragma once

// What the store conformance suite's files share: the backend under test
// (built twice: with HISHAMOS_TEST_PG against PostgreSQL ([pg]), without it
// against SQLite ([unit])), a fresh migrated store per case, and samples.

#include <catch2/catch.hpp>

#include <ctime>
#include <map>
#include <set>

#include "persistence/checkpoint_codec.hpp"
#include "persistence/open_store.hpp"
#include "persistence/store.hpp"
#include "tests/support/temp_dir.hpp"
#ifdef HISHAMOS_TEST_PG
#include "tests/support/pg_fixture.hpp"
#define BACKEND "[pg][persistence]"
#else
#include "tests/support/sqlite_query.hpp"
#define BACKEND "[unit][persistence]"
#endif
/// Each case names the store role it checks (persistence/<role>_store.hpp).
#define ROLE(role) BACKEND "[" role "]"

using namespace hishamos;
using namespace hishamos::persistence;

namespace conformance {

// A migrated store of the backend under test, empty for each case.
struct fresh_store {
#ifdef HISHAMOS_TEST_PG
  test::pg_database db;
  std::string url() const { return db.url(); }
  void drop_index(const std::string& name) const {
    db.query("DROP INDEX " + name);
  }
  /// Runs SQL behind the store's back (to tamper with it).
  void exec(const std::string& sql) const { db.query(sql); }
  /// The first field of the first row of `sql` ("" when there is none).
  std::string query(const std::string& sql) const { return db.query(sql); }
#else
  test::temp_dir dir;
  std::string url() const { return "sqlite:" + (dir / "db/h.db"); }
  void drop_index(const std::string& name) const { exec("DROP INDEX " + name); }
  /// Runs SQL behind the store's back (to tamper with it).
  void exec(const std::string& sql) const { query(sql); }
  /// The first field of the first row of `sql` ("" when there is none).
  std::string query(const std::string& sql) const {
    return test::sqlite_query(dir / "db/h.db", sql);
  }
#endif
  std::unique_ptr<store> open() const {
    auto s = open_store(url());
    INFO(s.st.message);
    REQUIRE(s);
    REQUIRE(s.value->migrate());
    return std::move(s.value);
  }
};

inline execution_record sample(const std::string& id) {
  execution_record x;
  x.id = id;
  x.workflow_name = "W";
  x.definition = "{}";
  x.input = "{}";
  x.state = execution_state::running;
  x.owner_node = "n1";
  x.epoch = 1;
  return x;
}

inline checkpoint cp(const std::string& exec, const std::string& step,
                     std::int64_t epoch, const std::string& output = "out") {
  return {exec, step, 1, epoch, output, "fast", 1, 2};
}

} // namespace conformance
