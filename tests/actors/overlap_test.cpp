// Per-agent overlap policies on a real node: a second task for a
// conversation the agent is already working on is enqueued, rejected, or
// stops the running one (interrupt, rollback).

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include "tests/support/node_fixture.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using hishamos::test::wait_until;

namespace {

// A function agent that records when each of its calls ran.
struct call_log {
  std::mutex mx;
  std::vector<std::pair<std::chrono::steady_clock::time_point,
                        std::chrono::steady_clock::time_point>>
      calls;
  std::atomic<int> started{0};

  model::agent_function function(std::chrono::milliseconds work) {
    return [this, work](const model::task_request& t) {
      ++started;
      auto from = std::chrono::steady_clock::now();
      std::this_thread::sleep_for(work); // the agent's own work
      {
        std::lock_guard<std::mutex> guard{mx};
        calls.emplace_back(from, std::chrono::steady_clock::now());
      }
      model::task_reply r;
      r.task_id = t.task_id;
      r.ok = true;
      r.output = "## Answer\n" + t.params;
      return r;
    };
  }
};

model::agent_def talker(const std::string& policy) {
  model::agent_def def;
  def.id = "talker";
  def.capacity = 4;
  def.overlap = policy;
  return def;
}

std::shared_ptr<const model::workflow_def> chat(const std::string& name,
                                                const std::string& conv) {
  return test::workflow(
      "name: " + name +
      "\nsteps:\n  - {id: say, agent_id: talker, command_template_id: "
      "cmd_echo, params: {text: " +
      name + "}, conversation: '" + conv + "'}\n");
}

struct pair_run {
  test::event_log first, second;
};

// Starts the first chat, waits until the agent works on it, then sends
// the second one (same conversation unless told otherwise).
std::unique_ptr<pair_run> overlapping(node& n, call_log& calls,
                                      const std::string& second_conv = "c1") {
  auto out = std::make_unique<pair_run>();
  REQUIRE(n.submit(chat("First", "c1"), {}, out->first.observer()));
  REQUIRE(wait_until([&] { return calls.started >= 1; }));
  REQUIRE(n.submit(chat("Second", second_conv), {}, out->second.observer()));
  REQUIRE(wait_until(
      [&] { return out->first.finished() && out->second.finished(); },
      std::chrono::seconds{10}));
  return out;
}

} // namespace

TEST_CASE("enqueue: a second task of the same conversation runs after the "
          "first, and tasks of other conversations run alongside",
          "[actors][overlap]") {
  test::temp_dir dir;
  auto n = test::start_node(test::test_options(dir));
  call_log calls;
  n->register_agent(talker("enqueue"),
                    calls.function(std::chrono::milliseconds{150}));
  auto r = overlapping(*n, calls);
  CHECK(r->first.outcome().state == "completed");
  CHECK(r->second.outcome().state == "completed");
  REQUIRE(calls.calls.size() == 2);
  CHECK(calls.calls[1].first >= calls.calls[0].second); // one after the other

  call_log parallel;
  n->register_agent(talker("enqueue"),
                    parallel.function(std::chrono::milliseconds{150}));
  auto p = overlapping(*n, parallel, "c2");
  REQUIRE(parallel.calls.size() == 2);
  CHECK(parallel.calls[1].first < parallel.calls[0].second); // at once
}

TEST_CASE("reject: a second task of the same conversation fails at once and "
          "the first completes",
          "[actors][overlap]") {
  test::temp_dir dir;
  auto n = test::start_node(test::test_options(dir));
  call_log calls;
  n->register_agent(talker("reject"),
                    calls.function(std::chrono::milliseconds{150}));
  auto r = overlapping(*n, calls);
  CHECK(r->first.outcome().state == "completed");
  CHECK(r->second.outcome().state == "failed");
  CHECK_THAT(r->second.outcome().error,
             Catch::Contains("is working on conversation 'c1'"));
  CHECK_THAT(r->second.outcome().error,
             Catch::Contains("overlap policy is reject"));
  CHECK(calls.started == 1);
}

TEST_CASE("interrupt: the running task stops and its step runs again after "
          "the new one",
          "[actors][overlap]") {
  test::temp_dir dir;
  auto n = test::start_node(test::test_options(dir));
  call_log calls;
  n->register_agent(talker("interrupt"),
                    calls.function(std::chrono::milliseconds{150}));
  auto first = test::workflow(
      "name: First\nsteps:\n  - {id: say, agent_id: talker, "
      "command_template_id: cmd_echo, params: {text: First}, conversation: "
      "c1, retry: {max_attempts: 2, backoff_ms: 400}}\n");
  test::event_log a, b;
  REQUIRE(n->submit(first, {}, a.observer()));
  REQUIRE(wait_until([&] { return calls.started >= 1; }));
  REQUIRE(n->submit(chat("Second", "c1"), {}, b.observer()));
  REQUIRE(wait_until([&] { return a.finished() && b.finished(); },
                     std::chrono::seconds{10}));
  CHECK(b.outcome().state == "completed");
  CHECK(a.outcome().state == "completed"); // on its second attempt
  auto retried = a.of("say", "retrying");
  REQUIRE(retried.size() == 1);
  CHECK_THAT(retried[0].detail, Catch::Contains("interrupted by task"));
}

TEST_CASE("rollback: the running task stops with its work discarded and its "
          "step fails, the new one completes",
          "[actors][overlap]") {
  test::temp_dir dir;
  auto n = test::start_node(test::test_options(dir));
  call_log calls;
  n->register_agent(talker("rollback"),
                    calls.function(std::chrono::milliseconds{150}));
  auto r = overlapping(*n, calls);
  CHECK(r->second.outcome().state == "completed");
  CHECK(r->first.outcome().state == "failed");
  CHECK_THAT(r->first.outcome().error, Catch::Contains("rolled back by task"));
  CHECK_THAT(r->first.outcome().error,
             Catch::Contains("its work was discarded"));
}

TEST_CASE("an unknown overlap policy in an agent file is refused with the "
          "choices",
          "[actors][overlap]") {
  auto a = model::parse_agent("id: x\noverlap: queue\n", "x.yaml");
  REQUIRE_FALSE(a);
  CHECK_THAT(model::to_string(a.errors()),
             Catch::Contains("x.yaml:2: unknown overlap policy 'queue'; fix: "
                             "use enqueue, reject, interrupt or rollback"));
}
