#include <catch2/catch.hpp>

#include "model/validation.hpp"
#include "tests/support/catalog_fixture.hpp"

using namespace hishamos;
using hishamos::test::make_catalog;

namespace {

// Problems of a workflow file text: parse errors or validation errors.
model::problems problems_of(const std::string& yaml) {
  auto wf = model::parse_workflow(yaml, "wf.yaml");
  if (!wf)
    return wf.errors();
  return model::validate(*wf, *make_catalog());
}

std::string joined(const std::string& yaml) {
  return model::to_string(problems_of(yaml));
}

const char* header =
    "name: W\ninputs:\n  topic: {type: string, required: true}\nsteps:\n";

} // namespace

TEST_CASE("a valid workflow has no problems", "[unit][model]") {
  auto found = problems_of(
      std::string{header} +
      "  - {id: a, agent_id: fast, command_template_id: cmd_echo, "
      "params: {text: '{{inputs.topic}}'}}\n"
      "  - {id: b, depends_on: [a], agent: {department: engineering, "
      "capabilities: [review]}, command_template_id: cmd_echo, "
      "params: {text: '{{steps.a.output}}'}}\n");
  CHECK(model::to_string(found) == "");
}

TEST_CASE("a workflow without steps is rejected", "[unit][model]") {
  auto text = joined("name: W\nsteps: []\n");
  CHECK_THAT(text, Catch::Contains("has no steps"));
  CHECK_THAT(text, Catch::Contains("add at least one step"));
}

TEST_CASE("duplicate step ids are rejected with both lines", "[unit][model]") {
  auto text = joined(std::string{header} +
                     "  - {id: a, agent_id: fast, command_template_id: "
                     "cmd_echo, params: {text: x}}\n"
                     "  - {id: a, agent_id: fast, command_template_id: "
                     "cmd_echo, params: {text: y}}\n");
  CHECK_THAT(
      text,
      Catch::Contains(
          "wf.yaml:6: step 'a': duplicate step id (first used at line 5)"));
}

TEST_CASE("depends_on naming an unknown step is rejected", "[unit][model]") {
  auto text = joined(std::string{header} +
                     "  - {id: a, depends_on: [desing], agent_id: fast, "
                     "command_template_id: cmd_echo, params: {text: x}}\n");
  CHECK_THAT(text, Catch::Contains(
                       "step 'a': depends_on names unknown step 'desing'"));
}

TEST_CASE("a cycle is rejected naming the steps in it", "[unit][model]") {
  auto text = joined(std::string{header} +
                     "  - {id: a, depends_on: [c], agent_id: fast, "
                     "command_template_id: cmd_echo, params: {text: x}}\n"
                     "  - {id: b, depends_on: [a], agent_id: fast, "
                     "command_template_id: cmd_echo, params: {text: x}}\n"
                     "  - {id: c, depends_on: [b], agent_id: fast, "
                     "command_template_id: cmd_echo, params: {text: x}}\n");
  CHECK_THAT(text, Catch::Contains("steps form a cycle: a -> b -> c -> a"));
}

TEST_CASE("an unknown agent id is rejected with the known ids",
          "[unit][model]") {
  auto text = joined(std::string{header} +
                     "  - {id: a, agent_id: nobody, command_template_id: "
                     "cmd_echo, params: {text: x}}\n");
  CHECK_THAT(text, Catch::Contains("step 'a': unknown agent 'nobody'; fix: use "
                                   "one of: fast, flaky, slow"));
}

TEST_CASE("a selector that no agent matches is rejected", "[unit][model]") {
  auto text =
      joined(std::string{header} +
             "  - {id: a, agent: {department: legal, capabilities: [write]}, "
             "command_template_id: cmd_echo, params: {text: x}}\n");
  CHECK_THAT(
      text,
      Catch::Contains(
          "no agent matches department 'legal' with capabilities [write]"));
}

TEST_CASE("an unknown command template is rejected", "[unit][model]") {
  auto text = joined(std::string{header} +
                     "  - {id: a, agent_id: fast, command_template_id: "
                     "cmd_nope, params: {text: x}}\n");
  CHECK_THAT(text, Catch::Contains("step 'a': unknown command template "
                                   "'cmd_nope'; fix: use one of: cmd_echo"));
}

TEST_CASE("a reference to an undeclared input is rejected", "[unit][model]") {
  auto text =
      joined(std::string{header} +
             "  - {id: a, agent_id: fast, command_template_id: cmd_echo, "
             "params: {text: '{{inputs.topik}}'}}\n");
  CHECK_THAT(text, Catch::Contains(
                       "{{inputs.topik}} names an undeclared input 'topik'"));
}

TEST_CASE("a reference to a step that is not upstream is rejected",
          "[unit][model]") {
  auto text =
      joined(std::string{header} +
             "  - {id: a, agent_id: fast, command_template_id: cmd_echo, "
             "params: {text: x}}\n"
             "  - {id: b, agent_id: fast, command_template_id: cmd_echo, "
             "params: {text: '{{steps.a.output}}'}}\n");
  CHECK_THAT(
      text,
      Catch::Contains(
          "step 'b': {{steps.a.output}} uses step 'a' which is not upstream"));
  CHECK_THAT(text, Catch::Contains("add 'a' to depends_on"));
}

TEST_CASE("a missing required template parameter is rejected",
          "[unit][model]") {
  auto text = joined(std::string{header} +
                     "  - {id: a, agent_id: fast, command_template_id: "
                     "cmd_echo, params: {count: 2}}\n");
  CHECK_THAT(text,
             Catch::Contains("template 'cmd_echo' requires parameter 'text'"));
}

TEST_CASE("wrong types are rejected with the key and line", "[unit][model]") {
  auto text = joined(
      std::string{header} +
      "  - id: a\n    agent_id: fast\n    command_template_id: cmd_echo\n"
      "    params: {text: x, count: many}\n    timeout_ms: soon\n"
      "    retry: {max_attempts: 0}\n");
  CHECK_THAT(text, Catch::Contains("wf.yaml:9: step 'a': 'timeout_ms' must be "
                                   "an integer >= 0, got 'soon'"));
  CHECK_THAT(text, Catch::Contains("'max_attempts' must be an integer >= 1"));
  auto typed =
      joined(std::string{header} +
             "  - {id: a, agent_id: fast, command_template_id: cmd_echo, "
             "params: {text: x, count: many}}\n");
  CHECK_THAT(typed, Catch::Contains(
                        "parameter 'count' must be a integer, got \"many\""));
}

TEST_CASE("unknown keys in a workflow are rejected with their line",
          "[unit][model]") {
  auto text = joined(std::string{header} +
                     "  - {id: a, agnet_id: fast, command_template_id: "
                     "cmd_echo, params: {text: x}}\n");
  CHECK_THAT(text, Catch::Contains(
                       "wf.yaml:5: step 'a': unknown key 'agnet_id' in step"));
}

TEST_CASE("a YAML syntax error names the line", "[unit][model]") {
  auto text = joined("name: W\nsteps:\n  - id: [a\n");
  CHECK_THAT(text, Catch::Contains("wf.yaml:"));
  CHECK_THAT(text, Catch::Contains("syntax error"));
}

TEST_CASE("JSON workflow files parse like YAML", "[unit][model]") {
  auto wf = model::parse_workflow(
      R"({"name": "J", "steps": [{"id": "a", "agent_id": "fast",
        "command_template_id": "cmd_echo", "params": {"text": "hi"}}]})",
      "wf.json");
  REQUIRE(wf);
  CHECK(wf->steps.at(0).params.at("text") == "hi");
  CHECK(model::validate(*wf, *make_catalog()).empty());
}

TEST_CASE("missing required workflow inputs are reported", "[unit][model]") {
  auto wf = hishamos::test::workflow(
      std::string{header} + "  - {id: a, agent_id: fast, command_template_id: "
                            "cmd_echo, params: {text: x}}\n");
  auto missing = model::validate_inputs(*wf, nlohmann::json::object());
  REQUIRE_FALSE(missing);
  CHECK_THAT(model::to_string(missing.errors()),
             Catch::Contains("missing required input 'topic'"));
  auto wrong = model::validate_inputs(*wf, {{"topic", 3}});
  REQUIRE_FALSE(wrong);
  CHECK_THAT(model::to_string(wrong.errors()),
             Catch::Contains("input 'topic' must be a string, got 3"));
  auto unknown = model::validate_inputs(*wf, {{"topic", "x"}, {"extra", 1}});
  REQUIRE_FALSE(unknown);
  CHECK_THAT(model::to_string(unknown.errors()),
             Catch::Contains("unknown input 'extra'"));
  CHECK(model::validate_inputs(*wf, {{"topic", "x"}}));
}

TEST_CASE("typed inputs are converted from command-line text",
          "[unit][model]") {
  CHECK(model::from_text("42", model::value_type::integer) ==
        nlohmann::json(42));
  CHECK_FALSE(model::from_text("4x", model::value_type::integer));
  CHECK(model::from_text("true", model::value_type::boolean) ==
        nlohmann::json(true));
  CHECK(model::from_text("42", model::value_type::string) ==
        nlohmann::json("42"));
}
