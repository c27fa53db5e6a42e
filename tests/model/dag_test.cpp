#include <catch2/catch.hpp>

#include "model/command_template.hpp"
#include "model/dag.hpp"
#include "model/references.hpp"
#include "tests/support/catalog_fixture.hpp"

using namespace hishamos;

namespace {

std::vector<std::string> ids(const model::workflow_def& wf,
                             const std::vector<int>& xs) {
  std::vector<std::string> out;
  for (int i : xs)
    out.push_back(wf.steps[i].id);
  return out;
}

const char* diamond =
    "name: D\nsteps:\n"
    "  - {id: a, agent_id: fast, command_template_id: cmd_echo}\n"
    "  - {id: b, depends_on: [a], agent_id: fast, command_template_id: "
    "cmd_echo}\n"
    "  - {id: c, depends_on: [a], agent_id: fast, command_template_id: "
    "cmd_echo}\n"
    "  - {id: d, depends_on: [b, c], agent_id: fast, command_template_id: "
    "cmd_echo}\n";

} // namespace

TEST_CASE("the ready set releases a step only when all its parents are done",
          "[unit][model]") {
  auto wf = test::workflow(diamond);
  auto g = model::dag::build(*wf);
  REQUIRE(g);
  std::vector<bool> done(4, false), started(4, false);
  CHECK(ids(*wf, g->ready_set(done, started)) == std::vector<std::string>{"a"});
  done[0] = started[0] = true;
  CHECK(ids(*wf, g->ready_set(done, started)) ==
        std::vector<std::string>{"b", "c"});
  started[1] = started[2] = true;
  done[1] = true;
  CHECK(g->ready_set(done, started).empty());
  done[2] = true;
  CHECK(ids(*wf, g->ready_set(done, started)) == std::vector<std::string>{"d"});
  CHECK(ids(*wf, g->leaves()) == std::vector<std::string>{"d"});
  CHECK(g->is_upstream(0, 3));
  CHECK_FALSE(g->is_upstream(1, 2));
}

TEST_CASE("steps with order and no depends_on run in order", "[unit][model]") {
  auto wf = test::workflow(
      "name: O\nsteps:\n"
      "  - {id: late, order: 2, agent_id: fast, command_template_id: "
      "cmd_echo}\n"
      "  - {id: first, order: 1, agent_id: fast, command_template_id: "
      "cmd_echo}\n"
      "  - {id: also_first, order: 1, agent_id: fast, command_template_id: "
      "cmd_echo}\n"
      "  - {id: free, agent_id: fast, command_template_id: cmd_echo}\n");
  auto g = model::dag::build(*wf);
  REQUIRE(g);
  std::vector<bool> done(4, false), started(4, false);
  CHECK(ids(*wf, g->ready_set(done, started)) ==
        std::vector<std::string>{"first", "also_first", "free"});
  CHECK(ids(*wf, g->parents(0)) ==
        std::vector<std::string>{"first", "also_first"});
}

TEST_CASE("a template renders params with defaults and rejects bad ones",
          "[unit][model]") {
  auto cat = test::make_catalog();
  const auto& t = cat->templates.at("cmd_echo");
  auto ok = t.render({{"text", "hi"}});
  REQUIRE(ok);
  CHECK(*ok == "Echo hi x1");
  CHECK(*t.render({{"text", "hi"}, {"count", 3}}) == "Echo hi x3");
  auto missing = t.render(nlohmann::json::object());
  REQUIRE_FALSE(missing);
  CHECK_THAT(model::to_string(missing.errors()),
             Catch::Contains("missing required parameter 'text'"));
  auto wrong = t.render({{"text", "hi"}, {"count", "3"}});
  REQUIRE_FALSE(wrong);
  CHECK_THAT(model::to_string(wrong.errors()),
             Catch::Contains("'count' must be a integer"));
}

TEST_CASE("a template whose prompt uses an undeclared parameter is rejected",
          "[unit][model]") {
  auto t = model::parse_command_template("id: t\nprompt: 'Hello {{who}}'\n",
                                         "t.yaml");
  REQUIRE_FALSE(t);
  CHECK_THAT(
      model::to_string(t.errors()),
      Catch::Contains("prompt uses {{who}} which is not a declared parameter"));
}

TEST_CASE("references resolve to inputs and upstream outputs",
          "[unit][model]") {
  nlohmann::json params{{"a", "{{inputs.n}}"},
                        {"b", "see {{ steps.s.output }} and {{inputs.name}}"},
                        {"c", {"{{steps.s.output}}"}}};
  auto out = model::resolve_references(params, {{"n", 7}, {"name", "x"}},
                                       {{"s", "OUT"}});
  CHECK(out["a"] == 7); // a whole-string reference keeps the value's type
  CHECK(out["b"] == "see OUT and x");
  CHECK(out["c"][0] == "OUT");
  auto refs = model::references_in(params);
  CHECK(refs.size() == 4);
}

TEST_CASE("a number fills a string template parameter as text",
          "[unit][model]") {
  auto cat = test::make_catalog();
  auto out = cat->templates.at("cmd_echo").render({{"text", 42}});
  REQUIRE(out);
  CHECK(*out == "Echo 42 x1");
}
