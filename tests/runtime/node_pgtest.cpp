// A node on PostgreSQL, in process.

#include <catch2/catch.hpp>

#include "admin/json_views.hpp"
#include "tests/support/group_commit_case.hpp"
#include "tests/support/node_fixture.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/private_pg.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using nlohmann::json;

namespace {

node_options pg_options(const test::temp_dir& dir,
                        const test::pg_database& db) {
  auto o = test::test_options(dir);
  o.config.store_url = db.url();
  return o;
}

} // namespace

TEST_CASE("a workflow runs to completion on PostgreSQL", "[pg][runtime]") {
  test::pg_database db;
  test::temp_dir dir;
  auto n = test::start_node(pg_options(dir, db));
  test::event_log log;
  auto wf = test::workflow("name: P\nsteps:\n"
                           "  - {id: a, agent_id: fast, command_template_id: "
                           "cmd_echo, params: {text: a}}\n"
                           "  - {id: b, depends_on: [a], agent_id: fast, "
                           "command_template_id: cmd_echo, "
                           "params: {text: '{{steps.a.output}}'}}\n");
  auto id = n->submit(wf, {}, log.observer());
  REQUIRE(id);
  REQUIRE(test::wait_until([&] { return log.finished(); }));
  CHECK(log.outcome().state == "completed");
  CHECK(db.query("SELECT state FROM workflow_executions WHERE id = '" + *id +
                 "'") == "completed");
  CHECK(db.query("SELECT count(*) FROM execution_steps WHERE execution_id = '" +
                 *id + "'") == "2");
  // Each step's ledger line, committed with its checkpoint.
  CHECK(db.query("SELECT count(*) FROM ledger_lines WHERE execution_id = '" +
                 *id + "'") == "2");
}

TEST_CASE("a node refuses to start when the database commits asynchronously",
          "[pg][runtime]") {
  test::pg_database db;
  test::temp_dir dir;
  db.query("ALTER DATABASE " + db.url().substr(db.url().rfind('/') + 1) +
           " SET synchronous_commit = off");
  auto n = node::start(pg_options(dir, db));
  REQUIRE_FALSE(n);
  auto text = model::to_string(n.errors());
  CHECK_THAT(text, Catch::Contains("refusing to start"));
  CHECK_THAT(text, Catch::Contains("synchronous_commit = off"));
  CHECK_THAT(text,
             Catch::Contains("fix: ALTER SYSTEM SET synchronous_commit = on"));
}

TEST_CASE("checkpoints waiting together are committed in one transaction "
          "(PostgreSQL)",
          "[pg][persistence][group-commit]") {
  test::pg_database db;
  test::check_group_commit(db.url());
}

TEST_CASE("a node refuses to start when the database runs with fsync off",
          "[pg][runtime][durability]") {
  test::private_pg server{{"fsync=off"}};
  test::temp_dir dir;
  auto o = test::test_options(dir);
  o.config.store_url = server.url();
  auto n = node::start(std::move(o));
  REQUIRE_FALSE(n);
  auto text = model::to_string(n.errors());
  CHECK_THAT(text, Catch::Contains("fsync = off"));
  CHECK_THAT(text, Catch::Contains("fix: set fsync = on"));
}

TEST_CASE("a workflow budget counts what another node sharing the database "
          "spent: that node's execution used it up, so this node's new one "
          "pauses before its first step",
          "[pg][runtime][budgets]") {
  test::pg_database db;
  test::temp_dir dir_a, dir_b;
  auto cat = test::make_catalog();
  auto priced = *model::parse_agent(
      "{id: priced, capacity: 4, price_per_call: 0.4}", "t");
  cat->agents[priced.id] = priced;
  auto wf =
      test::workflow("name: Spend\nsteps:\n"
                     "  - {id: a, agent_id: priced, command_template_id: "
                     "cmd_echo, params: {text: a}}\n"
                     "  - {id: b, depends_on: [a], agent_id: priced, "
                     "command_template_id: cmd_echo, params: {text: b}}\n");
  auto options = [&](const test::temp_dir& dir, const std::string& id) {
    auto o = test::test_options(dir, cat);
    o.config.store_url = db.url();
    o.config.node_id = id;
    o.config.batch_interval_ms = 20;
    model::budget b;
    b.scope = model::budget_scope::workflow;
    b.name = "Spend";
    b.limit_usd = 0.5;
    b.action = model::budget_action::pause;
    o.config.budgets = {b};
    return o;
  };
  auto a = test::start_node(options(dir_a, "na"));
  auto b = test::start_node(options(dir_b, "nb"));
  test::event_log first;
  // 0.4 USD spent when b starts (under 0.5), 0.8 at the end.
  REQUIRE(a->submit(wf, {}, first.observer()));
  REQUIRE(test::wait_until([&] { return first.finished(); }));
  CHECK(first.outcome().state == "completed");
  REQUIRE(test::wait_until([&] {
    return db.query("SELECT COALESCE(sum(cost), 0) >= 0.8 FROM ledger_lines "
                    "WHERE workflow = 'Spend'") == "t";
  }));
  // nb ran nothing itself; once its keeper has read the ledger (every
  // second), its execution of Spend waits.
  json seen;
  REQUIRE(test::wait_until([&] {
    seen = admin::to_json(b->budgets().value);
    auto spent = seen["budgets"][0]["spent_usd"];
    return spent.contains("Spend") && spent["Spend"].get<double>() >= 0.8;
  }));
  INFO(seen.dump());
  test::event_log third;
  auto id = b->submit(wf, {}, third.observer());
  REQUIRE(id);
  REQUIRE(test::wait_until([&] {
    return db.query("SELECT state FROM workflow_executions WHERE id = '" + *id +
                    "'") == "paused";
  }));
  CHECK(third.events().empty());
  CHECK_THAT(db.query("SELECT error FROM workflow_executions WHERE id = '" +
                      *id + "'"),
             Catch::Contains("workflow Spend's daily budget"));
}
