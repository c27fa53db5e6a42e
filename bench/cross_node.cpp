// Task round trips on one node against across two nodes: two nodes in this
// process, each with its own actor system and middleman, sharing one
// PostgreSQL. Node A runs one-step executions whose agent lives on A
// (same-node) or on B (cross-node; the task and its reply cross the
// middleman over loopback). A step's latency runs from its start to its
// committed checkpoint, so both include one group-committed write.
//
//   bench_cross_node --store postgresql://... [--executions N]

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_catalog.hpp"
#include "hishamos/node.hpp"

using namespace hishamos;
using clock_type = std::chrono::steady_clock;

namespace {

std::unique_ptr<node> start(const std::string& store, const std::string& id,
                            int port, const std::string& agent) {
  node_options o;
  o.config.store_url = store;
  o.config.node_id = id;
  o.config.listen = "127.0.0.1:" + std::to_string(port);
  o.config.lease_ms = 1000;
  o.config.heartbeat_ms = 200;
  o.config.agents = {agent};
  o.catalog = bench::bench_catalog({"here", "there"}, 64);
  auto n = node::start(o);
  if (!n) {
    std::fprintf(stderr, "%s\n", model::to_string(n.errors()).c_str());
    std::exit(1);
  }
  return std::move(*n);
}

void run(node& n, const std::string& agent, int executions, const char* label) {
  auto wf = std::make_shared<const model::workflow_def>(*model::parse_workflow(
      "name: Hop\nsteps:\n  - {id: s, agent_id: " + agent +
          ", command_template_id: cmd_step, params: {n: x}}\n",
      "bench"));
  std::mutex mx;
  std::condition_variable cv;
  int finished = 0;
  std::vector<std::int64_t> latencies;
  std::map<std::string, std::int64_t> started;
  model::execution_observer obs{[&](const model::step_event& e) {
                                  std::lock_guard<std::mutex> guard{mx};
                                  if (e.kind == "started")
                                    started[e.execution_id] = e.at_ms;
                                  else if (e.kind == "completed")
                                    latencies.push_back(
                                        e.at_ms - started[e.execution_id]);
                                },
                                [&](const model::execution_finished&) {
                                  std::lock_guard<std::mutex> guard{mx};
                                  ++finished;
                                  cv.notify_one();
                                }};
  auto t0 = clock_type::now();
  for (int i = 0; i < executions; ++i)
    if (!n.submit(wf, {}, obs))
      std::exit(1);
  std::unique_lock<std::mutex> lock{mx};
  cv.wait(lock, [&] { return finished == executions; });
  double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return static_cast<long long>(
        latencies[static_cast<size_t>(p * (latencies.size() - 1))]);
  };
  std::printf("%s: executions=%d steps/s=%.0f step_p50=%lldms "
              "step_p99=%lldms\n",
              label, executions, executions / secs, pct(0.5), pct(0.99));
}

} // namespace

int main(int argc, char** argv) {
  std::string store;
  int executions = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--store")
      store = v;
    else if (k == "--executions")
      executions = std::stoi(v);
  }
  if (store.rfind("postgres", 0) != 0) {
    std::fprintf(stderr, "--store must be a postgresql:// URL\n");
    return 2;
  }
  auto a = start(store, "bench-a", 47311, "here");
  auto b = start(store, "bench-b", 47312, "there");
  // Wait for the mesh: A must know B's agent.
  for (int i = 0; i < 200; ++i) {
    auto view = a->cluster();
    bool ready = false;
    for (const auto& x : view.value.nodes)
      ready = ready || (x.id == "bench-b" && x.connected && !x.agents.empty());
    if (ready)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  run(*a, "here", executions, "same-node ");
  run(*a, "there", executions, "cross-node");
  return 0;
}
