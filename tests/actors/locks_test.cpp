// Steps that declare resource locks, on a real node: exclusivity under
// randomized lock sets, timeouts naming the holder, release on cancel.

#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "model/lock_table.hpp"
#include "tests/support/node_fixture.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using hishamos::test::wait_until;
using model::lock_request;

namespace {

// Step locks per (execution, step), and a function agent that checks no two
// of its calls ever hold conflicting locks at once.
struct lock_probe {
  std::mutex mx;
  std::map<std::string, std::vector<lock_request>> locks_of; ///< step id
  std::map<std::string, int> exclusive, shared;              ///< held now
  std::atomic<int> violations{0};
  std::atomic<int> calls{0};

  model::agent_function function() {
    return [this](const model::task_request& t) {
      std::vector<lock_request> mine;
      {
        std::lock_guard<std::mutex> guard{mx};
        mine = locks_of[t.step_id];
        for (const auto& l : mine) {
          if (exclusive[l.resource] > 0 ||
              (l.exclusive && shared[l.resource] > 0))
            ++violations;
          ++(l.exclusive ? exclusive : shared)[l.resource];
        }
      }
      ++calls;
      // The agent's own work, so that holders overlap in time.
      std::this_thread::sleep_for(std::chrono::milliseconds{2});
      {
        std::lock_guard<std::mutex> guard{mx};
        for (const auto& l : mine)
          --(l.exclusive ? exclusive : shared)[l.resource];
      }
      model::task_reply r;
      r.task_id = t.task_id;
      r.ok = true;
      r.output = "## Answer\nok";
      return r;
    };
  }
};

std::string lock_yaml(const std::vector<lock_request>& locks) {
  std::string out;
  for (const auto& l : locks)
    out += std::string{out.empty() ? "" : ", "} + "{resource: " + l.resource +
           ", mode: " + (l.exclusive ? "exclusive" : "shared") + "}";
  return "[" + out + "]";
}

} // namespace

TEST_CASE("steps with randomized lock sets across many concurrent executions "
          "all complete and never hold conflicting locks at once",
          "[actors][locks]") {
  test::temp_dir dir;
  auto n = test::start_node(test::test_options(dir));
  lock_probe probe;
  model::agent_def def;
  def.id = "locker";
  def.capacity = 8;
  n->register_agent(def, probe.function());
  std::mt19937 rng{20261201}; // seeded: a failure can be replayed
  const std::vector<std::string> resources{"repo:main", "db", "cache"};
  std::vector<std::unique_ptr<test::event_log>> logs;
  for (int e = 0; e < 30; ++e) {
    std::string yaml = "name: L" + std::to_string(e) + "\nsteps:\n";
    for (int k = 0; k < 3; ++k) {
      std::vector<lock_request> locks;
      for (const auto& r : resources)
        if (rng() % 2 == 0)
          locks.push_back({r, rng() % 3 == 0});
      auto id = "e" + std::to_string(e) + "s" + std::to_string(k);
      {
        std::lock_guard<std::mutex> guard{probe.mx};
        probe.locks_of[id] = locks;
      }
      yaml += "  - {id: " + id +
              ", agent_id: locker, command_template_id: cmd_echo, params: "
              "{text: x}, locks: " +
              lock_yaml(locks) + "}\n";
    }
    logs.push_back(std::make_unique<test::event_log>());
    REQUIRE(n->submit(test::workflow(yaml), {}, logs.back()->observer()));
  }
  for (auto& log : logs) {
    REQUIRE(
        wait_until([&] { return log->finished(); }, std::chrono::seconds{30}));
    CHECK(log->outcome().state == "completed");
  }
  CHECK(probe.calls == 90);
  CHECK(probe.violations == 0);
}

namespace {

std::shared_ptr<model::catalog> catalog_with_slow_lock_holder() {
  auto cat = test::make_catalog();
  auto holder =
      *model::parse_agent("{id: holder, capacity: 4, latency_ms: 2000}", "t");
  cat->agents[holder.id] = holder;
  return cat;
}

const char* hold_repo =
    "name: Hold\nsteps:\n  - {id: a, agent_id: holder, command_template_id: "
    "cmd_echo, params: {text: a}, locks: [{resource: 'repo:main'}]}\n";

// A node where an execution holds repo:main (its agent answers after 2 s)
// and a second one, `waiter`, was submitted after it.
struct held_lock {
  test::temp_dir dir;
  std::unique_ptr<node> n;
  test::event_log holder_log, waiter_log;
  std::string holder_id;

  explicit held_lock(const std::string& waiter_yaml) {
    n = test::start_node(
        test::test_options(dir, catalog_with_slow_lock_holder()));
    auto id = n->submit(test::workflow(hold_repo), {}, holder_log.observer());
    REQUIRE(id);
    holder_id = *id;
    REQUIRE(wait_until([&] { return !holder_log.of("a", "started").empty(); }));
    REQUIRE(n->submit(test::workflow(waiter_yaml), {}, waiter_log.observer()));
  }
};

} // namespace

TEST_CASE("a step that waits for a lock longer than its lock_timeout_ms "
          "fails with an error naming the holder",
          "[actors][locks]") {
  held_lock h{"name: Wait\nsteps:\n  - {id: b, agent_id: fast, "
              "command_template_id: cmd_echo, params: {text: b}, locks: "
              "[{resource: 'repo:main', mode: shared}], lock_timeout_ms: "
              "100}\n"};
  REQUIRE(wait_until([&] { return h.waiter_log.finished(); }));
  CHECK(h.waiter_log.outcome().state == "failed");
  CHECK_THAT(h.waiter_log.outcome().error,
             Catch::Contains("waited 100 ms for its locks repo:main (shared), "
                             "held by step 'a' of execution " +
                             h.holder_id));
  CHECK_FALSE(h.holder_log.finished()); // the holder is still at work
}

TEST_CASE("cancelling the execution that holds a lock lets the next step "
          "have it",
          "[actors][locks]") {
  held_lock h{"name: Next\nsteps:\n  - {id: b, agent_id: fast, "
              "command_template_id: cmd_echo, params: {text: b}, locks: "
              "[{resource: 'repo:main'}]}\n"};
  CHECK_FALSE(wait_until([&] { return h.waiter_log.finished(); },
                         std::chrono::milliseconds{200})); // it waits
  REQUIRE(h.n->cancel(h.holder_id));
  REQUIRE(wait_until([&] { return h.waiter_log.finished(); }));
  CHECK(h.waiter_log.outcome().state == "completed");
  CHECK(h.holder_log.outcome().state == "cancelled");
}
