// Rolling replacement of a live cluster's nodes with real processes: an
// upgrade from the previous release's nodes (tests/upgrade/PREVIOUS_RELEASE,
// built by tests/upgrade/build-previous-release.sh) to this build's, and a
// rolling restart under load as Kubernetes does it (one node at a time,
// SIGTERM, the next once the new one is ready).

#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <sys/wait.h>
#include <thread>

#include "tests/support/cluster_members.hpp"
#include "tests/support/node_cluster.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/store_reads.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using test::wait_until;

namespace {

constexpr size_t relay_steps = 3;
const std::string previous_binary = HISHAMOS_PREVIOUS_BINARY;

// Stops `m` as an operator does (SIGTERM: drain, then exit) and requires a
// clean exit: a node that crashed beside the other release fails here.
void stop_cleanly(test::member& m) {
  int status = m.process->kill_and_wait(SIGTERM);
  INFO("node " << m.id << " wait status " << status);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

// Sends `m` a hello and a directory update of the next protocol version
// from a peer of its own (the wire probe), and waits until `m` handled
// both: its log (`log_file`) shows the marker the probe sends after them.
void speak_next_version(test::node_cluster& c, const test::member& m,
                        const std::string& log_file) {
  auto seeds = c.dir / "seeds";
  if (!std::filesystem::exists(seeds))
    REQUIRE(test::run_process({HISHAMOS_WIRE_SEEDS, seeds}).exit_code == 0);
  const std::string marker = "next-version-probe-done-" + m.id;
  test::background_process probe{{HISHAMOS_WIRE_PROBE, std::to_string(m.peer),
                                  marker, seeds + "/hello_next_version",
                                  seeds + "/directory_update_next_version"},
                                 {},
                                 c.dir / ("probe-" + m.id + ".log")};
  bool handled = wait_until([&] {
    return test::read_text(log_file).find(marker) != std::string::npos;
  });
  INFO("probe: " << test::read_text(c.dir / ("probe-" + m.id + ".log")));
  INFO("node: " << test::read_text(log_file));
  REQUIRE(handled);
  auto log = test::read_text(log_file);
  INFO(log);
  CHECK_THAT(log,
             Catch::Contains("refusing node n9: it speaks protocol version "));
  CHECK_THAT(log, Catch::Contains("dropped a directory update claiming to be "
                                  "from node n9: protocol version "));
  CHECK(m.process->running());
}

// Waits until every execution completed; else fails with the ones that
// did not and the nodes' logs (`<id><log_suffix>`).
void require_all_completed(const test::node_cluster& c, persistence::store& s,
                           const std::vector<test::member>& nodes,
                           const std::string& log_suffix) {
  bool completed = wait_until([&] { return test::all_completed(s); },
                              std::chrono::seconds{60});
  for (const auto& x : test::all_executions(s))
    if (x.state != persistence::execution_state::completed)
      UNSCOPED_INFO("not completed: " << x.id << " of " << x.owner_node << " ("
                                      << persistence::to_string(x.state) << ") "
                                      << x.error);
  for (const auto& m : nodes)
    UNSCOPED_INFO(m.id << ": " << test::read_text(c.dir / (m.id + log_suffix)));
  REQUIRE(completed);
}

} // namespace

SCENARIO("a rolling upgrade: each node of a cluster of the previous release "
         "replaced in turn by one of this release while executions run loses "
         "none of them, runs no committed step again, and a peer of another "
         "protocol version is refused without harm",
         "[cluster][pg][upgrade]") {
  INFO("the previous release's binary: " << previous_binary);
  INFO("build it with tests/upgrade/build-previous-release.sh "
       "<build>/previous-release (./dev.sh test does)");
  REQUIRE(std::filesystem::exists(previous_binary));
  test::pg_database db;
  // The test's database comes migrated by this release's code; a store the
  // previous release made says to keep definitions in the row, decisions
  // as objects and ledger lines in task_results, the forms its nodes read.
  db.query("UPDATE store_identity SET definitions_by_hash = FALSE, "
           "compact_decisions = FALSE, ledger_with_checkpoints = FALSE");
  test::node_cluster c{db.url(), 300};
  // Every agent on two nodes: any one node may be down for its upgrade.
  auto nodes = test::three({{"a1", "a2"}, {"a2", "a3"}, {"a3", "a1"}});
  for (auto& m : nodes)
    test::start(c, m, {.binary = previous_binary});
  test::wait_for_mesh(nodes);
  auto store = c.open_store();
  auto owned_by = [&](const std::string& id) {
    size_t n = 0;
    for (const auto& x : test::unfinished(*store))
      n += x.owner_node == id;
    return n;
  };
  size_t submitted = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    auto& old = nodes[i];
    c.submit(old.http, 15, "Relay");
    c.submit(nodes[(i + 1) % nodes.size()].http, 15, "Relay");
    submitted += 30;
    // Work is under way, and some of it in flight on the node to go (a
    // Relay takes three steps of 300 ms: a window polls do not miss).
    auto before = test::committed_steps(*store);
    bool under_way = wait_until([&] {
      return test::committed_steps(*store) >= before + 10 &&
             owned_by(old.id) > 0;
    });
    for (const auto& x : test::all_executions(*store))
      UNSCOPED_INFO(x.id << " " << persistence::to_string(x.state) << " on "
                         << x.owner_node << " " << x.error);
    REQUIRE(under_way);
    if (i == 1) {
      // An upgrade that goes wrong: the old node dies mid-run, and nodes
      // of both releases take over its executions from its checkpoints.
      old.process->kill_and_wait(SIGKILL);
    } else {
      stop_cleanly(old); // drains: its running steps finish first
    }
    auto upgraded_log = c.dir / (old.id + ".upgraded.log");
    test::start(c, old, {.log_file = upgraded_log});
    test::wait_for_mesh(nodes); // the two releases form one cluster
    if (i == 1) // this release resumed what the old one checkpointed
      CHECK_THAT(test::read_text(upgraded_log),
                 Catch::Contains("resumed executions: "));
    if (i == 0) {
      // One node of each release now: both refuse the next version.
      speak_next_version(c, nodes[1], c.dir / (nodes[1].id + ".log"));
      speak_next_version(c, old, upgraded_log);
    }
  }
  require_all_completed(c, *store, nodes, ".upgraded.log");
  CHECK(test::all_executions(*store).size() == submitted);
  // The previous release made this store, and its nodes read definitions
  // from the row only: this release's nodes kept them there too.
  for (const auto& x : test::all_executions(*store))
    CHECK(x.definition_hash.empty());
  // And decisions as objects, never in the compact form they cannot read.
  for (const auto& x : test::all_executions(*store))
    for (const auto& r : store->results_of(x.id).value)
      CHECK(r.decision.rfind('[', 0) == std::string::npos);
  test::check_ledger(c, *store, relay_steps);
  // And ledger lines in task_results, the only place its reports read.
  CHECK(db.query("SELECT count(*) FROM execution_steps WHERE line_at IS NOT "
                 "NULL") == "0");
  for (auto& m : nodes)
    stop_cleanly(m);
}

namespace {

// A client behind a load balancer: submits executions one after another,
// each with an idempotency key of its own, to the nodes in turn; a node
// that refuses (503 while it drains) or does not answer is skipped and the
// same request goes to the next, as a balancer that follows /ready does.
struct steady_client {
  const test::node_cluster& c;
  const std::vector<test::member>& nodes;
  std::atomic<bool> stop{false};
  std::atomic<int> acknowledged{0};
  std::atomic<int> failed{0}; // requests no node took within 20 s
  std::atomic<int> retried{0};
  std::thread thread{[this] { run(); }};

  void run() {
    for (int i = 0; !stop; ++i) {
      auto key = "rolling-" + std::to_string(i);
      auto deadline =
          std::chrono::steady_clock::now() + std::chrono::seconds{20};
      bool done = false;
      for (size_t at = static_cast<size_t>(i); !done; ++at) {
        if (std::chrono::steady_clock::now() > deadline) {
          ++failed;
          break;
        }
        const auto& m = nodes[at % nodes.size()];
        httplib::Client client{m.host, m.http};
        client.set_connection_timeout(1);
        client.set_read_timeout(5);
        auto res =
            client.Post("/api/v1/workflows/Diamond/execute",
                        {{"X-API-Key", c.api_key}, {"Idempotency-Key", key}},
                        "{}", "application/json");
        done = res && res->status == 202;
        if (!done)
          ++retried;
        else
          ++acknowledged;
      }
    }
  }
  void finish() {
    stop = true;
    thread.join();
  }
};

} // namespace

SCENARIO("a rolling restart of a three-node cluster under load, one node at "
         "a time with SIGTERM, fails no client request and loses no "
         "execution",
         "[cluster][pg][upgrade][rolling]") {
  test::pg_database db;
  test::node_cluster c{db.url(), 50};
  const std::vector<std::string> all{"worker", "a1", "a2", "a3"};
  auto nodes = test::three({all, all, all});
  for (auto& m : nodes)
    test::start(c, m);
  test::wait_for_mesh(nodes);
  auto store = c.open_store();
  steady_client client{c, nodes};
  for (auto& m : nodes) {
    auto before = client.acknowledged.load();
    REQUIRE(wait_until([&] { return client.acknowledged >= before + 20; }));
    stop_cleanly(m); // drains: /ready 503 at once, in-flight steps finish
    test::start(c, m, {.log_file = c.dir / (m.id + ".restarted.log")});
    test::wait_for_mesh(nodes); // ready again before the next one goes
  }
  auto before = client.acknowledged.load();
  REQUIRE(wait_until([&] { return client.acknowledged >= before + 20; }));
  client.finish();
  INFO(client.acknowledged << " acknowledged, " << client.retried
                           << " sent again to another node");
  CHECK(client.failed == 0);
  require_all_completed(c, *store, nodes, ".restarted.log");
  CHECK(test::all_executions(*store).size() ==
        static_cast<size_t>(client.acknowledged.load()));
  test::check_ledger(c, *store, 4);
}
