// Crash recovery with real processes: SIGKILL a node in the middle of
// executions, then restart it or let another node take over, and check the
// store and the effect ledger against the durability invariants.

#include <catch2/catch.hpp>

#include <csignal>
#include <map>
#include <sys/wait.h>

#include <httplib.h>

#include "persistence/store.hpp"
#include "tests/support/invariants.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/private_pg.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using test::wait_until;

namespace {

const std::string binary = HISHAMOS_BINARY;
constexpr size_t steps_per_execution = 4;

/// A catalog, an effect ledger and node configs sharing one store.
struct cluster {
  test::temp_dir dir;
  std::string store_url;
  /// The ledger's database: the store's own on PostgreSQL (a table of its
  /// own), a file of its own beside an embedded store.
  std::string ledger_url;

  cluster(std::string url, int latency_ms, std::string ledger = "")
      : store_url(std::move(url)), ledger_url(std::move(ledger)) {
    if (ledger_url.empty())
      ledger_url = store_url.rfind("sqlite:", 0) == 0
                       ? "sqlite:" + (dir / "effects.db")
                       : store_url;
    effects(); // creates the table before any node writes to it
    dir.write("catalog/agents/worker.yaml",
              "id: worker\ncapacity: 32\nlatency_ms: " +
                  std::to_string(latency_ms) + "\n");
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
  }

  /// Starts `hishamos node` and waits until it answers /health.
  std::unique_ptr<test::background_process>
  start(const std::string& id, int port, int lease_ms = 10000) {
    auto config = dir.write(
        id + ".yaml",
        "node: {id: " + id + ", lease_ms: " + std::to_string(lease_ms) +
            ", heartbeat_ms: " + std::to_string(lease_ms / 4) +
            "}\nhttp: {listen: 127.0.0.1:" + std::to_string(port) +
            "}\nstore: {url: '" + store_url + "'}\ncatalog: {paths: ['" +
            (dir / "catalog") + "']}\n");
    auto log = dir / (id + ".log");
    auto p = std::make_unique<test::background_process>(
        std::vector<std::string>{binary, "node", "--config", config},
        std::map<std::string, std::string>{
            {"HISHAMOS_EFFECT_LEDGER", ledger_url}},
        log);
    httplib::Client client{"127.0.0.1", port};
    bool up =
        wait_until([&] { return static_cast<bool>(client.Get("/health")); });
    INFO(test::read_text(log));
    REQUIRE(up);
    return p;
  }

  void submit(int port, int count) {
    httplib::Client client{"127.0.0.1", port};
    for (int i = 0; i < count; ++i) {
      auto res = client.Post("/api/v1/workflows/Diamond/execute", "{}",
                             "application/json");
      REQUIRE(res);
      REQUIRE(res->status == 202);
    }
  }

  /// Every effect the nodes recorded so far.
  std::vector<persistence::effect> effects() const {
    auto ledger = persistence::open_effect_ledger(ledger_url);
    INFO(ledger.st.message);
    REQUIRE(ledger);
    auto all = ledger.value->all();
    INFO(all.st.message);
    REQUIRE(all);
    return all.value;
  }

  std::unique_ptr<persistence::store> open_store() const {
    auto s = persistence::open_store(store_url);
    REQUIRE(s);
    return std::move(s.value);
  }
};

size_t committed_steps(persistence::store& s) {
  size_t n = 0;
  for (const auto& x : s.list_executions(1000).value)
    n += s.checkpoints(x.id).value.size();
  return n;
}

std::vector<persistence::execution_record> unfinished(persistence::store& s) {
  std::vector<persistence::execution_record> out;
  for (const auto& x : s.list_executions(1000).value)
    if (!persistence::is_terminal(x.state))
      out.push_back(x);
  return out;
}

bool all_completed(persistence::store& s) {
  auto all = s.list_executions(1000).value;
  return std::all_of(all.begin(), all.end(), [](const auto& x) {
    return x.state == persistence::execution_state::completed;
  });
}

/// Kills `victim` with SIGKILL once `min_steps` checkpoints are committed
/// and returns the executions it left unfinished (at least one).
std::vector<persistence::execution_record>
kill_mid_run(test::background_process& victim, persistence::store& s,
             size_t min_steps) {
  REQUIRE(wait_until([&] { return committed_steps(s) >= min_steps; },
                     std::chrono::seconds{20}));
  victim.kill_and_wait(SIGKILL);
  auto left = unfinished(s);
  REQUIRE_FALSE(left.empty()); // the kill really interrupted work
  return left;
}

void check_ledger(const cluster& c, persistence::store& s) {
  auto effects = c.effects();
  REQUIRE_FALSE(effects.empty()); // the agents did record
  auto violations = test::check_invariants(s, effects, steps_per_execution);
  for (const auto& v : violations)
    FAIL_CHECK(v);
  CHECK(violations.empty());
}

/// Two nodes on one store, the first running `count` executions of which
/// at least `min_steps` steps are committed when this returns.
struct two_nodes {
  int port1 = test::free_port(), port2 = test::free_port();
  std::unique_ptr<test::background_process> n1, n2;
  std::unique_ptr<persistence::store> store;

  two_nodes(cluster& c, int lease_ms, int count, size_t min_steps)
      : n1(c.start("n1", port1, lease_ms)), n2(c.start("n2", port2, lease_ms)) {
    c.submit(port1, count);
    store = c.open_store();
    REQUIRE(wait_until([&] { return committed_steps(*store) >= min_steps; },
                       std::chrono::seconds{20}));
  }
};

// 200 workflows running at once (the agent takes 32 steps at a time), the
// node killed once a hundred steps are committed.
void restart_scenario(cluster& c) {
  int port = test::free_port();
  auto node = c.start("n1", port);
  c.submit(port, 200);
  auto store = c.open_store();
  auto left = kill_mid_run(*node, *store, 100);
  auto restarted = c.start("n1", port);
  REQUIRE(wait_until([&] { return all_completed(*store); },
                     std::chrono::seconds{30}));
  CHECK_THAT(
      test::read_text(c.dir / "n1.log"),
      Catch::Contains("resumed executions: " + std::to_string(left.size())));
  check_ledger(c, *store);
}

} // namespace

SCENARIO(
    "a node killed with SIGKILL mid-run and restarted finishes every execution "
    "without repeating committed steps (SQLite)",
    "[chaos][recovery]") {
  test::temp_dir store_dir;
  cluster c{"sqlite:" + (store_dir / "store.db"), 200};
  restart_scenario(c);
}

SCENARIO(
    "a node killed with SIGKILL mid-run and restarted finishes every execution "
    "without repeating committed steps (PostgreSQL)",
    "[chaos][recovery][pg]") {
  test::pg_database db;
  cluster c{db.url(), 200};
  restart_scenario(c);
}

SCENARIO("when one of two nodes is killed, the other takes over its executions "
         "within "
         "the lease time plus 2 s",
         "[chaos][recovery][pg][takeover]") {
  test::pg_database db;
  cluster c{db.url(), 100};
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
      }
    }
  }
}

namespace {

double metric_value(int port, const std::string& series) {
  httplib::Client client{"127.0.0.1", port};
  auto res = client.Get("/metrics");
  if (!res)
    return -1;
  // A sample line, not the # HELP or # TYPE line naming the series.
  auto pos = res->body.find("\n" + series + " ");
  return pos == std::string::npos
             ? 0
             : std::stod(res->body.substr(pos + series.size() + 2));
}

} // namespace

SCENARIO(
    "a node stopped with SIGTERM lets in-flight steps finish and hands its "
    "executions over at once",
    "[chaos][drain][pg]") {
  test::pg_database db;
  cluster c{db.url(), 300};
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
  cluster c{db.url(), 300};
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
                        "hishamos_executions_total{state=\"abandoned\"}") >= 1;
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
  cluster c{server.url(), 400, ledger.url()};
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
  CHECK(metric_value(port, "hishamos_checkpoint_writer_restarts_total") >= 1);
  CHECK(unfinished(*store).empty());
  check_ledger(c, *store);
}
