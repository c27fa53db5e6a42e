// Dispatch on a real node (actor system, SQLite store): learned routing,
// priorities with aging, per-workflow limits and department quotas.

#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <thread>

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>

#include "tests/support/node_fixture.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using hishamos::test::wait_until;

namespace {

template <class T> T must(model::result<T> r) {
  REQUIRE(r);
  return std::move(*r);
}

// Agents `good` and `poor`, equal but for the local provider's quality,
// and a report template whose evaluator wants three sections.
std::shared_ptr<model::catalog> research_catalog(double good, double poor) {
  auto cat = test::make_catalog();
  for (auto [id, q] : {std::pair{"good", good}, std::pair{"poor", poor}}) {
    auto a = must(model::parse_agent(
        std::string{"{id: "} + id +
            ", department: research, capabilities: [analysis], capacity: 4, "
            "quality: " +
            std::to_string(q) + "}",
        "t"));
    cat->agents[a.id] = a;
  }
  auto t = must(model::parse_command_template(
      "id: cmd_report\ncategory: research.analysis\nparams:\n  topic: {type: "
      "string, required: true}\nprompt: 'Report on {{topic}}'\noutput: "
      "{format: markdown, sections: [Summary, Findings, Risks]}\n",
      "t"));
  cat->templates[t.id] = t;
  return cat;
}

const char* report_workflow =
    "name: Report\ninputs: {topic: {type: string, required: true}}\nsteps:\n"
    "  - {id: r, agent: {department: research, capabilities: [analysis]}, "
    "command_template_id: cmd_report, params: {topic: '{{inputs.topic}}'}}\n";

// Runs `count` one-step reports one after another (so both agents are
// always free and only routing decides); returns how many each agent ran.
std::map<std::string, int> run_reports(node& n, int count, int& serial) {
  auto wf = test::workflow(report_workflow);
  std::map<std::string, int> ran;
  for (int i = 0; i < count; ++i) {
    test::event_log log;
    auto id = n.submit(wf, {{"topic", "t" + std::to_string(++serial)}},
                       log.observer());
    REQUIRE(id);
    REQUIRE(wait_until([&] { return log.finished(); }));
    REQUIRE(log.outcome().state == "completed");
    ++ran[log.of("r", "completed").at(0).agent_id];
  }
  return ran;
}

model::agent_def with_quality(const node& n, const std::string& id, double q) {
  auto def = *n.catalog()->find_agent(id);
  def.quality = q;
  return def;
}

} // namespace

SCENARIO("routing learns which of two otherwise equal agents satisfies the "
         "evaluator and follows when their qualities swap",
         "[actors][dispatch][feedback]") {
  test::temp_dir dir;
  auto n =
      test::start_node(test::test_options(dir, research_catalog(0.9, 0.2)));
  int serial = 0;
  GIVEN("200 tasks to learn from") {
    run_reports(*n, 200, serial);
    THEN("at least 80% of new tasks go to the better agent") {
      auto next = run_reports(*n, 100, serial);
      CHECK(next["good"] >= 80);
    }
    WHEN("the agents' qualities swap") {
      // Same ids, new actors: what was learned stays with the ids.
      n->register_agent(with_quality(*n, "good", 0.2), model::agent_function{});
      n->register_agent(with_quality(*n, "poor", 0.9), model::agent_function{});
      run_reports(*n, 150, serial); // the bound on following
      THEN("routing follows: 80% of the next tasks go to the other agent") {
        auto next = run_reports(*n, 100, serial);
        CHECK(next["poor"] >= 80);
      }
    }
  }
}

TEST_CASE("learned quality is stored and a restarted node routes with it",
          "[actors][dispatch][feedback]") {
  test::temp_dir dir;
  int serial = 0;
  double good_mean = 0;
  {
    auto n =
        test::start_node(test::test_options(dir, research_catalog(0.9, 0.2)));
    run_reports(*n, 60, serial);
    for (const auto& x : n->learned_quality())
      if (x.agent == "good" && x.category == "research.analysis")
        good_mean = x.mean;
  } // the batch processor writes what it holds at shutdown
  REQUIRE(good_mean > 0.6);
  auto n =
      test::start_node(test::test_options(dir, research_catalog(0.9, 0.2)));
  double restored = 0;
  for (const auto& x : n->learned_quality())
    if (x.agent == "good" && x.category == "research.analysis")
      restored = x.mean;
  CHECK(restored == Approx(good_mean));
}

namespace {

// One report run to its end on a node that stores results every 10 ms.
struct finished_report {
  test::temp_dir dir;
  std::unique_ptr<node> n;
  test::event_log log;
  std::string id;

  explicit finished_report(std::shared_ptr<model::catalog> cat) {
    auto opts = test::test_options(dir, std::move(cat));
    opts.config.batch_interval_ms = 10;
    n = test::start_node(opts);
    auto submitted = n->submit(test::workflow(report_workflow),
                               {{"topic", "x"}}, log.observer());
    REQUIRE(submitted);
    id = *submitted;
    REQUIRE(wait_until([&] { return log.finished(); }));
  }
};

} // namespace

TEST_CASE("each step's routing decision names the chosen agent and every "
          "candidate's scores, live and once stored",
          "[actors][dispatch]") {
  finished_report run{research_catalog(1.0, 1.0)};
  nlohmann::json decision;
  REQUIRE(wait_until([&] {
    auto x = run.n->execution(run.id);
    decision = x.value ? x.value->steps.at(0).decision : nullptr;
    return !decision.is_null();
  }));
  CHECK(decision["chosen"] == run.log.of("r", "completed").at(0).agent_id);
  CHECK(decision["category"] == "research.analysis");
  REQUIRE(decision["candidates"].size() == 2);
  for (const auto& c : decision["candidates"]) {
    CHECK(c.contains("score"));
    CHECK(c.contains("quality_sample"));
    CHECK(c["free_share"] == 1.0);
  }
}

TEST_CASE("a step's result records the version of the command template it "
          "was rendered from, and the store keeps it",
          "[actors][templates]") {
  auto cat = research_catalog(1.0, 1.0);
  cat->templates.at("cmd_report").version = 7;
  finished_report run{cat};
  // Once the execution is over, only the store can say it.
  CHECK(wait_until([&] {
    auto x = run.n->execution(run.id);
    return x.value && x.value->steps.at(0).template_version == 7;
  }));
}

namespace {

// A function agent that counts how many of its calls run at once.
struct concurrency_probe {
  std::atomic<int> now{0};
  std::atomic<int> peak{0};

  model::agent_function function() {
    return [this](const model::task_request& t) {
      int k = ++now;
      for (int p = peak; k > p && !peak.compare_exchange_weak(p, k);)
        ;
      // The agent's own work: long enough for calls to overlap.
      std::this_thread::sleep_for(std::chrono::milliseconds{30});
      --now;
      model::task_reply r;
      r.task_id = t.task_id;
      r.ok = true;
      r.output = "## Answer\ndone";
      return r;
    };
  }
};

model::agent_def engineer(const std::string& id, int capacity) {
  model::agent_def def;
  def.id = id;
  def.department = "engineering";
  def.capabilities = {"build"};
  def.capacity = capacity;
  return def;
}

std::string fan_out(const std::string& header, int steps,
                    const std::string& who) {
  std::string yaml = header + "steps:\n";
  for (int i = 0; i < steps; ++i)
    yaml += "  - {id: s" + std::to_string(i) + ", " + who +
            ", command_template_id: cmd_echo, params: {text: x}}\n";
  return yaml;
}

} // namespace

TEST_CASE("a workflow's max_concurrency bounds how many of its steps run at "
          "once",
          "[actors][dispatch][limits]") {
  test::temp_dir dir;
  auto n = test::start_node(test::test_options(dir));
  concurrency_probe probe;
  n->register_agent(engineer("builder", 8), probe.function());
  test::event_log log;
  auto wf = test::workflow(
      fan_out("name: Limited\nmax_concurrency: 2\n", 6, "agent_id: builder"));
  REQUIRE(n->submit(wf, {}, log.observer()));
  REQUIRE(wait_until([&] { return log.finished(); }));
  CHECK(log.outcome().state == "completed");
  CHECK(probe.peak == 2); // never more, and the limit is used
}

TEST_CASE("a node with dispatch.agents_on_demand hosts its catalog agents as "
          "records and runs workflows on them",
          "[actors][dispatch][agents]") {
  test::temp_dir dir;
  auto options = test::test_options(dir, research_catalog(0.9, 0.9));
  options.config.dispatch.agents_on_demand = true;
  auto n = test::start_node(std::move(options));
  auto cluster = n->cluster();
  REQUIRE(cluster);
  size_t listed = 0;
  for (const auto& nv : cluster.value.nodes)
    if (nv.self)
      listed = nv.agents.size();
  CHECK(listed == n->catalog()->agents.size()); // every one, actor or not
  int serial = 0;
  auto ran = run_reports(*n, 20, serial);
  CHECK(ran["good"] + ran["poor"] == 20);
}

TEST_CASE("function agents registered in bulk on a node with "
          "dispatch.agents_on_demand are records until a task comes: an "
          "actor runs only while one has tasks",
          "[actors][dispatch][agents]") {
  test::temp_dir dir;
  auto options = test::test_options(dir);
  options.config.dispatch.agents_on_demand = true;
  auto n = test::start_node(std::move(options));
  auto& registry = n->system().registry();
  auto before = registry.running();
  constexpr int count = 10000;
  std::atomic<int> calls{0};
  std::vector<std::pair<model::agent_def, model::agent_function>> agents;
  for (int i = 0; i < count; ++i) {
    auto id = "f" + std::to_string(i);
    agents.emplace_back(engineer(id, 1),
                        [id, &calls](const model::task_request& t) {
                          ++calls;
                          model::task_reply r;
                          r.task_id = t.task_id;
                          r.ok = true;
                          r.output = "## Answer\nfrom " + id;
                          return r;
                        });
  }
  n->register_agents(std::move(agents));
  CHECK(n->catalog()->agents.count("f9999") == 1);
  // Ten thousand agents, and not one actor more.
  CHECK(registry.running() == before);
  test::event_log log;
  auto wf = test::workflow("name: One\nsteps:\n"
                           "  - {id: a, agent_id: f4242, command_template_id: "
                           "cmd_echo, params: {text: a}}\n");
  REQUIRE(n->submit(wf, {}, log.observer()));
  REQUIRE(wait_until([&] { return log.finished(); }));
  CHECK(log.outcome().state == "completed");
  CHECK(calls == 1);
  CHECK(log.outcome().output.find("from f4242") != std::string::npos);
  // Its actor went with its last task.
  CHECK(wait_until([&] { return registry.running() == before; }));
}

TEST_CASE("an agent registered while the node runs keeps no snapshot of the "
          "catalog: a replaced catalog is freed, so agents registered one by "
          "one cost memory in proportion to their number",
          "[actors][dispatch][agents]") {
  test::temp_dir dir;
  auto n = test::start_node(test::test_options(dir));
  concurrency_probe probe;
  n->register_agent(engineer("e0", 1), probe.function());
  std::weak_ptr<const model::catalog> replaced = n->catalog();
  n->register_agent(engineer("e1", 1), probe.function());
  // Before, agent e0's actor held the catalog it was spawned with, and
  // each later one held one more agent: 10,000 took 17 GiB.
  CHECK(replaced.expired());
  CHECK(n->catalog()->agents.count("e1") == 1);
}

TEST_CASE("a department quota bounds the tasks its agents run at once",
          "[actors][dispatch][limits]") {
  test::temp_dir dir;
  auto opts = test::test_options(dir);
  opts.config.dispatch.department_quotas = {{"engineering", 1}};
  auto n = test::start_node(opts);
  concurrency_probe probe;
  n->register_agent(engineer("e1", 4), probe.function());
  n->register_agent(engineer("e2", 4), probe.function());
  test::event_log log;
  auto wf = test::workflow(
      fan_out("name: Quota\n", 4,
              "agent: {department: engineering, capabilities: [build]}"));
  REQUIRE(n->submit(wf, {}, log.observer()));
  REQUIRE(wait_until([&] { return log.finished(); }));
  CHECK(log.outcome().state == "completed");
  CHECK(probe.peak == 1);
}

namespace {

// Keeps a steady stream of high-priority executions waiting for the one
// agent `single` while one low-priority execution waits too; returns how
// many high-priority ones finished before the low one (or `cap` if it
// never did).
int highs_before_low(double aging_per_second, int cap) {
  test::temp_dir dir;
  auto cat = test::make_catalog();
  auto single = must(
      model::parse_agent("{id: single, capacity: 1, latency_ms: 30}", "t"));
  cat->agents[single.id] = single;
  auto opts = test::test_options(dir, cat);
  opts.config.dispatch.aging_per_second = aging_per_second;
  auto n = test::start_node(opts);
  auto high = test::workflow(
      "name: High\npriority: 10\nsteps:\n  - {id: h, agent_id: single, "
      "command_template_id: cmd_echo, params: {text: h}}\n");
  auto low = test::workflow(
      "name: Low\nsteps:\n  - {id: l, agent_id: single, command_template_id: "
      "cmd_echo, params: {text: l}}\n");
  std::atomic<int> highs_done{0};
  std::atomic<bool> low_done{false};
  std::atomic<int> highs_when_low{-1};
  model::execution_observer on_high{
      {}, [&](const model::execution_finished&) { ++highs_done; }};
  model::execution_observer on_low{{}, [&](const model::execution_finished&) {
                                     highs_when_low = highs_done.load();
                                     low_done = true;
                                   }};
  // A few high ones wait before the low one arrives; then so many are
  // kept in flight that some always wait at the dispatcher, however slowly
  // submits commit on a loaded machine.
  const int backlog = 60;
  int submitted = 0;
  auto submit_highs = [&](int in_flight) {
    while (submitted - highs_done < in_flight && submitted < cap + backlog) {
      REQUIRE(n->submit(high, {}, on_high));
      ++submitted;
    }
  };
  auto keep_backlog = [&] { submit_highs(backlog); };
  submit_highs(5);
  REQUIRE(n->submit(low, {}, on_low));
  while (!low_done && highs_done < cap) {
    keep_backlog();
    REQUIRE(
        wait_until([&] { return low_done || submitted - highs_done < backlog; },
                   std::chrono::seconds{10}));
  }
  REQUIRE(
      wait_until([&] { return low_done.load(); }, std::chrono::seconds{20}));
  return highs_when_low;
}

} // namespace

TEST_CASE("a low-priority step is not starved by a steady stream of "
          "high-priority work: waiting raises its priority",
          "[actors][dispatch][priority]") {
  // Aging of 2000 per second lifts priority 0 past 10 after 5 ms: the low
  // step waits for the older high ones and those that came in its first
  // 5 ms, not for the stream.
  CHECK(highs_before_low(2000, 80) < 40);
  // Without aging the stream keeps it waiting to the end: the bound above
  // is aging's doing.
  CHECK(highs_before_low(0, 80) >= 80);
}

TEST_CASE("a step's judge evaluator scores its result: the score is the "
          "result's quality and what routing learns, and an answer without "
          "a score leaves the rules' verdict",
          "[actors][dispatch][feedback]") {
  test::temp_dir dir;
  auto cat = test::make_catalog();
  cat->templates["cmd_grade"] = must(model::parse_command_template(
      "id: cmd_grade\nparams: {output: {type: string, required: true}}\n"
      "prompt: 'Grade: {{output}}'\noutput: {format: text}\n",
      "t"));
  auto opts = test::test_options(dir, cat);
  opts.config.batch_interval_ms = 10;
  auto n = test::start_node(opts);
  model::agent_def writer;
  writer.id = "writer";
  writer.department = "docs";
  n->register_agent(writer, [](const model::task_request& t) {
    model::task_reply r;
    r.task_id = t.task_id;
    r.ok = true;
    r.output = "## Answer\nbad draft";
    return r;
  });
  model::agent_def grader;
  grader.id = "grader";
  std::string verdict = "Score: 25%";
  std::string graded;
  n->register_agent(grader, [&](const model::task_request& t) {
    graded = t.prompt;
    model::task_reply r;
    r.task_id = t.task_id;
    r.ok = true;
    r.output = verdict;
    return r;
  });
  auto wf = test::workflow(
      "name: Graded\nsteps:\n  - {id: w, agent_id: writer, "
      "command_template_id: cmd_echo, params: {text: x}, evaluator: "
      "{judge_agent: grader, judge_template: cmd_grade}}\n");
  auto run = [&] {
    test::event_log log;
    auto id = n->submit(wf, {}, log.observer());
    REQUIRE(id);
    REQUIRE(wait_until([&] { return log.finished(); }));
    REQUIRE(log.outcome().state == "completed");
    nlohmann::json decision;
    REQUIRE(wait_until([&] {
      auto x = n->execution(*id);
      decision = x.value ? x.value->steps.at(0).decision : nullptr;
      return !decision.is_null();
    }));
    return decision["evaluation"];
  };
  auto mean = [&] {
    for (const auto& x : n->learned_quality())
      if (x.agent == "writer")
        return x.mean;
    return -1.0;
  };
  auto e = run();
  CHECK(e["judge"] == "grader");
  CHECK(e["score"] == 0.25);
  CHECK_THAT(graded, Catch::Contains("bad draft")); // it saw the result
  CHECK(mean() == Approx((0.25 + 1) / 3)); // one fractional observation

  verdict = "no idea";
  auto none = run();
  CHECK(none["score"].is_null());
  // The rules were satisfied (an Answer section): a success is learned.
  CHECK(mean() > (0.25 + 1) / 3);
}
