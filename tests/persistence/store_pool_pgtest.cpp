#include <catch2/catch.hpp>

// The store pool against PostgreSQL connections the server ends.

#include "persistence/open_store.hpp"
#include "persistence/store_pool.hpp"
#include "tests/support/pg_fixture.hpp"

using namespace hishamos;
using namespace hishamos::persistence;
using namespace std::chrono_literals;

namespace {

store_factory factory_for(const std::string& url) {
  return [url] { return open_store(url); };
}

// Ends every other session on the test database, as a server restart or a
// network failure would.
void terminate_sessions(const test::pg_database& db) {
  db.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
           "WHERE datname = current_database() AND pid <> pg_backend_pid()");
}

} // namespace

TEST_CASE("a pooled connection the server ended is replaced on the next call",
          "[pg][persistence]") {
  test::pg_database db;
  pool_options o;
  o.idle_check = 1h; // no health check: the call itself finds the break
  store_pool pool{factory_for(db.url()), o};
  REQUIRE(pool.with([](store& db) { return db.ping(); }));
  terminate_sessions(db);
  auto broken = pool.with([](store& db) { return db.ping(); });
  CHECK(broken.code == errc::unavailable);
  auto again = pool.with([](store& db) { return db.list_executions({}); });
  INFO(again.st.message);
  CHECK(again);
  CHECK(pool.snapshot().connects == 2);
}

TEST_CASE("the idle health check replaces a dead connection before use",
          "[pg][persistence]") {
  test::pg_database db;
  pool_options o;
  o.idle_check = 0ms; // every hand-out checks
  store_pool pool{factory_for(db.url()), o};
  REQUIRE(pool.with([](store& db) { return db.ping(); }));
  terminate_sessions(db);
  // The caller never sees the dead connection.
  auto got = pool.with([](store& db) { return db.list_executions({}); });
  INFO(got.st.message);
  CHECK(got);
  CHECK(pool.snapshot().connects == 2);
}
