// Budget verdicts (model/budget.hpp) and how the node config reads budgets.

#include <catch2/catch.hpp>

#include <map>

#include "config/node_config.hpp"
#include "model/budget.hpp"
#include "model/validation.hpp"

using namespace hishamos;
using model::budget;
using model::budget_action;
using model::budget_period;
using model::budget_scope;

namespace {

// Period spend from a table: {scope, name, period} -> USD.
struct spend_table {
  std::map<std::tuple<budget_scope, std::string, budget_period>, double> usd;
  model::period_spend fn() const {
    return [this](budget_scope s, const std::string& n, budget_period p) {
      auto it = usd.find({s, n, p});
      return it == usd.end() ? 0.0 : it->second;
    };
  }
};

budget make(budget_scope scope, std::string name, double limit,
            budget_action action, budget_period period = budget_period::day,
            std::string model = "") {
  return {scope, std::move(name), limit, action, period, std::move(model)};
}

} // namespace

TEST_CASE("an execution budget is reached once the execution's own spend "
          "is at its limit, and names limit and spend",
          "[unit][budgets]") {
  spend_table t;
  std::vector<budget> bs{
      make(budget_scope::execution, "", 1.0, budget_action::pause)};
  CHECK(model::judge_budgets(bs, {"W", "", 0.99, 0}, t.fn()).action ==
        budget_action::none);
  auto v = model::judge_budgets(bs, {"W", "", 1.0, 0}, t.fn());
  CHECK(v.action == budget_action::pause);
  CHECK_THAT(v.reason,
             Catch::Contains("1.0000 USD") && Catch::Contains("workflow W"));
  CHECK(v.limit_usd == 1.0);
}

TEST_CASE("a named budget applies only to its workflow or department — an "
          "unnamed one to each",
          "[unit][budgets]") {
  spend_table t;
  t.usd[{budget_scope::workflow, "A", budget_period::day}] = 5;
  t.usd[{budget_scope::department, "eng", budget_period::month}] = 50;
  std::vector<budget> only_b{
      make(budget_scope::workflow, "B", 1, budget_action::warn)};
  CHECK(model::judge_budgets(only_b, {"A", "eng", 0, 0}, t.fn()).action ==
        budget_action::none);
  std::vector<budget> each{
      make(budget_scope::workflow, "", 1, budget_action::warn)};
  CHECK(model::judge_budgets(each, {"A", "eng", 0, 0}, t.fn()).action ==
        budget_action::warn);
  std::vector<budget> monthly{make(budget_scope::department, "eng", 40,
                                   budget_action::warn, budget_period::month)};
  CHECK(model::judge_budgets(monthly, {"A", "eng", 0, 0}, t.fn()).action ==
        budget_action::warn);
  CHECK(model::judge_budgets(monthly, {"A", "", 0, 0}, t.fn()).action ==
        budget_action::none); // a workflow of no department
  std::vector<budget> daily{make(budget_scope::department, "eng", 40,
                                 budget_action::warn, budget_period::day)};
  CHECK(model::judge_budgets(daily, {"A", "eng", 0, 0}, t.fn()).action ==
        budget_action::none); // nothing spent today
}

TEST_CASE("of the budgets reached the strongest action wins — an approval "
          "lifts pauses until the execution spends past it",
          "[unit][budgets]") {
  spend_table t;
  t.usd[{budget_scope::workflow, "W", budget_period::day}] = 10;
  std::vector<budget> bs{
      make(budget_scope::workflow, "W", 5, budget_action::warn),
      make(budget_scope::workflow, "W", 8, budget_action::downgrade,
           budget_period::day, "small"),
      make(budget_scope::execution, "", 1, budget_action::pause)};
  auto v = model::judge_budgets(bs, {"W", "", 2, 0}, t.fn());
  CHECK(v.action == budget_action::pause);
  v = model::judge_budgets(bs, {"W", "", 2, 3}, t.fn()); // approved to 3
  CHECK(v.action == budget_action::downgrade);
  CHECK(v.model == "small");
  v = model::judge_budgets(bs, {"W", "", 3, 3}, t.fn()); // spent it
  CHECK(v.action == budget_action::pause);
}

TEST_CASE("the node config reads budgets and refuses wrong ones with a fix",
          "[unit][budgets][config]") {
  auto cfg = config::parse_node_config(R"(budgets:
  - {scope: execution, limit_usd: 0.5, action: pause}
  - {scope: workflow, name: Report, limit_usd: 20, action: downgrade, downgrade_model: gpt-4o-mini}
  - {scope: department, name: research, period: month, limit_usd: 100}
)",
                                       "node.yaml");
  REQUIRE(cfg);
  REQUIRE(cfg->budgets.size() == 3);
  CHECK(cfg->budgets[0].action == budget_action::pause);
  CHECK(cfg->budgets[1].downgrade_model == "gpt-4o-mini");
  CHECK(cfg->budgets[2].period == budget_period::month);
  CHECK(cfg->budgets[2].action == budget_action::warn);
  for (auto [text, says] : {
           std::pair{"budgets: {scope: execution}", "must be a list"},
           {"budgets: [{scope: team, limit_usd: 1}]", "unknown scope 'team'"},
           {"budgets: [{scope: execution}]", "has no limit_usd"},
           {"budgets: [{scope: execution, limit_usd: -1}]", "limit_usd"},
           {"budgets: [{scope: workflow, limit_usd: 1, action: stop}]",
            "unknown action 'stop'"},
           {"budgets: [{scope: workflow, limit_usd: 1, action: downgrade}]",
            "names no model"},
           {"budgets: [{scope: execution, limit_usd: 1, period: day}]",
            "no period"},
           {"budgets: [{scope: workflow, limit_usd: 1, period: week}]",
            "unknown period 'week'"},
           {"budgets: [{scope: workflow, limit_usd: 1, cap: 2}]", "cap"},
       }) {
    auto bad = config::parse_node_config(text, "node.yaml");
    INFO(text);
    REQUIRE_FALSE(bad);
    CHECK_THAT(model::to_string(bad.errors()),
               Catch::Contains(says) && Catch::Contains("node.yaml"));
  }
}
