#include <catch2/catch.hpp>

// The durability checker that the chaos tests rely on: it must notice each
// kind of violation, or those tests would pass for the wrong reason.

#include "persistence/effect_ledger.hpp"
#include "persistence/open_store.hpp"
#include "tests/support/invariants.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hishamos;
using namespace hishamos::persistence;

namespace {

struct run_fixture {
  test::temp_dir dir;
  std::unique_ptr<store> db;
  std::unique_ptr<effect_ledger> ledger;

  run_fixture() {
    auto s = open_store("sqlite:" + (dir / "store.db"));
    REQUIRE(s);
    REQUIRE(s.value->migrate());
    db = std::move(s.value);
    auto l = open_effect_ledger("sqlite:" + (dir / "effects.db"));
    REQUIRE(l);
    ledger = std::move(l.value);
  }

  // An execution with one step "a", committed at `epoch` with its cost
  // ledger line (unless `ledger_line` is false), then completed.
  void completed(const std::string& id, std::int64_t epoch,
                 bool ledger_line = true) {
    execution_record x;
    x.id = id;
    x.workflow_name = "W";
    x.definition = x.input = "{}";
    x.epoch = epoch;
    REQUIRE(db->create_execution(x));
    checkpoint cp{id, "a", 1, epoch, "out", "w", 1, 2, 0.25};
    if (ledger_line) {
      task_result_record line;
      line.execution_id = id;
      line.step_id = "a";
      line.agent_id = "w";
      line.cost = 0.25;
      cp.ledger.push_back(line);
    }
    REQUIRE(db->save_checkpoints({cp}));
    REQUIRE(
        db->change_state({id, epoch, execution_state::completed, "{}", ""}));
  }

  void ran(const std::string& id, const std::string& node, std::int64_t epoch) {
    REQUIRE(ledger->record({id, "a", 1, node, "w", epoch, now_ms()}));
  }

  std::vector<std::string> check() {
    return test::check_invariants(*db, ledger->all().value, 1);
  }
};

} // namespace

TEST_CASE("the checker accepts a clean run", "[unit][invariants]") {
  run_fixture f;
  f.completed("e1", 1);
  f.ran("e1", "n1", 1);
  CHECK(f.check().empty());
}

TEST_CASE("the checker reports a committed step that ran again",
          "[unit][invariants]") {
  run_fixture f;
  f.completed("e1", 1);
  f.ran("e1", "n1", 1);
  f.ran("e1", "n2", 2); // a new owner repeated the committed step
  auto found = f.check();
  REQUIRE(found.size() == 1);
  CHECK_THAT(found[0], Catch::Contains("ran again at epoch 2 on node n2"));
}

TEST_CASE("the checker reports two nodes in one epoch", "[unit][invariants]") {
  run_fixture f;
  f.completed("e1", 1);
  f.ran("e1", "n1", 1);
  f.ran("e1", "n2", 1);
  auto found = f.check();
  REQUIRE(found.size() == 1);
  CHECK_THAT(found[0], Catch::Contains("ran on 2 nodes at epoch 1"));
}

TEST_CASE("the checker reports an execution that did not complete",
          "[unit][invariants]") {
  run_fixture f;
  execution_record x;
  x.id = "e1";
  x.workflow_name = "W";
  x.definition = x.input = "{}";
  REQUIRE(f.db->create_execution(x));
  auto found = f.check();
  REQUIRE(found.size() == 2);
  CHECK_THAT(found[0], Catch::Contains("ended pending"));
  CHECK_THAT(found[1], Catch::Contains("has 0 checkpoints, expected 1"));
}

TEST_CASE("the checker reports a committed step without its cost line",
          "[unit][invariants]") {
  run_fixture f;
  f.completed("e1", 1, false);
  f.ran("e1", "n1", 1);
  auto found = f.check();
  REQUIRE(found.size() == 1);
  CHECK_THAT(found[0], Catch::Contains("e1/a has 0 cost ledger line(s)"));
}
