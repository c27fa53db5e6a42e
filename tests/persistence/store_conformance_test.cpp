#include <catch2/catch.hpp>

// The store conformance suite: the same cases run against every backend.
// Built twice: with HISHAMOS_TEST_PG against PostgreSQL ([pg]), without it
// against SQLite ([unit]).

#include "persistence/checkpoint_codec.hpp"
#include "persistence/store.hpp"
#include "tests/support/temp_dir.hpp"
#ifdef HISHAMOS_TEST_PG
#include "tests/support/pg_fixture.hpp"
#define BACKEND "[pg][persistence]"
#else
#define BACKEND "[unit][persistence]"
#endif

using namespace hishamos;
using namespace hishamos::persistence;

namespace {

// A migrated store of the backend under test, empty for each case.
struct fresh_store {
#ifdef HISHAMOS_TEST_PG
  test::pg_database db;
  std::string url() const { return db.url(); }
#else
  test::temp_dir dir;
  std::string url() const { return "sqlite:" + (dir / "db/h.db"); }
#endif
  std::unique_ptr<store> open() const {
    auto s = open_store(url());
    INFO(s.st.message);
    REQUIRE(s);
    REQUIRE(s.value->migrate());
    return std::move(s.value);
  }
};

execution_record sample(const std::string& id) {
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

checkpoint cp(const std::string& exec, const std::string& step,
              std::int64_t epoch, const std::string& output = "out") {
  return {exec, step, 1, epoch, output, "fast", 1, 2};
}

} // namespace

TEST_CASE("migrations apply once and are idempotent", BACKEND) {
  fresh_store fresh;
  auto s = fresh.open();
  auto v = s->schema_version();
  REQUIRE(v);
  CHECK(v.value >= 1);
  CHECK(s->migrate());
  CHECK(s->schema_version().value == v.value);
}

TEST_CASE("creating an execution again is a no-op that keeps its state",
          BACKEND) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->create_execution(sample("e1")));
  REQUIRE(s->change_state({"e1", 1, execution_state::completed, "{}", ""}));
  // A create retried after an unknown commit outcome.
  CHECK(s->create_execution(sample("e1")));
  CHECK(s->find_execution("e1").value->state == execution_state::completed);
  CHECK(s->list_executions(10).value.size() == 1);
}

TEST_CASE("the store keeps one row when a step is saved twice", BACKEND) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->create_execution(sample("e1")));
  auto first = s->save_checkpoints({cp("e1", "a", 1, "first")});
  REQUIRE(first);
  CHECK(first.value.at(0));
  auto second = s->save_checkpoints({cp("e1", "a", 1, "second")});
  REQUIRE(second);
  auto rows = s->checkpoints("e1");
  REQUIRE(rows.value.size() == 1);
  CHECK(rows.value[0].output == "first");
}

TEST_CASE("a checkpoint with a stale epoch is rejected and nothing is written",
          BACKEND) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->create_execution(sample("e1")));
  auto claimed = s->claim_unfinished("n2"); // epoch 1 -> 2
  REQUIRE(claimed);
  REQUIRE(claimed.value.size() == 1);
  CHECK(claimed.value[0].epoch == 2);
  CHECK(claimed.value[0].owner_node == "n2");
  auto saved = s->save_checkpoints({cp("e1", "a", 1), cp("e1", "b", 2)});
  REQUIRE(saved);
  CHECK(saved.value[0].code == errc::stale_epoch);
  CHECK(saved.value[1]);
  auto rows = s->checkpoints("e1").value;
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].step_id == "b");
  CHECK(s->change_state({"e1", 1, execution_state::completed, "{}", ""}).code ==
        errc::stale_epoch);
  CHECK(s->change_state({"e1", 2, execution_state::completed, "{}", ""}));
  CHECK(s->find_execution("e1").value->state == execution_state::completed);
}

TEST_CASE("finished executions are not claimed again", BACKEND) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->create_execution(sample("done")));
  REQUIRE(s->create_execution(sample("open")));
  REQUIRE(s->change_state({"done", 1, execution_state::completed, "{}", ""}));
  auto claimed = s->claim_unfinished("n1");
  REQUIRE(claimed.value.size() == 1);
  CHECK(claimed.value[0].id == "open");
}

TEST_CASE("an unknown store URL scheme is a clear error", BACKEND) {
  auto s = open_store("mysql://x");
  REQUIRE_FALSE(s);
  CHECK(s.st.code == errc::invalid);
  CHECK_THAT(s.st.message,
             Catch::Contains("unsupported store URL scheme 'mysql'"));
}

TEST_CASE("checkpoint outputs round-trip through msgpack", BACKEND) {
  using namespace std::string_literals;
  std::string text = "line\n\0binary"s;
  auto bytes = encode_output(text);
  CHECK(decode_output(bytes) == text);
  CHECK_FALSE(decode_output("not msgpack"));
}
