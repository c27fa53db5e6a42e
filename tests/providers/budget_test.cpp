// Budgets and the cost ledger through a real node: pause and approval over
// the real HTTP API, downgrade against the fake OpenAI-compatible server,
// warn, spend other nodes wrote to the ledger, and cache hits credited as
// cost avoided.

#include <catch2/catch.hpp>

#include <cstdlib>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "admin/http_server.hpp"
#include "config/node_config.hpp"
#include "persistence/open_store.hpp"
#include "persistence/store.hpp"
#include "tests/support/credentials.hpp"
#include "tests/support/fake_model_server.hpp"
#include "tests/support/node_fixture.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using nlohmann::json;

namespace {

// Three steps one after another on `agent`.
std::string chain(const std::string& name, const std::string& agent) {
  return "name: " + name +
         "\ndepartment: research\nsteps:\n"
         "  - {id: a, agent_id: " +
         agent +
         ", command_template_id: cmd_echo, params: {text: one}}\n"
         "  - {id: b, agent_id: " +
         agent +
         ", command_template_id: cmd_echo, params: {text: two}, "
         "depends_on: [a]}\n"
         "  - {id: c, agent_id: " +
         agent +
         ", command_template_id: cmd_echo, params: {text: three}, "
         "depends_on: [b]}\n";
}

model::budget budget(model::budget_scope scope, const std::string& name,
                     double limit, model::budget_action action,
                     const std::string& model = "") {
  model::budget b;
  b.scope = scope;
  b.name = name;
  b.limit_usd = limit;
  b.action = action;
  b.downgrade_model = model;
  return b;
}

// A node whose local agent `priced` charges 0.4 USD a call, with an HTTP
// API and a client for it.
struct budget_node {
  test::temp_dir dir;
  std::shared_ptr<model::catalog> cat = test::make_catalog();
  node_options options;
  std::unique_ptr<node> n;
  std::unique_ptr<admin::http_server> http;
  std::unique_ptr<httplib::Client> client;

  explicit budget_node(std::vector<model::budget> budgets) {
    auto priced = *model::parse_agent(
        "{id: priced, capacity: 4, price_per_call: 0.4}", "t");
    cat->agents[priced.id] = priced;
    options = test::test_options(dir, cat);
    options.config.batch_interval_ms = 20;
    options.config.budgets = std::move(budgets);
  }
  void start() {
    n = test::start_node(std::move(options));
    http = std::make_unique<admin::http_server>(*n);
    auto port = http->start("127.0.0.1", 0);
    REQUIRE(port);
    client = std::make_unique<httplib::Client>("127.0.0.1", *port);
    client->set_default_headers(
        {{"X-API-Key", test::make_api_key(http->accounts())}});
  }
  json call(const char* method, const std::string& path, int expected,
            const std::string& body = "") {
    auto res = std::string{method} == "GET"
                   ? client->Get(path.c_str())
                   : client->Post(path.c_str(), body, "application/json");
    REQUIRE(res);
    INFO(method << " " << path << ": " << res->body);
    CHECK(res->status == expected);
    return json::parse(res->body);
  }
  std::unique_ptr<persistence::store> store() {
    auto s = persistence::open_store("sqlite:" + (dir / "store.db"));
    REQUIRE(s);
    return std::move(s.value);
  }
  json execution(const std::string& id) {
    return call("GET", "/api/v1/executions/" + id, 200);
  }
};

// The details of the audit events of `action`, read with SQLite itself.
std::vector<std::string> audited(const std::string& db_path,
                                 const std::string& action) {
  sqlite3* db = nullptr;
  std::vector<std::string> out;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
      SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT details FROM audit_logs WHERE action = ?",
                       -1, &st, nullptr);
    sqlite3_bind_text(st, 1, action.c_str(), -1, SQLITE_TRANSIENT);
    while (st && sqlite3_step(st) == SQLITE_ROW)
      out.emplace_back(
          reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

std::string step_state(const json& x, const std::string& step) {
  for (const auto& s : x["steps"])
    if (s["id"] == step)
      return s["state"];
  return "";
}

} // namespace

TEST_CASE("an execution that reaches its budget pauses before its next "
          "step, is paused in the store and API, and runs on once a person "
          "approves more over HTTP",
          "[providers][budgets][http]") {
  budget_node f{{budget(model::budget_scope::execution, "", 0.5,
                        model::budget_action::pause)}};
  f.start();
  test::event_log log;
  auto id =
      f.n->submit(test::workflow(chain("Spend", "priced")), {}, log.observer());
  REQUIRE(id);
  // a costs 0.4 (< 0.5): b runs; then 0.8 >= 0.5: c waits.
  REQUIRE(
      test::wait_until([&] { return f.execution(*id)["state"] == "paused"; }));
  auto x = f.execution(*id);
  INFO(x.dump());
  CHECK(step_state(x, "b") == "completed");
  CHECK(step_state(x, "c") == "pending");
  CHECK_THAT(x["error"].get<std::string>(),
             Catch::Contains("0.5000 USD") && Catch::Contains("/approve"));
  auto store = f.store();
  REQUIRE(test::wait_until([&] {
    auto stored = store->find_execution(*id);
    return stored && stored.value &&
           stored.value->state == persistence::execution_state::paused;
  }));
  CHECK(log.of("c", "started").empty());
  // Bad approvals change nothing.
  f.call("POST", "/api/v1/executions/" + *id + "/approve", 400, "{\"extra");
  f.call("POST", "/api/v1/executions/" + *id + "/approve", 422,
         R"({"extra_usd": -1})");
  f.call("POST", "/api/v1/executions/nope/approve", 404);
  CHECK(f.execution(*id)["state"] == "paused");
  auto ok = f.call("POST", "/api/v1/executions/" + *id + "/approve", 200,
                   R"({"extra_usd": 1.0})");
  CHECK(ok["approved_until_usd"].get<double>() == Approx(1.8));
  REQUIRE(test::wait_until([&] { return log.finished(); }));
  CHECK(log.outcome().state == "completed");
  CHECK(store->find_execution(*id).value->budget_approved_until == Approx(1.8));
  // Approving what is not paused is a conflict.
  f.call("POST", "/api/v1/executions/" + *id + "/approve", 409);
  // The ledger has all three calls; the execution's API shows the sum.
  json cost;
  REQUIRE(test::wait_until([&] {
    cost = f.execution(*id)["cost"];
    return !cost.is_null() && cost["calls"] == 3;
  }));
  CHECK(cost["cost_usd"].get<double>() == Approx(1.2));
  auto by_workflow = f.call("GET", "/api/v1/costs?by=workflow", 200);
  REQUIRE(by_workflow["rows"].size() == 1);
  CHECK(by_workflow["rows"][0]["key"] == "Spend");
  auto by_department = f.call("GET", "/api/v1/costs?by=department", 200);
  CHECK(by_department["rows"][0]["key"] == "research");
  auto listed = f.call("GET", "/api/v1/budgets", 200);
  REQUIRE(listed["budgets"].size() == 1);
  CHECK(listed["budgets"][0]["scope"] == "execution");
  CHECK(listed["budgets"][0]["action"] == "pause");
  f.call("GET", "/api/v1/costs?by=team", 400);
  f.call("GET", "/api/v1/costs?from=yesterday", 400);
  auto metrics = f.n->metrics_text();
  CHECK_THAT(metrics, Catch::Contains(
                          "hishamos_budget_actions_total{action=\"pause\"} 1"));
}

TEST_CASE("a paused execution resumes paused after a node restart (its "
          "checkpoints say what it spent), and an approval then completes it",
          "[providers][budgets]") {
  std::vector<model::budget> bs{budget(model::budget_scope::execution, "", 0.5,
                                       model::budget_action::pause)};
  budget_node f{bs};
  f.start();
  auto id = f.n->submit(test::workflow(chain("Spend", "priced")), {});
  REQUIRE(id);
  auto store = f.store();
  auto state = [&] { return store->find_execution(*id).value->state; };
  REQUIRE(test::wait_until(
      [&] { return state() == persistence::execution_state::paused; }));
  auto catalog = f.cat;
  auto dir_options = test::test_options(f.dir, catalog);
  dir_options.config.budgets = bs;
  dir_options.config.batch_interval_ms = 20;
  f.http.reset();
  f.n.reset(); // the checkpoints of a and b (0.8 USD) are stored
  f.options = dir_options;
  f.start();
  // Resumed from its checkpoints, it knows what it spent and pauses again.
  REQUIRE(
      test::wait_until([&] { return f.execution(*id)["state"] == "paused"; }));
  CHECK(state() == persistence::execution_state::paused);
  f.call("POST", "/api/v1/executions/" + *id + "/approve", 200);
  REQUIRE(test::wait_until(
      [&] { return state() == persistence::execution_state::completed; }));
}

TEST_CASE("a workflow budget another node's spend already reached (in the "
          "ledger) pauses a new execution before its first step",
          "[providers][budgets]") {
  budget_node f{{budget(model::budget_scope::workflow, "Spend", 1.0,
                        model::budget_action::pause)}};
  {
    auto store = f.store();
    REQUIRE(store->migrate());
    persistence::task_result_record other;
    other.execution_id = "elsewhere";
    other.step_id = "s";
    other.agent_id = "priced";
    other.cost = 1.5;
    other.workflow = "Spend";
    other.created_at_ms = persistence::now_ms();
    REQUIRE(store->append_records({{other}}));
  }
  f.start();
  test::event_log log;
  auto id =
      f.n->submit(test::workflow(chain("Spend", "priced")), {}, log.observer());
  REQUIRE(id);
  REQUIRE(
      test::wait_until([&] { return f.execution(*id)["state"] == "paused"; }));
  CHECK_THAT(f.execution(*id)["error"].get<std::string>(),
             Catch::Contains("workflow Spend's daily budget"));
  auto listed = f.call("GET", "/api/v1/budgets", 200);
  CHECK(listed["budgets"][0]["spent_usd"]["Spend"].get<double>() ==
        Approx(1.5));
  CHECK(log.events().empty()); // not even a started
  // Another workflow has its own spend: it runs.
  test::event_log other;
  REQUIRE(f.n->submit(test::workflow(chain("Other", "priced")), {},
                      other.observer()));
  REQUIRE(test::wait_until([&] { return other.finished(); }));
  CHECK(other.outcome().state == "completed");
}

TEST_CASE("a reached warn budget logs and audits once and the execution "
          "runs to its end",
          "[providers][budgets]") {
  budget_node f{{budget(model::budget_scope::execution, "", 0.1,
                        model::budget_action::warn)}};
  f.start();
  test::event_log log;
  auto id =
      f.n->submit(test::workflow(chain("Spend", "priced")), {}, log.observer());
  REQUIRE(id);
  REQUIRE(test::wait_until([&] { return log.finished(); }));
  CHECK(log.outcome().state == "completed");
  std::vector<std::string> warns;
  REQUIRE(test::wait_until([&] {
    warns = audited(f.dir / "store.db", "execution.budget_warn");
    return !warns.empty();
  }));
  CHECK(warns.size() == 1); // b and c both saw it reached: one warning
  CHECK_THAT(warns[0], Catch::Contains(*id));
}

namespace {

constexpr const char* fake_key = "sk-budget-test-key";

// A node whose agent `gpt` calls the fake server as provider `fake`, model
// m1 (1 and 2 USD per 1,000 tokens in and out; m-small a tenth of that).
struct model_node {
  test::fake_model_server server;
  test::temp_dir dir;
  std::unique_ptr<node> n;

  explicit model_node(std::vector<model::budget> budgets) {
    ::setenv("HISHAMOS_BUDGET_TEST_KEY", fake_key, 1);
    auto cat = test::make_catalog();
    auto gpt = *model::parse_agent(
        "{id: gpt, capacity: 4, provider: fake, model: m1, max_tokens: 50}",
        "t");
    cat->agents[gpt.id] = gpt;
    auto o = test::test_options(dir, cat);
    config::provider_settings p;
    p.type = "openai";
    p.base_url = server.base_url();
    p.api_key = "env://HISHAMOS_BUDGET_TEST_KEY";
    p.prices["m1"] = {1.0, 2.0};
    p.prices["m-small"] = {0.1, 0.2};
    o.config.providers["fake"] = p;
    o.config.batch_interval_ms = 20;
    o.config.budgets = std::move(budgets);
    n = test::start_node(std::move(o));
  }
  std::vector<std::string> models_asked() {
    std::vector<std::string> out;
    for (const auto& r : server.requests())
      out.push_back(json::parse(r.body)["model"]);
    return out;
  }
  std::vector<model::cost_row> rollup(model::cost_grouping by) {
    model::cost_query q;
    q.by = by;
    auto got = n->costs(q);
    REQUIRE(got);
    return got.value;
  }
};

} // namespace

TEST_CASE("a reached downgrade budget sends the next steps to the cheaper "
          "model, and the ledger prices them at its rates",
          "[providers][budgets]") {
  // The first call (m1) costs 0.026 USD: the workflow's budget is reached.
  model_node f{{budget(model::budget_scope::workflow, "G", 0.02,
                       model::budget_action::downgrade, "m-small")}};
  test::event_log log;
  REQUIRE(f.n->submit(test::workflow(chain("G", "gpt")), {}, log.observer()));
  REQUIRE(test::wait_until([&] { return log.finished(); }));
  CHECK(log.outcome().state == "completed");
  CHECK(f.models_asked() ==
        std::vector<std::string>{"m1", "m-small", "m-small"});
  std::vector<model::cost_row> steps;
  REQUIRE(test::wait_until([&] {
    steps = f.rollup(model::cost_grouping::step);
    return steps.size() == 3;
  }));
  CHECK(steps[0].cost == Approx(12 / 1000.0 * 1.0 + 7 / 1000.0 * 2.0));
  CHECK(steps[1].cost == Approx(12 / 1000.0 * 0.1 + 7 / 1000.0 * 0.2));
  CHECK_THAT(
      f.n->metrics_text(),
      Catch::Contains("hishamos_budget_actions_total{action=\"downgrade\"} 1"));
}

TEST_CASE("a call answered from the cache is in the ledger at no cost, with "
          "its tokens cached and the cost it avoided",
          "[providers][budgets]") {
  model_node f{{}};
  auto one_step = test::workflow(
      "name: C\nsteps:\n  - {id: s, agent_id: gpt, command_template_id: "
      "cmd_echo, params: {text: same}}\n");
  for (int i = 0; i < 2; ++i) {
    test::event_log log;
    REQUIRE(f.n->submit(one_step, {}, log.observer()));
    REQUIRE(test::wait_until([&] { return log.finished(); }));
    CHECK(log.outcome().state == "completed");
  }
  CHECK(f.server.request_count() == 1); // temperature 0: the second is a hit
  std::vector<model::cost_row> rows;
  REQUIRE(test::wait_until([&] {
    rows = f.rollup(model::cost_grouping::execution);
    return rows.size() == 2;
  }));
  double price = 12 / 1000.0 * 1.0 + 7 / 1000.0 * 2.0;
  CHECK(rows[0].cost == Approx(price)); // the costliest first
  CHECK(rows[0].cost_avoided == 0);
  CHECK(rows[0].tokens_cached == 2); // what the provider says it cached
  CHECK(rows[1].cost == 0);
  CHECK(rows[1].cost_avoided == Approx(price));
  CHECK(rows[1].tokens_cached == 12); // every token in, from our cache
  auto total = f.rollup(model::cost_grouping::workflow);
  REQUIRE(total.size() == 1);
  CHECK(total[0].calls == 2);
  CHECK(total[0].cost_avoided == Approx(price));
}
