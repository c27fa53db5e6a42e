// Crash recovery with real processes: SIGKILL a node in the middle of
// executions, start it again, and check the store and the effect ledger.

#include <catch2/catch.hpp>

#include <csignal>
#include <map>
#include <set>
#include <sstream>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "persistence/store.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using test::wait_until;

namespace {

const std::string binary = HISHAMOS_BINARY;
constexpr int executions = 30;
constexpr int steps_per_execution = 4;

struct cluster_dir {
  test::temp_dir dir;
  int port = test::free_port();
  std::string config;
  std::string effects = dir / "effects.log";

  cluster_dir() {
    dir.write("catalog/agents/worker.yaml",
              "id: worker\ncapacity: 16\nlatency_ms: 200\n");
    dir.write("catalog/templates/echo.yaml",
              "id: cmd_echo\nparams:\n  text: {type: string, required: true}\n"
              "prompt: 'Echo {{text}}'\n");
    dir.write("catalog/workflows/diamond.yaml",
              "name: Diamond\nsteps:\n"
              "  - {id: a, agent_id: worker, command_template_id: cmd_echo, "
              "params: {text: a}}\n"
              "  - {id: b, depends_on: [a], agent_id: worker, "
              "command_template_id: cmd_echo, "
              "params: {text: '{{steps.a.output}}'}}\n"
              "  - {id: c, depends_on: [a], agent_id: worker, "
              "command_template_id: cmd_echo, "
              "params: {text: c}}\n"
              "  - {id: d, depends_on: [b, c], agent_id: worker, "
              "command_template_id: cmd_echo, "
              "params: {text: d}}\n");
    config = dir.write(
        "node.yaml",
        "node: {id: n1}\nhttp: {listen: 127.0.0.1:" + std::to_string(port) +
            "}\nstore: {url: 'sqlite:" + (dir / "store.db") +
            "'}\ncatalog: {paths: ['" + (dir / "catalog") + "']}\n");
  }

  std::unique_ptr<test::background_process> start_node(const std::string& log) {
    auto p = std::make_unique<test::background_process>(
        std::vector<std::string>{binary, "node", "--config", config},
        std::map<std::string, std::string>{{"HISHAMOS_EFFECT_LOG", effects}},
        dir / log);
    httplib::Client client{"127.0.0.1", port};
    INFO(test::read_text(dir / log));
    REQUIRE(
        wait_until([&] { return static_cast<bool>(client.Get("/health")); }));
    return p;
  }
};

// Committed checkpoints per execution, read straight from the store.
std::map<std::string, std::set<std::string>> committed(persistence::store& s) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& x : s.list_executions(1000).value)
    for (const auto& cp : s.checkpoints(x.id).value)
      out[x.id].insert(cp.step_id);
  return out;
}

size_t count_steps(const std::map<std::string, std::set<std::string>>& m) {
  size_t n = 0;
  for (const auto& [id, steps] : m)
    n += steps.size();
  return n;
}

// (execution, step) -> how often an agent really ran it, from a ledger slice.
std::map<std::pair<std::string, std::string>, int>
effects_in(const std::string& text) {
  std::map<std::pair<std::string, std::string>, int> out;
  std::istringstream in{text};
  std::string exec, step;
  int attempt;
  std::string node, agent;
  while (in >> exec >> step >> attempt >> node >> agent)
    ++out[{exec, step}];
  return out;
}

} // namespace

SCENARIO("a node killed with SIGKILL mid-run resumes every execution without "
         "repeating "
         "finished steps",
         "[chaos][recovery]") {
  GIVEN("a node running 30 executions of a four-step workflow") {
    cluster_dir c;
    auto node = c.start_node("first.log");
    httplib::Client client{"127.0.0.1", c.port};
    for (int i = 0; i < executions; ++i) {
      auto res = client.Post("/api/v1/workflows/Diamond/execute", "{}",
                             "application/json");
      REQUIRE(res);
      REQUIRE(res->status == 202);
    }
    auto store = persistence::open_store("sqlite:" + (c.dir / "store.db"));
    REQUIRE(store);

    WHEN("it is killed with SIGKILL after some steps are committed, then "
         "started again") {
      REQUIRE(
          wait_until([&] { return count_steps(committed(*store.value)) >= 30; },
                     std::chrono::seconds{20}));
      node->kill_and_wait(SIGKILL);
      auto before = committed(*store.value);
      auto ledger_before = test::read_text(c.effects);
      size_t unfinished = 0;
      for (const auto& x : store.value->list_executions(1000).value)
        unfinished += !persistence::is_terminal(x.state);
      REQUIRE(unfinished > 0); // the kill really interrupted work
      REQUIRE(count_steps(before) < executions * steps_per_execution);

      auto restarted = c.start_node("second.log");

      THEN("every execution completes and no committed step runs again") {
        REQUIRE(wait_until(
            [&] {
              auto all = store.value->list_executions(1000).value;
              return std::all_of(all.begin(), all.end(), [](const auto& x) {
                return x.state == persistence::execution_state::completed;
              });
            },
            std::chrono::seconds{30}));
        auto after = committed(*store.value);
        REQUIRE(after.size() == executions);
        for (const auto& [id, steps] : after)
          CHECK(steps.size() == steps_per_execution);

        auto ledger = test::read_text(c.effects);
        REQUIRE(ledger.rfind(ledger_before, 0) == 0);
        auto ran_after_restart =
            effects_in(ledger.substr(ledger_before.size()));
        for (const auto& [id, steps] : before)
          for (const auto& step : steps) {
            INFO("execution " << id << " step " << step);
            CHECK(ran_after_restart.count({id, step}) == 0);
          }
        auto ran_ever = effects_in(ledger); // at least once per committed step
        for (const auto& [id, steps] : after)
          for (const auto& step : steps)
            CHECK(ran_ever[{id, step}] >= 1);
        CHECK_THAT(test::read_text(c.dir / "second.log"),
                   Catch::Contains("resumed executions: " +
                                   std::to_string(unfinished)));
      }
    }
  }
}
