#include "tests/support/node_cluster.hpp"

#include "persistence/open_store.hpp"
#include "tests/support/credentials.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <map>

#include <httplib.h>

#include "tests/support/invariants.hpp"
#include "tests/support/metric_sample.hpp"
#include "tests/support/store_reads.hpp"
#include "tests/support/wait.hpp"

namespace hishamos::test {

namespace {

const std::string binary = HISHAMOS_BINARY;

std::string step(const std::string& id, const std::string& deps,
                 const std::string& agent, const std::string& text) {
  return "  - {id: " + id + deps + ", agent_id: " + agent +
         ", command_template_id: cmd_echo, params: {text: '" + text + "'}}\n";
}

} // namespace

node_cluster::node_cluster(std::string url, int latency_ms, std::string ledger)
    : store_url(std::move(url)), ledger_url(std::move(ledger)) {
  if (ledger_url.empty())
    ledger_url = store_url.rfind("sqlite:", 0) == 0
                     ? "sqlite:" + (dir / "effects.db")
                     : store_url;
  effects(); // creates the table before any node writes to it
  api_key = make_api_key(store_url);
  auto latency = std::to_string(latency_ms);
  dir.write("catalog/agents/worker.yaml",
            "id: worker\ncapacity: 32\nlatency_ms: " + latency + "\n");
  for (auto id : {"a1", "a2", "a3"})
    dir.write(std::string{"catalog/agents/"} + id + ".yaml",
              std::string{"id: "} + id +
                  "\ncapacity: 8\nlatency_ms: " + latency + "\n");
  dir.write("catalog/templates/echo.yaml",
            "id: cmd_echo\nparams:\n  text: {type: string, required: true}\n"
            "prompt: 'Echo {{text}}'\n");
  dir.write("catalog/workflows/diamond.yaml",
            "name: Diamond\nsteps:\n" + step("a", "", "worker", "a") +
                step("b", ", depends_on: [a]", "worker", "{{steps.a.output}}") +
                step("c", ", depends_on: [a]", "worker", "c") +
                step("d", ", depends_on: [b, c]", "worker", "d"));
  dir.write("catalog/workflows/pair.yaml",
            "name: Pair\nsteps:\n" + step("p1", "", "a1", "one") +
                step("p2", ", depends_on: [p1]", "a2", "{{steps.p1.output}}"));
  // Two workflows that lock the same resource, on agents of different
  // nodes in the cluster tests.
  for (auto [name, agent] :
       {std::pair{"LockedA2", "a2"}, std::pair{"LockedA1", "a1"},
        std::pair{"LockedA3", "a3"}})
    dir.write(std::string{"catalog/workflows/"} + name + ".yaml",
              std::string{"name: "} + name +
                  "\nsteps:\n  - {id: l, agent_id: " + agent +
                  ", command_template_id: cmd_echo, params: {text: l}, locks: "
                  "[{resource: 'repo:main'}]}\n");
  dir.write("catalog/workflows/relay.yaml",
            "name: Relay\nsteps:\n" + step("r1", "", "a1", "one") +
                step("r2", ", depends_on: [r1]", "a2", "{{steps.r1.output}}") +
                step("r3", ", depends_on: [r2]", "a3", "{{steps.r2.output}}"));
}

namespace {

// `url` with its loopback host replaced by `host`.
std::string reached_at(std::string url, const std::string& host) {
  if (auto at = url.find("127.0.0.1"); at != std::string::npos)
    url.replace(at, 9, host);
  else if (auto lh = url.find("localhost"); lh != std::string::npos)
    url.replace(lh, 9, host);
  return url;
}

} // namespace

std::unique_ptr<background_process>
node_cluster::start(const std::string& id, int port, node_spec spec) {
  auto store = store_url, ledger = ledger_url;
  std::string http_host = "127.0.0.1";
  if (spec.inside) {
    spec.peer_host = http_host = spec.inside->inner_address();
    store = reached_at(store, spec.inside->host_address());
    ledger = reached_at(ledger, spec.inside->host_address());
  }
  std::string node = "node: {id: " + id +
                     ", lease_ms: " + std::to_string(spec.lease_ms) +
                     ", heartbeat_ms: " + std::to_string(spec.lease_ms / 4);
  if (spec.peer_port)
    node += ", listen: '" + spec.peer_host + ":" +
            std::to_string(spec.peer_port) + "'";
  if (spec.max_executions)
    node += ", max_executions: " + std::to_string(spec.max_executions);
  if (!spec.tls_dir.empty())
    node += ", tls: {certificate: '" + spec.tls_dir + "/" + id +
            ".pem', key: '" + spec.tls_dir + "/" + id + ".key', ca: '" +
            spec.tls_dir + "/ca.pem'}";
  std::string agents;
  for (const auto& a : spec.agents)
    agents += (agents.empty() ? "agents: [" : ", ") + a;
  if (!agents.empty())
    agents += "]\n";
  auto config =
      dir.write(id + ".yaml",
                node + "}\nhttp: {key_requests_per_window: 0, " +
                    // an isolated network's inner address
                    // is not loopback: the test says so
                    (spec.inside ? "tls_terminated_by_proxy: true, " : "") +
                    "listen: '" + http_host + ":" + std::to_string(port) +
                    "'}\nstore: {url: '" + store + "'}\ncatalog: {paths: ['" +
                    (dir / "catalog") + "']}\n" + agents + spec.extra_config);
  auto log_file = spec.log_file.empty() ? dir / (id + ".log") : spec.log_file;
  std::vector<std::string> argv = spec.wrapper;
  for (const auto& arg : {spec.binary.empty() ? binary : spec.binary,
                          std::string{"node"}, std::string{"--config"}, config})
    argv.push_back(arg);
  if (spec.inside)
    argv = spec.inside->wrap(argv);
  auto env = spec.env;
  env["HISHAMOS_EFFECT_LEDGER"] = ledger;
  auto p = std::make_unique<background_process>(argv, env, log_file);
  httplib::Client client{http_host, port};
  bool up =
      wait_until([&] { return static_cast<bool>(client.Get("/health")); });
  INFO(read_text(log_file));
  REQUIRE(up);
  return p;
}

void node_cluster::submit(int port, int count, const std::string& workflow,
                          const std::string& host) {
  httplib::Client client{host, port};
  client.set_default_headers({{"X-API-Key", api_key}});
  for (int i = 0; i < count; ++i) {
    auto res =
        client.Post(("/api/v1/workflows/" + workflow + "/execute").c_str(),
                    "{}", "application/json");
    REQUIRE(res);
    INFO(res->body);
    REQUIRE(res->status == 202);
  }
}

std::vector<persistence::effect> node_cluster::effects() const {
  auto ledger = persistence::open_effect_ledger(ledger_url);
  INFO(ledger.st.message);
  REQUIRE(ledger);
  auto all = ledger.value->all();
  INFO(all.st.message);
  REQUIRE(all);
  return all.value;
}

std::unique_ptr<persistence::store> node_cluster::open_store() const {
  auto s = persistence::open_store(store_url);
  REQUIRE(s);
  return std::move(s.value);
}

std::string node_cluster::log(const std::string& id) const {
  return read_text(dir / (id + ".log"));
}

std::vector<persistence::execution_record> unfinished(persistence::store& s) {
  std::vector<persistence::execution_record> out;
  for (const auto& x : test::all_executions(s))
    if (!persistence::is_terminal(x.state))
      out.push_back(x);
  return out;
}

std::vector<persistence::execution_record>
kill_mid_run(background_process& victim, persistence::store& s,
             size_t min_steps) {
  REQUIRE(wait_until([&] { return committed_steps(s) >= min_steps; },
                     std::chrono::seconds{20}));
  victim.kill_and_wait(SIGKILL);
  auto left = unfinished(s);
  REQUIRE_FALSE(left.empty()); // the kill really interrupted work
  return left;
}

void check_ledger(const node_cluster& c, persistence::store& s,
                  size_t steps_per_execution) {
  auto effects = c.effects();
  REQUIRE_FALSE(effects.empty()); // the agents did record
  auto violations = check_invariants(s, effects, steps_per_execution);
  for (const auto& v : violations)
    FAIL_CHECK(v);
  CHECK(violations.empty());
}

double metric_value(int port, const std::string& series,
                    const std::string& api_key, const std::string& host) {
  httplib::Client client{host, port};
  client.set_default_headers({{"X-API-Key", api_key}});
  auto res = client.Get("/metrics");
  if (!res)
    return -1;
  return metric_sample(res->body, series);
}

} // namespace hishamos::test
