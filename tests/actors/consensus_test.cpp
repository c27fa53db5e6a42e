// Result conflicts on a real node: a step with `consensus` runs on distinct
// agents, its strategy picks one result, and every candidate is kept with
// the step's decision.

#include <catch2/catch.hpp>

#include <set>

#include "tests/support/node_fixture.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using hishamos::test::wait_until;

namespace {

model::agent_def panelist(const std::string& id) {
  model::agent_def def;
  def.id = id;
  def.department = "panel";
  def.capabilities = {"vote"};
  def.capacity = 2;
  return def;
}

// An agent that always answers `text`, at `cost` USD a call.
model::agent_function answers(std::string text, double cost = 0) {
  return [text, cost](const model::task_request& t) {
    model::task_reply r;
    r.task_id = t.task_id;
    r.ok = true;
    r.output = text;
    r.cost = cost;
    r.tokens_in = 10;
    return r;
  };
}

struct consensus_run {
  std::string state;
  std::string output; ///< The winner's.
  std::string error;
  nlohmann::json decision;
};

consensus_run run(node& n, const std::string& consensus) {
  test::event_log log;
  auto wf = test::workflow(
      "name: Vote\nsteps:\n  - {id: v, agent: {department: panel, "
      "capabilities: [vote]}, command_template_id: cmd_echo, params: {text: "
      "q}, consensus: " +
      consensus + "}\n");
  auto id = n.submit(wf, {}, log.observer());
  REQUIRE(id);
  REQUIRE(wait_until([&] { return log.finished(); }));
  consensus_run out{log.outcome().state, "", log.outcome().error, nullptr};
  if (out.state != "completed")
    return out;
  REQUIRE(wait_until([&] {
    auto x = n.execution(*id);
    if (!x.value)
      return false;
    out.output = x.value->steps.at(0).output;
    out.decision = x.value->steps.at(0).decision;
    return !out.decision.is_null();
  }));
  return out;
}

std::unique_ptr<node> panel_node(const test::temp_dir& dir) {
  auto opts = test::test_options(dir);
  opts.config.batch_interval_ms = 10;
  return test::start_node(opts);
}

// A panel node whose catalog has the judge template `cmd_judge`.
std::unique_ptr<node> judge_panel_node(const test::temp_dir& dir) {
  auto cat = test::make_catalog();
  auto judge_tpl = *model::parse_command_template(
      "id: cmd_judge\nparams: {candidates: {type: array, required: true}}\n"
      "prompt: 'Which is best? {{candidates}}'\noutput: {format: text}\n",
      "t");
  cat->templates[judge_tpl.id] = judge_tpl;
  auto opts = test::test_options(dir, cat);
  opts.config.batch_interval_ms = 10;
  return test::start_node(opts);
}

} // namespace

TEST_CASE("majority consensus runs on distinct agents and takes the answer "
          "most of them gave, keeping every candidate",
          "[actors][consensus]") {
  test::temp_dir dir;
  auto n = panel_node(dir);
  n->register_agent(panelist("p1"), answers("## Answer\nyes"));
  n->register_agent(panelist("p2"), answers("## Answer\n no "));
  n->register_agent(panelist("p3"), answers("## Answer\nyes\n"));
  auto r = run(*n, "{agents: 3, strategy: majority}");
  REQUIRE(r.state == "completed");
  CHECK_THAT(r.output, Catch::Contains("yes"));
  const auto& c = r.decision["consensus"];
  CHECK(c["strategy"] == "majority");
  REQUIRE(c["candidates"].size() == 3);
  std::set<std::string> agents;
  for (const auto& x : c["candidates"])
    agents.insert(x["agent"]);
  CHECK(agents == std::set<std::string>{"p1", "p2", "p3"}); // distinct
  CHECK(r.decision["chosen"] != "p2");
}

TEST_CASE("best_quality consensus takes the result its evaluator scored "
          "highest",
          "[actors][consensus]") {
  test::temp_dir dir;
  auto n = panel_node(dir);
  // cmd_echo's evaluator wants an "Answer" section.
  n->register_agent(panelist("p1"), answers("no sections"));
  n->register_agent(panelist("p2"), answers("## Answer\nfrom p2"));
  n->register_agent(panelist("p3"), answers("still none"));
  auto r = run(*n, "{agents: 3, strategy: best_quality}");
  REQUIRE(r.state == "completed");
  CHECK(r.output == "## Answer\nfrom p2");
  CHECK(r.decision["chosen"] == "p2");
}

TEST_CASE("judge consensus asks the judge agent which candidate wins, and "
          "falls back to the best score when the judge names none",
          "[actors][consensus]") {
  test::temp_dir dir;
  auto n = judge_panel_node(dir);
  n->register_agent(panelist("p1"), answers("## Answer\nfirst"));
  n->register_agent(panelist("p2"), answers("## Answer\nsecond"));
  model::agent_def judge;
  judge.id = "judge";
  std::string verdict = "Candidate 2 is best.";
  std::string prompt_seen;
  n->register_agent(judge, [&](const model::task_request& t) {
    prompt_seen = t.prompt;
    return answers(verdict)(t);
  });
  auto r = run(*n, "{agents: 2, strategy: judge, judge_agent: judge, "
                   "judge_template: cmd_judge}");
  REQUIRE(r.state == "completed");
  const auto& c = r.decision["consensus"];
  REQUIRE(c["candidates"].size() == 2);
  CHECK(r.output == c["candidates"][1]["output"]); // the judge's pick
  CHECK(c["judge"]["agent"] == "judge");
  CHECK_THAT(prompt_seen, Catch::Contains("first"));
  CHECK_THAT(prompt_seen, Catch::Contains("second"));

  verdict = "I cannot decide.";
  auto fallback = run(*n, "{agents: 2, strategy: judge, judge_agent: judge, "
                          "judge_template: cmd_judge}");
  REQUIRE(fallback.state == "completed");
  CHECK(fallback.decision["consensus"]["judge"]["fallback"] == "best_quality");
}

TEST_CASE("a consensus step that asks for more distinct agents than the "
          "catalog has is refused at submit, and one that finds fewer hosted "
          "fails saying how many match",
          "[actors][consensus]") {
  test::temp_dir dir;
  auto cat = test::make_catalog();
  for (const char* id : {"p1", "p2", "p3"})
    cat->agents[id] = panelist(id);
  auto opts = test::test_options(dir, cat);
  opts.config.agents = {"p1"}; // the others are in the catalog only
  auto n = test::start_node(opts);
  auto wf = [](int agents) {
    return test::workflow(
        "name: Vote\nsteps:\n  - {id: v, agent: {department: panel, "
        "capabilities: [vote]}, command_template_id: cmd_echo, params: {text: "
        "q}, consensus: {agents: " +
        std::to_string(agents) + "}}\n");
  };
  auto refused = n->submit(wf(4), {});
  REQUIRE_FALSE(refused);
  CHECK_THAT(model::to_string(refused.errors()),
             Catch::Contains("consensus needs 4 distinct agents but only 3 "
                             "match the selector"));
  test::event_log log;
  REQUIRE(n->submit(wf(3), {}, log.observer()));
  REQUIRE(wait_until([&] { return log.finished(); }));
  CHECK(log.outcome().state == "failed");
  CHECK_THAT(log.outcome().error,
             Catch::Contains("consensus needs 3 distinct agents, but 1 match"));
}

TEST_CASE("a consensus step costs every candidate and the judge it ran: the "
          "cost ledger has their sum",
          "[actors][consensus][budgets]") {
  test::temp_dir dir;
  auto n = judge_panel_node(dir);
  n->register_agent(panelist("p1"), answers("## Answer\nfirst", 0.25));
  n->register_agent(panelist("p2"), answers("## Answer\nsecond", 0.5));
  model::agent_def judge;
  judge.id = "judge";
  n->register_agent(judge, answers("Candidate 2 is best.", 0.125));
  auto r = run(*n, "{agents: 2, strategy: judge, judge_agent: judge, "
                   "judge_template: cmd_judge}");
  REQUIRE(r.state == "completed");
  model::cost_query q;
  q.by = model::cost_grouping::step;
  std::vector<model::cost_row> rows;
  REQUIRE(wait_until([&] {
    auto got = n->costs(q);
    rows = got.value;
    return got && rows.size() == 1;
  }));
  CHECK(rows[0].cost == Approx(0.875));
  CHECK(rows[0].tokens_in == 30);
}
