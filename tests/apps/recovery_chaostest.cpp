// Crash recovery with real processes: SIGKILL a node in the middle of
// executions, then restart it or let another node take over, and check the
// store and the effect ledger against the durability invariants.

#include <catch2/catch.hpp>

#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sys/wait.h>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "persistence/open_store.hpp"
#include "persistence/store.hpp"
#include "tests/support/node_cluster.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/private_pg.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using test::wait_until;

namespace {

using test::all_completed;
using test::committed_steps;
using test::kill_mid_run;
using test::metric_value;
using test::node_cluster;
using test::unfinished;

constexpr size_t steps_per_execution = 4; // Diamond

void check_ledger(const node_cluster& c, persistence::store& s) {
  test::check_ledger(c, s, steps_per_execution);
}

/// Two nodes on one store, the first running `count` executions of which
/// at least `min_steps` steps are committed when this returns.
struct two_nodes {
  int port1 = test::free_port(), port2 = test::free_port();
  std::unique_ptr<test::background_process> n1, n2;
  std::unique_ptr<persistence::store> store;

  two_nodes(node_cluster& c, int lease_ms, int count, size_t min_steps)
      : n1(c.start("n1", port1, {lease_ms})),
        n2(c.start("n2", port2, {lease_ms})) {
    c.submit(port1, count);
    store = c.open_store();
    REQUIRE(wait_until([&] { return committed_steps(*store) >= min_steps; },
                       std::chrono::seconds{20}));
  }
};

// 200 workflows running at once (the agent takes 32 steps at a time), the
// node killed once a hundred steps are committed.
void restart_scenario(node_cluster& c) {
  int port = test::free_port();
  auto node = c.start("n1", port);
  c.submit(port, 200);
  auto store = c.open_store();
  auto left = kill_mid_run(*node, *store, 100);
  auto restarted = c.start("n1", port);
  REQUIRE(wait_until([&] { return all_completed(*store); },
                     std::chrono::seconds{30}));
  CHECK_THAT(c.log("n1"), Catch::Contains("resumed executions: " +
                                          std::to_string(left.size())));
  check_ledger(c, *store);
}

} // namespace

SCENARIO(
    "a node killed with SIGKILL mid-run and restarted finishes every execution "
    "without repeating committed steps (SQLite)",
    "[chaos][recovery]") {
  test::temp_dir store_dir;
  node_cluster c{"sqlite:" + (store_dir / "store.db"), 200};
  restart_scenario(c);
}

SCENARIO(
    "a node killed with SIGKILL mid-run and restarted finishes every execution "
    "without repeating committed steps (PostgreSQL)",
    "[chaos][recovery][pg]") {
  test::pg_database db;
  node_cluster c{db.url(), 200};
  restart_scenario(c);
}

SCENARIO("when one of two nodes is killed, the other takes over its executions "
         "within the lease time plus 2 s, and the API shows the takeover",
         "[chaos][recovery][pg][takeover]") {
  test::pg_database db;
  node_cluster c{db.url(), 100};
  constexpr int lease_ms = 2000;
  GIVEN("two nodes on one database, the first running 20 executions") {
    two_nodes run{c, lease_ms, 20, 10};
    auto& store = run.store;
    WHEN("the first is killed with SIGKILL mid-run") {
      auto left = kill_mid_run(*run.n1, *store, 10);
      THEN("the second completes all of them within the lease time + 2 s") {
        REQUIRE(wait_until([&] { return all_completed(*store); },
                           std::chrono::milliseconds{lease_ms + 2000}));
        for (const auto& x : left) {
          auto now = store->find_execution(x.id).value;
          REQUIRE(now);
          CHECK(now->owner_node == "n2");
          CHECK(now->epoch > x.epoch);
        }
        check_ledger(c, *store);
        // The API shows each takeover and which node ran each attempt.
        httplib::Client api{"127.0.0.1", run.port2};
        api.set_default_headers({{"X-API-Key", c.api_key}});
        for (const auto& x : left) {
          INFO(x.id);
          auto res = api.Get(("/api/v1/executions/" + x.id).c_str());
          REQUIRE(res);
          REQUIRE(res->status == 200);
          auto view = nlohmann::json::parse(res->body);
          const auto& owners = view.at("owners");
          REQUIRE(owners.size() >= 1);
          const auto& took = owners.back();
          CHECK(took.at("node") == "n2");
          CHECK(took.at("previous_node") == "n1");
          CHECK(took.at("reason") == "takeover");
          CHECK(took.at("epoch") == view.at("epoch"));
          // Every step completed once; those before the kill on n1 in its
          // epoch, the others on n2 in the new one.
          std::set<std::string> steps_seen;
          for (const auto& a : view.at("attempts")) {
            if (a.at("outcome") != "completed")
              continue;
            steps_seen.insert(a.at("step_id").get<std::string>());
            CHECK(a.at("node") == (a.at("epoch").get<std::int64_t>() <
                                           took.at("epoch").get<std::int64_t>()
                                       ? "n1"
                                       : "n2"));
          }
          CHECK(steps_seen.size() == steps_per_execution);
        }
      }
    }
  }
}

namespace {} // namespace

SCENARIO(
    "a node stopped with SIGTERM lets in-flight steps finish and hands its "
    "executions over at once",
    "[chaos][drain][pg]") {
  test::pg_database db;
  node_cluster c{db.url(), 300};
  constexpr int lease_ms =
      10000; // a takeover by expiry would take 7.5 s or more
  two_nodes run{c, lease_ms, 10, 5};
  auto& store = run.store;
  REQUIRE_FALSE(unfinished(*store).empty());
  auto status = run.n1->kill_and_wait(SIGTERM);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // The lease was released: n2 claims at its next heartbeat, not at expiry.
  REQUIRE(wait_until([&] { return all_completed(*store); },
                     std::chrono::seconds{6}));
  check_ledger(c, *store);
  // In-flight steps finished during the grace period: nothing ran twice.
  std::map<std::pair<std::string, std::string>, int> runs;
  for (const auto& e : c.effects())
    ++runs[{e.execution_id, e.step_id}];
  for (const auto& [key, count] : runs) {
    INFO(key.first << "/" << key.second);
    CHECK(count == 1);
  }
}

SCENARIO(
    "a node paused past its lease cannot write once another node took over",
    "[chaos][fencing][pg]") {
  test::pg_database db;
  node_cluster c{db.url(), 300};
  constexpr int lease_ms = 1000;
  two_nodes run{c, lease_ms, 10, 5};
  auto& store = run.store;
  kill(run.n1->pid(), SIGSTOP);
  auto left = unfinished(*store);
  REQUIRE_FALSE(left.empty());
  REQUIRE(wait_until([&] { return all_completed(*store); },
                     std::chrono::seconds{10}));
  kill(run.n1->pid(), SIGCONT);
  // Its in-flight steps answer now; their checkpoints carry the old epoch,
  // are rejected, and the executions are abandoned without writing.
  REQUIRE(wait_until([&] {
    return metric_value(run.port1,
                        "hishamos_executions_total{state=\"abandoned\"}",
                        c.api_key) >= 1;
  }));
  for (const auto& x : left)
    CHECK(store->find_execution(x.id).value->owner_node == "n2");
  check_ledger(c, *store);
}

namespace {

// Committed steps read through a fresh connection (the server restarts
// between calls); 0 while it cannot be reached.
size_t committed_steps_at(const std::string& url) {
  auto s = persistence::open_store(url);
  return s ? committed_steps(*s.value) : 0;
}

} // namespace

SCENARIO("PostgreSQL crashing and restarting several times during a run loses "
         "no work and repeats no committed step",
         "[chaos][recovery][pg][db-restart]") {
  test::private_pg server;  // never the shared server: this one is crashed
  test::pg_database ledger; // on the shared server: it stays up
  node_cluster c{server.url(), 400, ledger.url()};
  int port = test::free_port();
  auto node = c.start("n1", port);
  c.submit(port, 60);
  httplib::Client client{"127.0.0.1", port};
  auto ready_status = [&] {
    auto r = client.Get("/ready");
    return r ? r->status : -1;
  };
  constexpr int rounds = 3;
  for (int round = 1; round <= rounds; ++round) {
    INFO("round " << round);
    REQUIRE(wait_until(
        [&] { return committed_steps_at(server.url()) >= 20u * round; },
        std::chrono::seconds{30}));
    {
      auto s = persistence::open_store(server.url());
      REQUIRE(s);
      REQUIRE_FALSE(unfinished(*s.value).empty()); // the crash hits a run
    }
    server.crash();
    // /ready follows the database; /health stays about the process.
    REQUIRE(wait_until([&] { return ready_status() == 503; }));
    auto health = client.Get("/health");
    REQUIRE(health);
    CHECK(health->status == 200);
    server.start();
    REQUIRE(wait_until([&] { return ready_status() == 200; },
                       std::chrono::seconds{15}));
  }
  auto store = c.open_store();
  REQUIRE(wait_until([&] { return all_completed(*store); },
                     std::chrono::seconds{60}));
  CHECK(node->running()); // it rode out every restart
  // Checkpoints met a dead database, and writers were restarted.
  // (The node's first call to the store after its last restart may find a
  // dead connection: the credential check then answers 503 once.)
  CHECK(wait_until([&] {
    return metric_value(port, "hishamos_checkpoint_writer_restarts_total",
                        c.api_key) >= 1;
  }));
  CHECK(unfinished(*store).empty());
  check_ledger(c, *store);
}

namespace {

// Submits `count` executions of Diamond in batches of 1,000 (one commit
// each), named x0, x1, ... so a retried batch finds what it stored.
void submit_batches(const node_cluster& c, int port, int count) {
  httplib::Client client{"127.0.0.1", port};
  client.set_default_headers({{"X-API-Key", c.api_key}});
  client.set_read_timeout(60);
  for (int from = 0; from < count; from += 1000) {
    nlohmann::json batch{{"executions", nlohmann::json::array()}};
    for (int i = from; i < std::min(count, from + 1000); ++i)
      batch["executions"].push_back(
          {{"workflow", "Diamond"}, {"execution_id", "x" + std::to_string(i)}});
    auto res = client.Post("/api/v1/executions/batch", batch.dump(),
                           "application/json");
    REQUIRE(res);
    INFO(res->body.substr(0, 500));
    REQUIRE(res->status == 200);
  }
}

std::uint64_t chaos_seed() {
  const char* env = std::getenv("HISHAMOS_FAULT_SEED");
  return env ? std::stoull(env) : 20261203;
}

} // namespace

SCENARIO("PostgreSQL restarted every 5-20 s (down 0-5 s) during 5,000 "
         "workflows: every one completes, none loses a step or its cost "
         "line, none repeats a committed step",
         "[chaos][recovery][pg][db-restart][seeded]") {
  auto seed = chaos_seed();
  INFO("replay with HISHAMOS_FAULT_SEED=" << seed);
  std::mt19937_64 rng{seed};
  auto between = [&](int lo_ms, int hi_ms) {
    return std::chrono::milliseconds{
        std::uniform_int_distribution<int>{lo_ms, hi_ms}(rng)};
  };
  test::private_pg server;
  test::pg_database ledger;
  // 100 ms a step, 32 at a time: about a minute of work, so restarts hit it
  node_cluster c{server.url(), 100, ledger.url()};
  int port = test::free_port();
  auto node = c.start("n1", port);
  submit_batches(c, port, 5000);
  httplib::Client client{"127.0.0.1", port};
  auto ready = [&] {
    auto r = client.Get("/ready");
    return r && r->status == 200;
  };
  // One count query through the API (503 while the database is down).
  httplib::Client counter{"127.0.0.1", port};
  counter.set_default_headers({{"X-API-Key", c.api_key}});
  auto all_done = [&] {
    auto r = counter.Get("/api/v1/executions?state=completed&limit=1");
    return r && r->status == 200 &&
           nlohmann::json::parse(r->body)["total"] == 5000;
  };
  int restarts = 0;
  std::chrono::duration<double> longest_recovery{0};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes{5};
  while (!all_done()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    // The fault schedule, as DBOS's chaos test has it: up for 5-20 s, or
    // until the work is done; then down for 0-5 s.
    if (wait_until(all_done, between(5000, 20000)))
      break;
    server.crash();
    ++restarts;
    // The outage's length is the fault itself, not a wait for anything.
    std::this_thread::sleep_for(between(0, 5000));
    auto t0 = std::chrono::steady_clock::now();
    server.start();
    REQUIRE(wait_until(ready, std::chrono::seconds{30}));
    longest_recovery = std::max(
        longest_recovery,
        std::chrono::duration<double>{std::chrono::steady_clock::now() - t0});
  }
  CHECK(node->running());
  auto store = c.open_store();
  CHECK(test::all_executions(*store).size() == 5000);
  check_ledger(c, *store);
  std::cout << "db-restart chaos (seed " << seed << "): 5000 executions, "
            << restarts << " restart(s), longest time to ready again "
            << longest_recovery.count() << " s\n";
}

namespace {

constexpr const char* libfaketime =
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

// A node whose wall clock is `offset` off ("+5m", "-5m"); its monotonic
// clock is left alone, as a wrong NTP setting leaves it.
test::node_spec skewed(int lease_ms, const std::string& offset) {
  test::node_spec spec{lease_ms};
  spec.env = {{"LD_PRELOAD", libfaketime},
              {"FAKETIME", offset},
              {"FAKETIME_DONT_FAKE_MONOTONIC", "1"},
              {"FAKETIME_DONT_RESET", "1"}};
  return spec;
}

// The wall clock of a node's first log line ("[2026-12-03 15:58:01.123]"),
// minus now, in minutes.
double log_clock_offset_minutes(const std::string& log) {
  std::tm tm{};
  if (log.size() < 21 ||
      !strptime(log.substr(1, 19).c_str(), "%Y-%m-%d %H:%M:%S", &tm))
    return 0;
  auto logged = std::mktime(&tm);
  return std::difftime(logged, std::time(nullptr)) / 60.0;
}

} // namespace

SCENARIO("with one node's clock 5 minutes behind and the other's 5 minutes "
         "ahead, no execution is taken over early: leases follow the "
         "database's clock",
         "[chaos][pg][clock]") {
  REQUIRE(std::filesystem::exists(libfaketime)); // deploy/install-deps.sh
  test::pg_database db;
  node_cluster c{db.url(), 1500}; // a Diamond takes 4.5 s: 2 leases and more
  constexpr int lease_ms = 2000;
  int port1 = test::free_port(), port2 = test::free_port();
  auto n1 = c.start("n1", port1, skewed(lease_ms, "-5m"));
  auto n2 = c.start("n2", port2, skewed(lease_ms, "+5m"));
  CHECK(log_clock_offset_minutes(c.log("n1")) == Approx(-5).margin(0.5));
  CHECK(log_clock_offset_minutes(c.log("n2")) == Approx(5).margin(0.5));
  c.submit(port1, 20);
  auto store = c.open_store();
  auto started = unfinished(*store);
  REQUIRE(started.size() == 20);
  REQUIRE(wait_until([&] { return all_completed(*store); },
                     std::chrono::seconds{60}));
  for (const auto& x : started) {
    auto now = store->find_execution(x.id).value;
    REQUIRE(now);
    CHECK(now->owner_node == "n1"); // n2's fast clock took nothing
    CHECK(now->epoch == x.epoch);   // and nothing was claimed again
  }
  check_ledger(c, *store);
  // And a real expiry is still seen: n1 killed, n2 takes over in time.
  c.submit(port1, 5);
  auto left = kill_mid_run(*n1, *store, 80 + 2);
  REQUIRE(wait_until([&] { return all_completed(*store); },
                     std::chrono::milliseconds{lease_ms + 2 * 4500 + 2000}));
  for (const auto& x : left)
    CHECK(store->find_execution(x.id).value->owner_node == "n2");
}
