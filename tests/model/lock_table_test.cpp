// The lock table's rules, and all-at-once granting in queue order.

#include <catch2/catch.hpp>

#include <random>

#include "model/lock_table.hpp"
#include "model/workflow.hpp"

using namespace hishamos;
using model::lock_request;

TEST_CASE("shared locks of a resource coexist and an exclusive one excludes "
          "all others, naming who blocks",
          "[unit][locks]") {
  model::lock_table t;
  t.grant("r1", {{"db", false}});
  CHECK(t.blockers({{"db", false}}).empty());
  t.grant("r2", {{"db", false}});
  CHECK(t.blockers({{"db", true}}) == std::vector<std::string>{"r1", "r2"});
  t.grant("w", {{"repo", true}});
  CHECK(t.blockers({{"repo", false}, {"other", true}}) ==
        std::vector<std::string>{"w"});
  t.release("r1");
  t.release("r2");
  CHECK(t.blockers({{"db", true}}).empty());
  t.release("w");
  CHECK(t.empty());
}

TEST_CASE("granting lock sets all at once in queue order never deadlocks and "
          "never lets two holders conflict (randomized, seeded)",
          "[unit][locks]") {
  std::mt19937 rng{GENERATE(1u, 2u, 3u, 4u, 5u)};
  INFO("seed index for replay");
  const std::vector<std::string> resources{"a", "b", "c", "d", "e"};
  struct step {
    std::string id;
    std::vector<lock_request> locks;
  };
  std::vector<step> queue;
  for (int i = 0; i < 300; ++i) {
    step s{"s" + std::to_string(i), {}};
    for (const auto& r : resources)
      if (rng() % 3 == 0)
        s.locks.push_back({r, rng() % 2 == 0});
    queue.push_back(std::move(s));
  }
  model::lock_table held;
  std::vector<step> running;
  int rounds = 0;
  while (!queue.empty() || !running.empty()) {
    REQUIRE(++rounds < 10000); // progress: no deadlock
    // Grant in queue order; a step that must wait reserves its locks
    // against the ones behind it (as the dispatcher does).
    model::lock_table reserved;
    for (auto it = queue.begin(); it != queue.end();) {
      if (held.blockers(it->locks).empty() &&
          reserved.blockers(it->locks).empty() && running.size() < 4) {
        held.grant(it->id, it->locks);
        running.push_back(*it);
        it = queue.erase(it);
      } else {
        reserved.grant(it->id, it->locks);
        ++it;
      }
    }
    // No two running steps conflict.
    for (size_t i = 0; i < running.size(); ++i)
      for (size_t j = i + 1; j < running.size(); ++j)
        for (const auto& x : running[i].locks)
          for (const auto& y : running[j].locks)
            if (x.resource == y.resource)
              REQUIRE(!(x.exclusive || y.exclusive));
    // One running step ends.
    if (!running.empty()) {
      auto k = rng() % running.size();
      held.release(running[k].id);
      running.erase(running.begin() + static_cast<long>(k));
    }
  }
  CHECK(held.empty());
}

TEST_CASE("a step's locks with an unknown mode or a resource listed twice "
          "are refused with the step and line",
          "[unit][locks]") {
  auto wf = model::parse_workflow(
      "name: W\nsteps:\n  - id: s\n    agent_id: a\n    command_template_id: "
      "t\n    locks: [{resource: db, mode: sharedd}, {resource: db}]\n",
      "w.yaml");
  REQUIRE_FALSE(wf);
  auto text = model::to_string(wf.errors());
  CHECK_THAT(text, Catch::Contains("w.yaml:6: step 's': unknown lock mode "
                                   "'sharedd'; fix: use exclusive or shared"));
  CHECK_THAT(text, Catch::Contains("resource 'db' is locked twice"));
}
