#include <catch2/catch.hpp>

// The store pool on the embedded backend: bounds, backoff, replacement of
// broken connections. tests/persistence/store_pool_pgtest.cpp covers
// connections a PostgreSQL server drops.

#include <atomic>
#include <thread>

#include "persistence/open_store.hpp"
#include "persistence/store_pool.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using namespace hishamos::persistence;
using namespace std::chrono_literals;

namespace {

/// Opens SQLite stores, or fails while `down` is set, counting attempts.
struct switchable_factory {
  test::temp_dir dir;
  std::atomic<bool> down{false};
  std::atomic<int> attempts{0};

  store_factory get() {
    return [this]() -> outcome<std::unique_ptr<store>> {
      ++attempts;
      if (down)
        return {{errc::unavailable, "database down (test)"}};
      return open_store("sqlite:" + (dir / "h.db"));
    };
  }
};

} // namespace

TEST_CASE("the pool opens at most its size and makes extra callers wait",
          "[unit][persistence]") {
  switchable_factory f;
  pool_options o;
  o.size = 2;
  o.wait = 100ms;
  store_pool pool{f.get(), o};
  std::atomic<int> holding{0};
  std::atomic<bool> let_go{false};
  auto hold = [&] {
    return pool.with([&](store& db) {
      ++holding;
      test::wait_until([&] { return let_go.load(); });
      return db.ping();
    });
  };
  std::thread a{hold}, b{hold};
  if (!test::wait_until([&] { return holding == 2; })) {
    let_go = true; // the threads must end before the test fails
    a.join();
    b.join();
    FAIL("two callers could not both hold a connection");
  }
  auto third = pool.with([](store& db) { return db.ping(); });
  CHECK(third.code == errc::unavailable);
  CHECK_THAT(third.message, Catch::Contains("store.pool_size"));
  CHECK(pool.snapshot().in_use == 2);
  let_go = true;
  a.join();
  b.join();
  CHECK(pool.with([](store& db) { return db.ping(); }));
  CHECK(pool.snapshot().open == 2);
  CHECK(pool.snapshot().connects == 2);
}

TEST_CASE("after a failed connect the pool fails fast until its backoff ends",
          "[unit][persistence]") {
  switchable_factory f;
  pool_options o;
  o.backoff_min = 200ms;
  o.backoff_max = 400ms;
  store_pool pool{f.get(), o};
  f.down = true;
  auto first = pool.with([](store& db) { return db.ping(); });
  CHECK(first.message == "database down (test)");
  auto second = pool.with([](store& db) { return db.ping(); });
  CHECK(second.code == errc::unavailable);
  CHECK_THAT(second.message, Catch::Contains("reconnecting in"));
  CHECK(f.attempts == 1); // no connection attempt during the backoff
  f.down = false;
  CHECK(test::wait_until(
      [&] {
        return static_cast<bool>(
            pool.with([](store& db) { return db.ping(); }));
      },
      2s));
  CHECK(pool.snapshot().failed_connects == 1);
  CHECK(pool.snapshot().connects == 1);
}

TEST_CASE("a connection whose call reports the store unreachable is replaced",
          "[unit][persistence]") {
  switchable_factory f;
  store_pool pool{f.get()};
  REQUIRE(pool.with([](store& db) { return db.ping(); }));
  auto broken = pool.with([](store&) {
    return status{errc::unavailable, "connection lost (test)"};
  });
  CHECK(broken.message == "connection lost (test)");
  CHECK(pool.snapshot().open == 0);
  // A final error (bad input) keeps the connection.
  REQUIRE(pool.with([](store& db) { return db.ping(); }));
  auto invalid = pool.with([](store&) {
    return status{errc::invalid, "bad input"};
  });
  CHECK(invalid.code == errc::invalid);
  CHECK(pool.snapshot().open == 1);
  CHECK(pool.snapshot().connects == 2);
}

TEST_CASE("an outcome carries the pool's error when no connection can be had",
          "[unit][persistence]") {
  switchable_factory f;
  f.down = true;
  store_pool pool{f.get()};
  auto got = pool.with([](store& db) { return db.list_executions({}); });
  CHECK(got.st.code == errc::unavailable);
  CHECK(got.value.items.empty());
}
