// Clusters of real `hishamos node` processes on loopback ports sharing one
// PostgreSQL: membership, the agent directory, dispatch across nodes and
// failover.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <csignal>
#include <filesystem>
#include <map>
#include <netinet/in.h>
#include <random>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/support/cluster_members.hpp"
#include "tests/support/node_cluster.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/private_pg.hpp"
#include "tests/support/store_reads.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using nlohmann::json;
using test::wait_until;

namespace {

constexpr size_t relay_steps = 3;
constexpr int lease_ms = test::cluster_lease_ms;
using test::member;
using test::start;
using test::three;
using test::wait_for_mesh;

// Nodes n1 (hosting a1) and n2 (a2), started in that order and meshed.
std::vector<member> meshed_pair(test::node_cluster& c) {
  auto nodes = three({{"a1"}, {"a2"}, {"a3"}});
  nodes.pop_back();
  for (auto& m : nodes)
    start(c, m);
  wait_for_mesh(nodes);
  return nodes;
}

// Three meshed nodes with every agent on two of them (so that any one node
// may die), running 10 Relay executions owned by n1 and 10 by n2.
std::vector<member> replicated_and_busy(test::node_cluster& c) {
  auto nodes = three({{"a1", "a2"}, {"a2", "a3"}, {"a3", "a1"}});
  for (auto& m : nodes)
    start(c, m);
  wait_for_mesh(nodes);
  c.submit(nodes[0].http, 10, "Relay");
  c.submit(nodes[1].http, 10, "Relay");
  return nodes;
}

} // namespace

SCENARIO("three nodes see each other and run a workflow whose steps need "
         "agents on all three",
         "[cluster][pg]") {
  test::pg_database db;
  test::node_cluster c{db.url(), 20};
  auto nodes = three({{"a1"}, {"a2"}, {"a3"}});
  for (auto& m : nodes)
    start(c, m);
  wait_for_mesh(nodes);
  // Directory entries carry department, capabilities, capacity and load.
  auto view = nodes[1].nodes();
  for (const auto& n : view["nodes"])
    if (n["id"] == "n1") {
      REQUIRE(n["agents"].size() == 1);
      CHECK(n["agents"][0]["id"] == "a1");
      CHECK(n["agents"][0]["capacity"] == 8);
      CHECK(n["agents"][0].contains("load"));
    }

  c.submit(nodes[0].http, 5, "Relay");
  auto store = c.open_store();
  REQUIRE(wait_until([&] { return test::all_completed(*store); },
                     std::chrono::seconds{20}));
  for (const auto& x : test::all_executions(*store)) {
    CHECK(x.owner_node == "n1");
    for (const auto& cp : store->checkpoints(x.id).value)
      CHECK(cp.agent_id == "a" + cp.step_id.substr(1)); // r1 on a1, ...
  }
  test::check_ledger(c, *store, relay_steps);
}

SCENARIO("a node killed mid-run: its executions and in-flight tasks finish "
         "on the survivors, and it rejoins and takes work again",
         "[cluster][pg][failover]") {
  test::pg_database db;
  test::node_cluster c{db.url(), 300};
  auto nodes = replicated_and_busy(c);
  auto store = c.open_store();
  auto left = test::kill_mid_run(*nodes[1].process, *store, 10);
  bool done = wait_until([&] { return test::all_completed(*store); },
                         std::chrono::milliseconds{lease_ms * 2 + 8000});
  for (const auto& x : test::all_executions(*store))
    if (x.state != persistence::execution_state::completed)
      UNSCOPED_INFO(x.id << " " << persistence::to_string(x.state) << " "
                         << x.owner_node << "@" << x.epoch << " " << x.error);
  INFO("n1: " << c.log("n1") << "\nn3: " << c.log("n3"));
  REQUIRE(done);
  for (const auto& x : left) {
    auto now = store->find_execution(x.id).value;
    REQUIRE(now);
    if (x.owner_node == "n2")
      CHECK(now->owner_node != "n2"); // taken over through the store
  }
  test::check_ledger(c, *store, relay_steps);
  // The survivors forgot n2's agents.
  REQUIRE(wait_until([&] {
    auto view = nodes[0].nodes();
    for (const auto& n : view["nodes"])
      if (n["id"] == "n2")
        return n["connected"] == false && n["agents"].empty();
    return false;
  }));

  start(c, nodes[1]); // same id, same ports
  wait_for_mesh(nodes);
  c.submit(nodes[1].http, 5, "Relay");
  REQUIRE(wait_until([&] { return test::all_completed(*store); },
                     std::chrono::seconds{20}));
  CHECK(test::all_executions(*store).size() == 25);
  test::check_ledger(c, *store, relay_steps);
}

namespace {

// Connects to 127.0.0.1:port, writes `bytes` and closes.
void send_raw(int port, const std::string& bytes) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  (void)!write(fd, bytes.data(), bytes.size());
  close(fd);
}

} // namespace

namespace {

// After an attack on n1's port: n2 and n3 join it and work runs across
// them (the middleman took more connections and frames after the attack).
void still_takes_peers_and_work(test::node_cluster& c,
                                std::vector<member>& nodes) {
  start(c, nodes[1]);
  start(c, nodes[2]);
  wait_for_mesh(nodes);
  c.submit(nodes[0].http, 2, "Relay");
  auto store = c.open_store();
  REQUIRE(wait_until([&] { return test::all_completed(*store); },
                     std::chrono::seconds{20}));
}

// Resident memory of a process in MiB (from /proc).
long rss_mib(pid_t pid) {
  auto status = test::read_text("/proc/" + std::to_string(pid) + "/status");
  auto at = status.find("VmRSS:");
  return at == std::string::npos ? -1 : std::stol(status.substr(at + 6)) / 1024;
}

} // namespace

SCENARIO("every kind of wire message, and frames that once broke the "
         "decoder, sent to a node's published actor leave it answering, "
         "joinable and with bounded memory",
         "[cluster][pg][wire]") {
  test::pg_database db;
  test::node_cluster c{db.url(), 20};
  auto nodes = three({{"a1"}, {"a2"}, {"a3"}});
  start(c, nodes[0]);
  auto seeds = c.dir / "seeds";
  auto made = test::run_process({HISHAMOS_WIRE_SEEDS, seeds});
  REQUIRE(made.exit_code == 0);
  const std::string marker = "probe-done-7f3a";
  std::vector<std::string> probe{HISHAMOS_WIRE_PROBE,
                                 std::to_string(nodes[0].peer), marker};
  for (const auto& d :
       {std::filesystem::path{seeds},
        std::filesystem::path{HISHAMOS_SOURCE_DIR} / "tests/fuzz/regressions"})
    for (const auto& f : std::filesystem::directory_iterator{d})
      probe.push_back(f.path().string());
  // The probe handshakes as a peer and sends every frame to the membership
  // actor, then the marker, which the node logs after all of them.
  test::background_process peer{probe, {}, c.dir / "probe.log"};
  bool handled =
      wait_until([&] { return c.log("n1").find(marker) != std::string::npos; });
  INFO("probe: " << test::read_text(c.dir / "probe.log")
                 << "\nn1: " << c.log("n1"));
  REQUIRE(handled);
  CHECK(nodes[0].process->running());
  // A frame of ~100 bytes once asked for tens of GiB.
  CHECK(rss_mib(nodes[0].process->pid()) < 512);
  still_takes_peers_and_work(c, nodes);
}

// Random bytes from a seeded generator; tests/fuzz/ searches the decoder
// itself for inputs that break it.
SCENARIO("a peer speaking garbage to the node port does not harm the node",
         "[cluster][pg][wire]") {
  test::pg_database db;
  test::node_cluster c{db.url(), 20};
  auto nodes = three({{"a1"}, {"a2"}, {"a3"}});
  start(c, nodes[0]);
  std::mt19937 rng{20261129}; // seeded: a failure can be replayed
  std::uniform_int_distribution<int> byte{0, 255};
  for (int round = 0; round < 50; ++round) {
    std::string junk(static_cast<size_t>(1 + round * 97 % 4096), '\0');
    for (auto& ch : junk)
      ch = static_cast<char>(byte(rng));
    send_raw(nodes[0].peer, junk);
  }
  send_raw(nodes[0].peer, ""); // connect and hang up at once
  httplib::Client client{"127.0.0.1", nodes[0].http};
  auto health = client.Get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(nodes[0].process->running());
  still_takes_peers_and_work(c, nodes);
}

SCENARIO("with TLS on, nodes with certificates of the cluster's CA join and "
         "a node with another CA's certificate cannot",
         "[cluster][pg][tls]") {
  test::pg_database db;
  test::node_cluster c{db.url(), 20};
  auto good = c.dir / "certs", rogue = c.dir / "rogue";
  const std::string script =
      std::string{HISHAMOS_SOURCE_DIR} + "/deploy/make-test-certs.sh";
  for (const auto& args :
       {std::vector<std::string>{"/bin/bash", script, good, "n1", "n2"},
        std::vector<std::string>{"/bin/bash", script, rogue, "n3"}}) {
    auto made = test::run_process(args);
    INFO(made.out << made.err);
    REQUIRE(made.exit_code == 0);
  }
  auto nodes = three({{"a1"}, {"a2"}, {"a3"}});
  nodes[0].process =
      c.start("n1", nodes[0].http, {lease_ms, nodes[0].peer, {"a1"}, good});
  nodes[1].process =
      c.start("n2", nodes[1].http, {lease_ms, nodes[1].peer, {"a2"}, good});
  nodes[2].process =
      c.start("n3", nodes[2].http, {lease_ms, nodes[2].peer, {"a3"}, rogue});
  for (auto& m : nodes)
    m.api_key = c.api_key;
  std::vector<member> trusted;
  trusted.push_back(std::move(nodes[0]));
  trusted.push_back(std::move(nodes[1]));
  wait_for_mesh(trusted);
  // n3 tried and failed (both ways), and nobody lists it as connected.
  REQUIRE(wait_until([&] {
    return c.log("n3").find("cannot reach node n1") != std::string::npos &&
           c.log("n1").find("cannot reach node n3") != std::string::npos;
  }));
  for (const auto& m : trusted) {
    auto view = m.nodes();
    for (const auto& n : view["nodes"])
      if (n["id"] == "n3") {
        CHECK(n["connected"] == false);
        CHECK(n["agents"].empty());
      }
  }
  // The trusted pair still works across nodes.
  c.submit(trusted[0].http, 2, "Pair");
  auto store = c.open_store();
  REQUIRE(wait_until([&] { return test::all_completed(*store); },
                     std::chrono::seconds{20}));
}

SCENARIO("executions beyond a node's limit are claimed by other nodes",
         "[cluster][pg][placement]") {
  test::pg_database db;
  test::node_cluster c{db.url(), 200};
  auto nodes = three({{"worker"}, {"worker"}, {"worker"}});
  for (size_t i = 0; i < 2; ++i) {
    test::node_spec spec{lease_ms, nodes[i].peer, nodes[i].agents};
    spec.max_executions = 2;
    nodes[i].process = c.start(nodes[i].id, nodes[i].http, spec);
    nodes[i].api_key = c.api_key;
  }
  c.submit(nodes[0].http, 8); // all to n1, which runs 2 at a time
  auto store = c.open_store();
  REQUIRE(wait_until([&] { return test::all_completed(*store); },
                     std::chrono::seconds{30}));
  std::map<std::string, int> owners;
  for (const auto& x : test::all_executions(*store))
    ++owners[x.owner_node];
  CHECK(owners["n1"] >= 1);
  CHECK(owners["n2"] >= 1); // spread through the store
  CHECK(owners["n1"] + owners["n2"] == 8);
  test::check_ledger(c, *store, 4);
}

SCENARIO("a node frozen past its lease, cut off from peers and the database, "
         "never shares an execution with its successor, and all complete",
         "[cluster][pg][partition]") {
  test::pg_database db;
  test::node_cluster c{db.url(), 300};
  auto nodes = replicated_and_busy(c);
  auto store = c.open_store();
  REQUIRE(wait_until([&] { return test::committed_steps(*store) >= 10; }));
  REQUIRE_FALSE(test::unfinished(*store).empty());
  // SIGSTOP: no packets, no heartbeats, no database writes, as in a
  // partition; the survivors notice (middleman heartbeat, lease expiry).
  kill(nodes[1].process->pid(), SIGSTOP);
  bool done = wait_until([&] { return test::all_completed(*store); },
                         std::chrono::milliseconds{lease_ms * 2 + 10000});
  kill(nodes[1].process->pid(), SIGCONT); // heal
  REQUIRE(done);
  // Healed, it rejoins; whatever it still held was fenced off.
  wait_for_mesh(nodes);
  CHECK(test::all_executions(*store).size() == 20);
  test::check_ledger(c, *store, relay_steps);
}

SCENARIO("a node whose traffic to its peers and the database is dropped "
         "never shares an execution with its successor, all complete after "
         "healing and it takes work again",
         "[cluster][pg][partition]") {
  test::isolated_network net;
  test::private_pg pg{{}, net.host_address()};
  test::node_cluster c{pg.url(), 300};
  // n2 lives in the isolated network; n1 and n3 listen where it can reach
  // them. Every agent is hosted twice, so n1 and n3 cover n2's.
  auto nodes = three({{"a1", "a2"}, {"a2", "a3"}, {"a3", "a1"}});
  for (size_t i = 0; i < 3; ++i) {
    test::node_spec spec{lease_ms, nodes[i].peer, nodes[i].agents};
    if (i == 1) {
      spec.inside = &net;
      nodes[i].host = net.inner_address();
    } else {
      spec.peer_host = net.host_address();
    }
    nodes[i].process = c.start(nodes[i].id, nodes[i].http, spec);
    nodes[i].api_key = c.api_key;
  }
  wait_for_mesh(nodes);
  c.submit(nodes[0].http, 10, "Relay");
  c.submit(nodes[1].http, 10, "Relay", nodes[1].host);
  auto store = c.open_store();
  REQUIRE(wait_until([&] { return test::committed_steps(*store) >= 10; }));
  auto owned_by_n2 = [&] {
    size_t n = 0;
    for (const auto& x : test::unfinished(*store))
      n += x.owner_node == "n2";
    return n;
  };
  REQUIRE(owned_by_n2() > 0); // the cut interrupts n2's own work

  net.cut();
  // n2 keeps running, unaware; the others see it vanish and take over
  // its executions once its lease expires.
  bool done = wait_until([&] { return test::all_completed(*store); },
                         std::chrono::milliseconds{lease_ms * 2 + 15000});
  CHECK(nodes[1].process->running());
  REQUIRE(done);
  CHECK(owned_by_n2() == 0);
  for (const auto& x : test::all_executions(*store))
    CHECK(x.owner_node != "n2"); // all n2 held moved to a successor

  net.heal();
  wait_for_mesh(nodes); // n2 rejoins; its stale writes were fenced off
  c.submit(nodes[1].http, 3, "Relay", nodes[1].host);
  REQUIRE(wait_until([&] { return test::all_completed(*store); },
                     std::chrono::seconds{20}));
  CHECK(test::all_executions(*store).size() == 23);
  test::check_ledger(c, *store, relay_steps);
}

SCENARIO("a lock held by a step running on another node's agent is released "
         "when that node is killed, and the next step waiting for it runs",
         "[cluster][pg][locks]") {
  test::pg_database db;
  test::node_cluster c{db.url(), 3000}; // the holder is mid-task when killed
  auto pair = meshed_pair(c);
  // n1 owns both; the holder runs on n2's a2, the waiter needs n1's a1.
  c.submit(pair[0].http, 1, "LockedA2");
  auto store = c.open_store();
  REQUIRE(wait_until([&] {
    auto view = pair[0].nodes();
    for (const auto& n : view["nodes"])
      if (n["id"] == "n2")
        for (const auto& a : n["agents"])
          if (a["load"] == 1)
            return true;
    return false;
  }));
  c.submit(pair[0].http, 1, "LockedA1");
  auto completed = [&] {
    size_t done = 0;
    for (const auto& x : test::all_executions(*store))
      done += x.state == persistence::execution_state::completed;
    return done;
  };
  // a1 answers after 3 s too: nothing completes while the lock is held.
  pair[1].process->kill_and_wait(SIGKILL);
  REQUIRE(
      wait_until([&] { return completed() == 1; }, std::chrono::seconds{15}));
  for (const auto& x : test::all_executions(*store))
    if (x.state == persistence::execution_state::completed)
      CHECK(x.workflow_name == "LockedA1"); // the waiter, not the holder
  // The holder's step waits for an a2; once n2 is back it completes too.
  start(c, pair[1]);
  REQUIRE(
      wait_until([&] { return completed() == 2; }, std::chrono::seconds{20}));
}

namespace {

// The start times of the locked steps (`l`) the agents ran, oldest first.
std::vector<std::int64_t> locked_starts(const test::node_cluster& c) {
  std::vector<std::int64_t> out;
  for (const auto& e : c.effects())
    if (e.step_id == "l")
      out.push_back(e.at_ms);
  std::sort(out.begin(), out.end());
  return out;
}

// Every locked step started at least `latency_ms` after the one before:
// it got the exclusive lock only once that one had finished.
void check_one_at_a_time(const std::vector<std::int64_t>& starts,
                         int latency_ms) {
  for (size_t i = 1; i < starts.size(); ++i) {
    INFO("locked step " << i << " started " << starts[i] - starts[i - 1]
                        << " ms after the one before");
    CHECK(starts[i] - starts[i - 1] >= latency_ms);
  }
}

json locks_at(const member& m) {
  auto res = m.client()->Get("/api/v1/locks");
  return res && res->status == 200 ? json::parse(res->body) : json{};
}

} // namespace

SCENARIO("steps owned by different nodes that take the same exclusive lock "
         "run one at a time: the cluster has one lock authority",
         "[cluster][pg][locks]") {
  test::pg_database db;
  constexpr int latency_ms = 300;
  test::node_cluster c{db.url(), latency_ms};
  auto nodes = three({{"a1"}, {"a2"}, {"a3"}});
  for (auto& m : nodes)
    start(c, m);
  wait_for_mesh(nodes);
  // Each node owns the executions submitted to it and runs them on its
  // own agent: only the lock relates them.
  c.submit(nodes[0].http, 3, "LockedA1");
  c.submit(nodes[1].http, 3, "LockedA2");
  c.submit(nodes[2].http, 3, "LockedA3");
  auto store = c.open_store();
  REQUIRE(wait_until([&] { return test::all_completed(*store); },
                     std::chrono::seconds{30}));
  auto starts = locked_starts(c);
  REQUIRE(starts.size() == 9);
  check_one_at_a_time(starts, latency_ms);
  // All three nodes see the same authority, and it holds nothing now.
  for (const auto& m : nodes) {
    auto l = locks_at(m);
    CHECK(l["held"].empty());
    CHECK(l["waiting"].empty());
  }
}

SCENARIO("when the lock authority's node is killed, the next oldest node's "
         "authority takes over the held lock before it grants the waiting "
         "request",
         "[cluster][pg][locks][chaos]") {
  test::pg_database db;
  constexpr int latency_ms = 2500; // the holder is mid-task at the kill
  test::node_cluster c{db.url(), latency_ms};
  auto nodes = three({{"a1"}, {"a2"}, {"a3"}});
  for (auto& m : nodes)
    start(c, m); // n1 first: the oldest, whose authority grants
  wait_for_mesh(nodes);
  c.submit(nodes[1].http, 1, "LockedA2");
  REQUIRE(wait_until([&] { return locked_starts(c).size() == 1; }));
  c.submit(nodes[2].http, 1, "LockedA3");
  REQUIRE(
      wait_until([&] { return locks_at(nodes[2])["waiting"].size() == 1; }));
  CHECK(locks_at(nodes[2])["held"][0]["node"] == "n2");
  nodes[0].process->kill_and_wait(SIGKILL);
  // n2's authority now: it holds n2's lock, and n3's request waits.
  REQUIRE(wait_until([&] {
    auto l = locks_at(nodes[2]);
    return l.contains("held") && l["held"].size() == 1 &&
           l["held"][0]["node"] == "n2";
  }));
  auto store = c.open_store();
  REQUIRE(wait_until(
      [&] {
        size_t done = 0;
        for (const auto& x : test::all_executions(*store))
          done += x.state == persistence::execution_state::completed;
        return done == 2;
      },
      std::chrono::seconds{20}));
  auto starts = locked_starts(c);
  REQUIRE(starts.size() == 2);
  check_one_at_a_time(starts, latency_ms);
}

SCENARIO("what one node's dispatcher learns about an agent reaches the other "
         "nodes, which route with the sum of every node's evidence",
         "[cluster][pg][routing]") {
  test::pg_database db;
  test::node_cluster c{db.url(), 20};
  auto pair = meshed_pair(c);
  c.submit(pair[0].http, 3, "Pair"); // n1 dispatches p1 to a1, p2 to n2's a2
  auto quality_of = [](const member& m, const std::string& agent) {
    auto res = m.client()->Get("/api/v1/agents/quality");
    if (!res || res->status != 200)
      return json{};
    auto body = json::parse(res->body);
    for (const auto& e : body["learned"])
      if (e["agent"] == agent)
        return e;
    return json{};
  };
  json seen;
  REQUIRE(wait_until(
      [&] {
        seen = quality_of(pair[1], "a1");
        return !seen.is_null() && seen["successes"].get<double>() >= 2.5;
      },
      std::chrono::seconds{20}));
  INFO(seen.dump());
  CHECK(seen["here"]["successes"] == 0.0); // all of it learned on n1
  auto on_n1 = quality_of(pair[0], "a1");
  CHECK(on_n1["here"]["successes"] == seen["successes"]);
}

SCENARIO("cancel and approve sent to any node reach the node that runs the "
         "execution",
         "[cluster][pg][http]") {
  test::pg_database db;
  // Each step answers after a second: a Relay runs for about three.
  test::node_cluster c{db.url(), 1000};
  auto nodes = three({{"a1"}, {"a2"}, {"a3"}});
  for (auto& m : nodes)
    start(c, m);
  wait_for_mesh(nodes);
  auto owner_client = nodes[0].client();
  auto& owner = *owner_client;
  auto started = owner.Post("/api/v1/workflows/Relay/execute",
                            R"({"input": {}})", "application/json");
  REQUIRE(started);
  REQUIRE(started->status == 202);
  std::string id = json::parse(started->body)["execution_id"];

  auto other_client = nodes[2].client();
  auto& other = *other_client;
  auto path = "/api/v1/executions/" + id + "/cancel";
  // A request that came forwarded already is not forwarded again.
  auto looped = other.Post(path.c_str(), {{"X-HishamOS-Forwarded-By", "n2"}},
                           "", "application/json");
  REQUIRE(looped);
  CHECK(looped->status == 409);
  // Approve is forwarded too: the owner answers that no budget paused it
  // (this node alone would answer `not_here`).
  auto approve = "/api/v1/executions/" + id + "/approve";
  auto approved = other.Post(approve.c_str(), "", "application/json");
  REQUIRE(approved);
  INFO(approved->body);
  CHECK(approved->status == 409);
  CHECK(json::parse(approved->body)["error"] == "not_paused");
  auto cancelled = other.Post(path.c_str(), {{"X-Request-Id", "fwd-1"}}, "",
                              "application/json");
  REQUIRE(cancelled);
  INFO(cancelled->body);
  CHECK(cancelled->status == 202);
  CHECK(cancelled->get_header_value("X-Request-Id") == "fwd-1");
  auto store = c.open_store();
  REQUIRE(wait_until(
      [&] {
        auto x = store->find_execution(id).value;
        return x && x->state == persistence::execution_state::cancelled;
      },
      std::chrono::seconds{15}));
  CHECK(store->find_execution(id).value->owner_node == "n1");
  auto unknown =
      other.Post("/api/v1/executions/nope/cancel", "", "application/json");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
}

SCENARIO("an execution taken over after its node was killed runs the "
         "workflow version it started with, not the one activated since",
         "[cluster][pg][workflows]") {
  test::pg_database db;
  test::node_cluster c{db.url(), 400};
  auto nodes = three({{"worker"}, {"worker"}, {}});
  nodes.pop_back();
  for (auto& m : nodes)
    start(c, m);
  wait_for_mesh(nodes);
  auto version_of = [](const std::string& mark) {
    std::string yaml = "name: Versioned\nsteps:\n";
    for (int i = 0; i < 4; ++i)
      yaml += "  - {id: s" + std::to_string(i) +
              (i ? ", depends_on: [s" + std::to_string(i - 1) + "]" : "") +
              ", agent_id: worker, command_template_id: cmd_echo, params: "
              "{text: '" +
              mark + "'}}\n";
    return yaml;
  };
  auto n1_client = nodes[0].client();
  auto& n1 = *n1_client;
  REQUIRE(
      n1.Post("/api/v1/workflows", version_of("from-v1"), "application/yaml")
          ->status == 201);
  REQUIRE(
      n1.Post("/api/v1/workflows/Versioned/activate", "", "application/json")
          ->status == 200);
  auto started = n1.Post("/api/v1/workflows/Versioned/execute",
                         R"({"input": {}})", "application/json");
  REQUIRE(started);
  REQUIRE(started->status == 202);
  std::string id = json::parse(started->body)["execution_id"];
  // Version 2 is activated while the execution runs.
  REQUIRE(n1.Put("/api/v1/workflows/Versioned", version_of("from-v2"),
                 "application/yaml")
              ->status == 200);
  REQUIRE(
      n1.Post("/api/v1/workflows/Versioned/activate", "", "application/json")
          ->status == 200);
  auto store = c.open_store();
  REQUIRE(wait_until([&] { return store->checkpoints(id).value.size() >= 1; },
                     std::chrono::seconds{10}));
  nodes[0].process->kill_and_wait(SIGKILL);
  REQUIRE(wait_until(
      [&] {
        auto x = store->find_execution(id).value;
        return x && x->state == persistence::execution_state::completed;
      },
      std::chrono::seconds{20}));
  auto x = store->find_execution(id).value;
  CHECK(x->owner_node == "n2");
  CHECK(x->workflow_version == 1);
  auto cps = store->checkpoints(id).value;
  REQUIRE(cps.size() == 4);
  for (const auto& cp : cps) {
    INFO(cp.step_id << ": " << cp.output);
    CHECK_THAT(cp.output, Catch::Contains("from-v1"));
  }
  // A new execution, on the survivor, starts with version 2.
  auto n2_client = nodes[1].client();
  auto& n2 = *n2_client;
  auto fresh = n2.Post("/api/v1/workflows/Versioned/execute",
                       R"({"input": {}})", "application/json");
  REQUIRE(fresh);
  CHECK(json::parse(fresh->body)["workflow_version"] == 2);
}
