// Executions on a real actor system and a real SQLite store.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <caf/all.hpp>

#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "persistence/sqlite/sqlite_store.hpp"
#include "tests/support/gated_store.hpp"
#include "tests/support/group_commit_case.hpp"
#include "tests/support/metric_sample.hpp"
#include "tests/support/node_fixture.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using hishamos::test::wait_until;
using std::chrono::milliseconds;

namespace {

std::string step_yaml(const std::string& id, const std::string& agent,
                      const std::string& extra = "") {
  return "  - {id: " + id + ", agent_id: " + agent +
         ", command_template_id: cmd_echo, params: {text: " + id + "}" + extra +
         "}\n";
}

std::shared_ptr<model::catalog> catalog_with_sleepy() {
  auto cat = test::make_catalog();
  auto sleepy =
      *model::parse_agent("{id: sleepy, capacity: 4, latency_ms: 10000}", "t");
  cat->agents[sleepy.id] = sleepy;
  return cat;
}

model::agent_def function_agent(const std::string& id) {
  model::agent_def def;
  def.id = id;
  def.capacity = 2;
  return def;
}

std::string stored_state(node& n, const std::string& id) {
  auto x = n.execution(id);
  return x.value ? x.value->state : "missing";
}

// A node whose store connections pass through the gate `g`.
node_options gated_options(const test::temp_dir& dir,
                           std::shared_ptr<test::gate> g) {
  auto options = test::test_options(dir);
  auto path = dir / "store.db";
  options.store_factory =
      [path, g]() -> persistence::outcome<std::unique_ptr<persistence::store>> {
    auto inner = persistence::sqlite::open(path);
    if (!inner)
      return {inner.st};
    return {{}, std::make_unique<test::gated_store>(std::move(inner.value), g)};
  };
  return options;
}

caf::actor current_writer(node& n) {
  caf::scoped_actor self{n.system()};
  caf::actor out;
  self->request(n.persistence(), std::chrono::seconds{2},
                actors::writer_atom::value)
      .receive([&](caf::actor& w) { out = w; }, [](caf::error&) {});
  return out;
}

} // namespace

TEST_CASE("a node runs one scheduler worker per core, at least two, unless "
          "its options say how many",
          "[actors][execution]") {
  auto workers = [](int asked) {
    test::temp_dir dir;
    auto options = test::test_options(dir);
    options.scheduler_threads = asked;
    auto n = test::start_node(std::move(options));
    return n->system().scheduler().num_workers();
  };
  CHECK(workers(0) == std::max(2u, std::thread::hardware_concurrency()));
  CHECK(workers(3) == 3);
}

TEST_CASE("two independent steps really run at the same time",
          "[actors][execution]") {
  test::temp_dir dir;
  auto n = test::start_node(test::test_options(dir));
  test::event_log log;
  auto wf = test::workflow("name: P\nsteps:\n" + step_yaml("a", "slow") +
                           step_yaml("b", "slow"));
  auto id = n->submit(wf, {}, log.observer());
  REQUIRE(id);
  REQUIRE(wait_until([&] { return log.finished(); }));
  CHECK(log.outcome().state == "completed");
  auto a_start = log.of("a", "started").at(0).at_ms,
       b_start = log.of("b", "started").at(0).at_ms;
  auto a_done = log.of("a", "completed").at(0).at_ms,
       b_done = log.of("b", "completed").at(0).at_ms;
  // Each takes 300 ms; overlapping intervals mean both ran at once.
  CHECK(b_start < a_done);
  CHECK(a_start < b_done);
}

TEST_CASE("a failed step is retried with doubling backoff until it succeeds",
          "[actors][execution][retry]") {
  test::temp_dir dir;
  auto n = test::start_node(test::test_options(dir));
  n->register_agent(
      function_agent("retrier"), [](const model::task_request& t) {
        if (t.attempt < 3)
          return model::task_reply::failure(t.task_id, "try again", true);
        model::task_reply r;
        r.ok = true;
        r.output = "third time lucky: " + t.prompt;
        return r;
      });
  test::event_log log;
  auto wf = test::workflow(
      "name: R\nsteps:\n" +
      step_yaml("a", "retrier", ", retry: {max_attempts: 3, backoff_ms: 100}"));
  REQUIRE(n->submit(wf, {}, log.observer()));
  REQUIRE(wait_until([&] { return log.finished(); }));
  CHECK(log.outcome().state == "completed");
  CHECK_THAT(log.outcome().output,
             Catch::Contains("third time lucky: Echo a x1"));
  auto retries = log.of("a", "retrying");
  auto starts = log.of("a", "started");
  REQUIRE(retries.size() == 2);
  REQUIRE(starts.size() == 3);
  CHECK(starts[2].attempt == 3);
  CHECK(starts[1].at_ms - retries[0].at_ms >= 100);
  CHECK(starts[2].at_ms - retries[1].at_ms >= 200); // doubled
}

TEST_CASE("a step that keeps failing fails the execution after max_attempts",
          "[actors][execution][retry]") {
  test::temp_dir dir;
  auto n = test::start_node(test::test_options(dir));
  test::event_log log;
  auto wf = test::workflow(
      "name: F\nsteps:\n" +
      step_yaml("a", "flaky", ", retry: {max_attempts: 2, backoff_ms: 10}") +
      "  - {id: b, depends_on: [a], agent_id: fast, "
      "command_template_id: cmd_echo, params: {text: b}}\n");
  auto id = n->submit(wf, {}, log.observer());
  REQUIRE(id);
  REQUIRE(wait_until([&] { return log.finished(); }));
  auto out = log.outcome();
  CHECK(out.state == "failed");
  CHECK_THAT(out.error, Catch::Contains("step 'a' failed after 2 attempt(s)"));
  CHECK_THAT(out.error, Catch::Contains("simulated failure"));
  CHECK(log.of("b", "started").empty());
  CHECK(stored_state(*n, *id) == "failed");
}

TEST_CASE("a step that exceeds timeout_ms is timed out and retried",
          "[actors][execution][timeout]") {
  test::temp_dir dir;
  auto n = test::start_node(test::test_options(dir, catalog_with_sleepy()));
  test::event_log log;
  auto wf = test::workflow(
      "name: T\nsteps:\n" +
      step_yaml("a", "sleepy",
                ", timeout_ms: 100, retry: {max_attempts: 2, backoff_ms: 10}"));
  REQUIRE(n->submit(wf, {}, log.observer()));
  // The agent would answer after 10 s; the timeout ends it long before.
  REQUIRE(wait_until([&] { return log.finished(); }, std::chrono::seconds{5}));
  CHECK(log.outcome().state == "failed");
  CHECK_THAT(log.outcome().error, Catch::Contains("timed out after 100 ms"));
  CHECK(log.of("a", "started").size() == 2);
}

TEST_CASE("a running execution can be cancelled",
          "[actors][execution][cancel]") {
  test::temp_dir dir;
  auto n = test::start_node(test::test_options(dir, catalog_with_sleepy()));
  test::event_log log;
  auto wf = test::workflow("name: C\nsteps:\n" + step_yaml("a", "sleepy"));
  auto id = n->submit(wf, {}, log.observer());
  REQUIRE(id);
  REQUIRE(wait_until([&] { return !log.of("a", "started").empty(); }));
  CHECK(n->cancel(*id));
  REQUIRE(wait_until([&] { return log.finished(); }, std::chrono::seconds{5}));
  CHECK(log.outcome().state == "cancelled");
  CHECK(stored_state(*n, *id) == "cancelled");
  CHECK(wait_until([&] { return !n->cancel(*id); })); // no longer running
}

TEST_CASE("a child never starts before its parent's checkpoint is acknowledged",
          "[actors][execution][write-ahead]") {
  test::temp_dir dir;
  auto g = std::make_shared<test::gate>();
  auto n = test::start_node(gated_options(dir, g));
  test::event_log log;
  auto wf =
      test::workflow("name: W\nsteps:\n" + step_yaml("a", "fast") +
                     "  - {id: b, depends_on: [a], agent_id: fast, "
                     "command_template_id: cmd_echo, params: {text: b}}\n");
  g->close();
  auto id = n->submit(wf, {}, log.observer());
  REQUIRE(id);
  REQUIRE(wait_until([&] { return g->holds("a"); }));
  // a's result exists but its checkpoint is not committed: b must not start.
  CHECK_FALSE(wait_until([&] { return !log.of("b", "started").empty(); },
                         milliseconds{300}));
  CHECK(log.of("a", "completed").empty());
  auto released_at = persistence::now_ms();
  g->release();
  REQUIRE(wait_until([&] { return log.finished(); }));
  CHECK(log.outcome().state == "completed");
  CHECK(log.of("b", "started").at(0).at_ms >= released_at);
}

TEST_CASE("when the store refuses a flush's checkpoints and state changes "
          "together, each part is stored alone and nothing waits or is lost",
          "[actors][persistence]") {
  test::temp_dir dir;
  auto g = std::make_shared<test::gate>();
  g->refuse_groups = 1000000;
  auto n = test::start_node(gated_options(dir, g));
  auto wf = test::workflow("name: G\nsteps:\n" + step_yaml("a", "fast"));
  // Rounds of concurrent executions until a flush held both kinds (one's
  // checkpoint, another's end), with a deadline.
  std::vector<std::unique_ptr<test::event_log>> logs;
  std::vector<std::string> ids;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
  while (g->count(&test::gate::groups_refused) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 20; ++i) {
      logs.push_back(std::make_unique<test::event_log>());
      auto id = n->submit(wf, {}, logs.back()->observer());
      REQUIRE(id);
      ids.push_back(*id);
    }
    REQUIRE(wait_until([&] {
      return std::all_of(logs.begin(), logs.end(),
                         [](auto& l) { return l->finished(); });
    }));
  }
  REQUIRE(g->count(&test::gate::groups_refused) > 0);
  for (size_t i = 0; i < ids.size(); ++i) {
    CHECK(logs[i]->outcome().state == "completed");
    CHECK(stored_state(*n, ids[i]) == "completed");
    CHECK(n->execution(ids[i]).value->steps.at(0).state == "completed");
  }
}

TEST_CASE("a checkpoint the store holds past the node's answer limit is sent "
          "again, and once the store moves the execution completes with its "
          "step and its cost line stored once",
          "[actors][persistence][supervision]") {
  test::temp_dir dir;
  auto g = std::make_shared<test::gate>();
  auto options = gated_options(dir, g);
  options.store_answer_within = milliseconds{200};
  auto n = test::start_node(std::move(options));
  test::event_log log;
  auto wf = test::workflow("name: H\nsteps:\n" + step_yaml("a", "fast"));
  g->close();
  auto id = n->submit(wf, {}, log.observer());
  REQUIRE(id);
  REQUIRE(wait_until([&] { return g->holds("a"); }));
  // The store still holds the first write; the execution was told to send
  // it again rather than wait for ever, and did.
  REQUIRE(wait_until([&] {
    return test::metric_sample(n->metrics_text(),
                               "hishamos_checkpoint_resends_total") > 0;
  }));
  CHECK(log.of("a", "completed").empty());
  g->release();
  REQUIRE(wait_until([&] { return log.finished(); }));
  CHECK(log.outcome().state == "completed");
  CHECK(stored_state(*n, *id) == "completed");
  model::cost_query q;
  q.by = model::cost_grouping::step;
  q.execution_id = *id;
  auto rows = n->costs(q);
  REQUIRE(rows);
  REQUIRE(rows.value.size() == 1);
  CHECK(rows.value[0].calls == 1);
}

TEST_CASE("the checkpoint writer is restarted after it is killed and no "
          "checkpoint is lost",
          "[actors][persistence][supervision]") {
  test::temp_dir dir;
  auto n = test::start_node(test::test_options(dir));
  auto first = current_writer(*n);
  REQUIRE(first);
  caf::anon_send_exit(first, caf::exit_reason::kill);
  caf::actor second;
  REQUIRE(wait_until([&] {
    second = current_writer(*n);
    return second && second != first;
  }));
  std::vector<std::unique_ptr<test::event_log>> logs;
  std::vector<std::string> ids;
  auto wf =
      test::workflow("name: K\nsteps:\n" + step_yaml("a", "fast") +
                     "  - {id: b, depends_on: [a], agent_id: fast, "
                     "command_template_id: cmd_echo, params: {text: b}}\n" +
                     "  - {id: c, depends_on: [b], agent_id: fast, "
                     "command_template_id: cmd_echo, params: {text: c}}\n");
  for (int i = 0; i < 20; ++i) {
    logs.push_back(std::make_unique<test::event_log>());
    auto id = n->submit(wf, {}, logs.back()->observer());
    REQUIRE(id);
    ids.push_back(*id);
    if (i == 10) // kill it again while executions are checkpointing
      caf::anon_send_exit(current_writer(*n), caf::exit_reason::kill);
  }
  REQUIRE(wait_until([&] {
    return std::all_of(logs.begin(), logs.end(),
                       [](auto& l) { return l->finished(); });
  }));
  for (size_t i = 0; i < ids.size(); ++i) {
    CHECK(logs[i]->outcome().state == "completed");
    auto x = n->execution(ids[i]).value;
    REQUIRE(x);
    CHECK(x->state == "completed");
    for (const auto& s : x->steps)
      CHECK(s.state == "completed");
  }
  CHECK_THAT(n->metrics_text(),
             Catch::Contains("hishamos_checkpoint_writer_restarts_total"));
  CHECK_THAT(n->metrics_text(),
             !Catch::Contains("hishamos_checkpoint_writer_restarts_total 0"));
}

TEST_CASE("an agent implemented as an actor answers tasks and completion "
          "arrives as a message",
          "[actors][embedder]") {
  test::temp_dir dir;
  auto cat = test::make_catalog();
  cat->workflows["A"] =
      test::workflow("name: A\nsteps:\n" + step_yaml("a", "actor_agent"));
  auto n = test::start_node(test::test_options(dir, cat));
  auto impl = n->system().spawn([]() -> caf::behavior {
    return {[](model::task_request& t) {
      model::task_reply r;
      r.task_id = t.task_id;
      r.ok = true;
      r.output = "actor saw: " + t.prompt;
      return r;
    }};
  });
  n->register_agent(function_agent("actor_agent"), impl);
  caf::scoped_actor listener{n->system()};
  auto id = n->submit("A", {}, caf::actor{listener});
  REQUIRE(id);
  model::execution_finished done;
  listener->receive([&](model::execution_finished& x) { done = x; },
                    caf::after(std::chrono::seconds{10}) >> [] {});
  CHECK(done.execution_id == *id);
  CHECK(done.state == "completed");
  CHECK_THAT(done.output, Catch::Contains("actor saw: Echo a x1"));
  caf::anon_send_exit(impl, caf::exit_reason::user_shutdown);
}

TEST_CASE("a step whose agent stays at capacity for longer than the "
          "dispatcher's requeue limit waits for it and runs on its first "
          "attempt",
          "[actors][dispatch]") {
  test::temp_dir dir;
  auto cat = test::make_catalog();
  cat->workflows["A"] =
      test::workflow("name: A\nsteps:\n" + step_yaml("a", "crowded"));
  auto n = test::start_node(test::test_options(dir, cat));
  // Other nodes' dispatchers fill it: it refuses 3x the requeue limit.
  struct seen {
    int busy = 0;
    int ran_attempt = 0;
  };
  auto got = std::make_shared<seen>();
  auto impl = n->system().spawn([got]() -> caf::behavior {
    return {[got](model::task_request& t) {
      if (got->busy < 60) {
        ++got->busy;
        auto r = model::task_reply::failure(t.task_id, "at capacity", true);
        r.busy = true;
        return r;
      }
      got->ran_attempt = t.attempt;
      model::task_reply r;
      r.task_id = t.task_id;
      r.ok = true;
      r.output = "ran";
      return r;
    }};
  });
  n->register_agent(function_agent("crowded"), impl);
  caf::scoped_actor listener{n->system()};
  REQUIRE(n->submit("A", {}, caf::actor{listener}));
  model::execution_finished done;
  listener->receive([&](model::execution_finished& x) { done = x; },
                    caf::after(std::chrono::seconds{20}) >> [] {});
  INFO(done.error);
  CHECK(done.state == "completed");
  caf::anon_send_exit(impl, caf::exit_reason::user_shutdown);
  caf::scoped_actor { n->system() } -> wait_for(impl);
  CHECK(got->busy == 60);
  CHECK(got->ran_attempt == 1);
}

TEST_CASE("every message type survives a serialization round trip",
          "[actors][wire]") {
  caf::actor_system_config cfg;
  actors::add_message_types(cfg);
  caf::actor_system sys{cfg};
  auto round_trip = [&](auto x) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    REQUIRE_FALSE(sink(x));
    decltype(x) y;
    caf::binary_deserializer source{sys, buf};
    REQUIRE_FALSE(source(y));
    return y;
  };
  actors::assign_step a;
  a.task = {"t", "e", "s", 2, "ag", "tpl", "{}", "p"};
  a.capabilities = {"x", "y"};
  auto a2 = round_trip(a);
  CHECK(a2.task.attempt == 2);
  CHECK(a2.capabilities == a.capabilities);
  auto cp =
      round_trip(persistence::checkpoint{"e", "s", 3, 7, "out", "ag", 1, 2});
  CHECK(cp.epoch == 7);
  CHECK(cp.output == "out");
  auto sc = round_trip(persistence::state_change{
      "e", 2, persistence::execution_state::failed, "", "why"});
  CHECK(sc.state == persistence::execution_state::failed);
  auto ack = round_trip(actors::store_ack{persistence::errc::stale_epoch, "m"});
  CHECK(ack.code == persistence::errc::stale_epoch);
  auto fin =
      round_trip(model::execution_finished{"e", "w", "completed", "{}", ""});
  CHECK(fin.state == "completed");
  model::agent_def def;
  def.id = "x";
  def.capabilities = {"c"};
  def.quality = 0.5;
  CHECK(round_trip(def).quality == 0.5);
}

// Compile-time contracts of message types.
static_assert(std::is_nothrow_move_constructible_v<actors::assign_step>);
static_assert(std::is_nothrow_move_constructible_v<persistence::checkpoint>);
static_assert(std::is_nothrow_move_constructible_v<model::task_reply>);

namespace {

size_t thread_count() {
  return std::distance(std::filesystem::directory_iterator{"/proc/self/task"},
                       std::filesystem::directory_iterator{});
}

} // namespace

TEST_CASE("a thousand concurrent slow local calls cost no threads",
          "[actors][provider]") {
  test::temp_dir dir;
  auto cat = test::make_catalog();
  auto wide =
      *model::parse_agent("{id: wide, capacity: 1000, latency_ms: 60000}", "t");
  cat->agents[wide.id] = wide;
  auto n = test::start_node(test::test_options(dir, cat));
  std::string yaml = "name: Wide\nsteps:\n";
  for (int i = 0; i < 1000; ++i)
    yaml += step_yaml("s" + std::to_string(i), "wide");
  test::event_log log;
  auto before = thread_count();
  auto id = n->submit(test::workflow(yaml), {}, log.observer());
  REQUIRE(id);
  REQUIRE(wait_until([&] { return log.events().size() == 1000; }));
  // All 1000 model calls are in flight now, each waiting on a timer.
  CHECK(thread_count() <= before + 2);
  CHECK(n->cancel(*id));
  REQUIRE(wait_until([&] { return log.finished(); }));
  CHECK(log.outcome().state == "cancelled");
}

TEST_CASE(
    "checkpoints waiting together are committed in one transaction (SQLite)",
    "[actors][persistence][group-commit]") {
  test::temp_dir dir;
  test::check_group_commit("sqlite:" + (dir / "gc.db"));
}

TEST_CASE("a node at its execution limit queues new executions in the store "
          "and runs them as others end",
          "[actors][placement]") {
  test::temp_dir dir;
  auto o = test::test_options(dir);
  o.config.max_executions = 2;
  auto cat = test::make_catalog();
  auto n = test::start_node(std::move(o));
  auto wf = test::workflow("name: Q\nsteps:\n" + step_yaml("a", "slow"));
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    auto id = n->submit(wf, {});
    REQUIRE(id);
    ids.push_back(*id);
  }
  // The ones beyond the limit wait unowned in the store.
  CHECK(n->execution(ids[5]).value->state == "pending");
  CHECK(n->execution(ids[5]).value->owner_node.empty());
  int most_running = 0;
  auto running = [&] {
    const std::string series = "\nhishamos_executions_running ";
    auto text = n->metrics_text();
    auto pos = text.find(series);
    return pos == std::string::npos
               ? 0
               : static_cast<int>(std::stod(text.substr(pos + series.size())));
  };
  REQUIRE(wait_until(
      [&] {
        most_running = std::max(most_running, running());
        for (const auto& id : ids)
          if (n->execution(id).value->state != "completed")
            return false;
        return true;
      },
      std::chrono::seconds{20}));
  CHECK(most_running <= 2);
  CHECK(most_running >= 1);
}

TEST_CASE("a node restarted with an execution limit resumes only that many "
          "of its unfinished executions — the rest wait unowned and run as "
          "others end",
          "[actors][placement]") {
  test::temp_dir dir;
  auto wf = test::workflow("name: Q\nsteps:\n" + step_yaml("a", "slow") +
                           "  - {id: b, depends_on: [a], agent_id: slow, "
                           "command_template_id: cmd_echo, params: {text: "
                           "b}}\n");
  std::vector<std::string> ids;
  {
    auto n = test::start_node(test::test_options(dir));
    std::vector<test::event_log> logs(3);
    for (auto& log : logs) {
      auto id = n->submit(wf, {}, log.observer());
      REQUIRE(id);
      ids.push_back(*id);
    }
    // All three are mid-run when the node goes.
    REQUIRE(wait_until([&] {
      for (auto& log : logs)
        if (log.of("a", "started").empty())
          return false;
      return true;
    }));
  }
  auto o = test::test_options(dir);
  o.config.max_executions = 1;
  auto n = test::start_node(std::move(o));
  CHECK(n->resumed() == 1);
  int unowned = 0;
  for (const auto& id : ids) {
    auto x = n->execution(id).value;
    unowned += x->owner_node.empty() && x->state == "pending";
  }
  CHECK(unowned == 2);
  REQUIRE(wait_until(
      [&] {
        for (const auto& id : ids)
          if (n->execution(id).value->state != "completed")
            return false;
        return true;
      },
      std::chrono::seconds{20}));
}

TEST_CASE("each workflow submitted as a definition is stored as its own, "
          "also submitted again and after others were freed",
          "[actors][submission]") {
  test::temp_dir dir;
  auto n = test::start_node(test::test_options(dir));
  auto stored_name = [&](const std::string& id) {
    auto x = n->execution(id);
    REQUIRE(x.value);
    return x.value->definition.value("name", std::string{});
  };
  auto a = test::workflow("name: A\nsteps:\n" + step_yaml("s", "fast"));
  auto first = n->submit(a, {}), again = n->submit(a, {});
  REQUIRE(first);
  REQUIRE(again);
  CHECK(stored_name(*first) == "A");
  CHECK(stored_name(*again) == "A");
  // More than are remembered, each freed before the next is made: a new
  // definition may take a freed one's address, never its text.
  for (int i = 0; i < 20; ++i) {
    auto name = "C" + std::to_string(i);
    auto id = n->submit(
        test::workflow("name: " + name + "\nsteps:\n" + step_yaml("s", "fast")),
        {});
    REQUIRE(id);
    CHECK(stored_name(*id) == name);
  }
  auto later = n->submit(a, {});
  REQUIRE(later);
  CHECK(stored_name(*later) == "A");
}

TEST_CASE("execution ids are 32 hex digits that lead with the time they were "
          "made, so that ids made together sort together, and never repeat",
          "[actors][submission]") {
  test::temp_dir dir;
  auto n = test::start_node(test::test_options(dir));
  auto wf = test::workflow("name: Ids\nsteps:\n" + step_yaml("s", "fast"));
  auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    auto id = n->submit(wf, {});
    REQUIRE(id);
    ids.push_back(*id);
  }
  std::set<std::string> distinct(ids.begin(), ids.end());
  CHECK(distinct.size() == ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    INFO(ids[i]);
    REQUIRE(ids[i].size() == 32);
    CHECK(ids[i].find_first_not_of("0123456789abcdef") == std::string::npos);
    auto made = std::stoll(ids[i].substr(0, 12), nullptr, 16);
    CHECK(made >= before);
    if (i > 0)
      CHECK(ids[i - 1].substr(0, 12) <= ids[i].substr(0, 12));
  }
}
