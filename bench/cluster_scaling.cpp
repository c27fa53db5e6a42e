// An execution-heavy run on one node against three: the nodes run in this
// process (an actor system and middleman each) and share one PostgreSQL.
// Every node hosts a replica of agent `worker` (capacity C, simulated model
// latency L); executions of a 3-step chain are submitted round-robin to the
// nodes, and their steps run on any node's replica. With a model latency
// the agents' capacity bounds throughput and three nodes have three times
// as much of it; with none, the store's commits do.
//
//   bench_cluster_scaling --store postgresql://... [--executions N]
//                         [--latency-ms L] [--capacity C]

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

struct settings {
  std::string store;
  int executions = 600;
  int latency_ms = 20;
  int capacity = 4;
};

std::unique_ptr<node> start(const settings& s, const std::string& id,
                            int port) {
  node_options o;
  o.config.store_url = s.store;
  o.config.node_id = id;
  o.config.listen = "127.0.0.1:" + std::to_string(port);
  o.config.lease_ms = 2000;
  o.config.heartbeat_ms = 250;
  o.catalog = bench::bench_catalog({"worker"}, s.capacity, s.latency_ms);
  auto n = node::start(o);
  if (!n) {
    std::fprintf(stderr, "%s\n", model::to_string(n.errors()).c_str());
    std::exit(1);
  }
  return std::move(*n);
}

// Waits until every node sees the other nodes' replicas of the agent.
void wait_for_mesh(const std::vector<std::unique_ptr<node>>& nodes) {
  for (const auto& n : nodes)
    for (int i = 0; i < 400; ++i) {
      size_t seen = 0;
      for (const auto& x : n->cluster().value.nodes)
        seen += x.id != n->id() && x.connected && !x.agents.empty();
      if (seen + 1 == nodes.size())
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds{25});
    }
}

void run(const settings& s, int count, int first_port) {
  std::vector<std::unique_ptr<node>> nodes;
  auto tag = std::to_string(count) + "-" + std::to_string(first_port);
  for (int i = 0; i < count; ++i)
    nodes.push_back(
        start(s, "scale-" + tag + "-" + std::to_string(i), first_port + i));
  wait_for_mesh(nodes);
  auto wf = std::make_shared<const model::workflow_def>(*model::parse_workflow(
      "name: Chain\nsteps:\n"
      "  - {id: a, agent_id: worker, command_template_id: cmd_step, params: "
      "{n: a}}\n"
      "  - {id: b, depends_on: [a], agent_id: worker, command_template_id: "
      "cmd_step, params: {n: b}}\n"
      "  - {id: c, depends_on: [b], agent_id: worker, command_template_id: "
      "cmd_step, params: {n: c}}\n",
      "bench"));
  std::mutex mx;
  std::condition_variable cv;
  // Ends are seen on actor threads, maybe before submit() returns the id.
  std::map<std::string, clock_type::time_point> submitted, finished;
  model::execution_observer obs{{}, [&](const model::execution_finished& f) {
                                  std::lock_guard<std::mutex> guard{mx};
                                  finished[f.execution_id] = clock_type::now();
                                  cv.notify_one();
                                }};
  auto t0 = clock_type::now();
  for (int i = 0; i < s.executions; ++i) {
    auto at = clock_type::now();
    auto id = nodes[static_cast<size_t>(i % count)]->submit(wf, {}, obs);
    if (!id) {
      std::fprintf(stderr, "submit: %s\n",
                   model::to_string(id.errors()).c_str());
      std::exit(1);
    }
    std::lock_guard<std::mutex> guard{mx};
    submitted[*id] = at;
  }
  std::unique_lock<std::mutex> lock{mx};
  cv.wait(lock,
          [&] { return finished.size() == static_cast<size_t>(s.executions); });
  double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::vector<double> latencies;
  for (const auto& [id, end] : finished)
    latencies.push_back(
        std::chrono::duration<double>(end - submitted[id]).count());
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return 1000 * latencies[static_cast<size_t>(p * (latencies.size() - 1))];
  };
  std::printf("%d node(s): executions=%d executions/s=%.0f steps/s=%.0f "
              "execution_p50=%.0fms execution_p99=%.0fms\n",
              count, s.executions, s.executions / secs, 3 * s.executions / secs,
              pct(0.5), pct(0.99));
}

} // namespace

int main(int argc, char** argv) {
  settings s;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--store")
      s.store = v;
    else if (k == "--executions")
      s.executions = std::stoi(v);
    else if (k == "--latency-ms")
      s.latency_ms = std::stoi(v);
    else if (k == "--capacity")
      s.capacity = std::stoi(v);
  }
  if (s.store.rfind("postgres", 0) != 0) {
    std::fprintf(stderr, "--store must be a postgresql:// URL\n");
    return 2;
  }
  std::printf("agent worker: capacity %d per node, model latency %d ms; "
              "3-step chains submitted round-robin\n",
              s.capacity, s.latency_ms);
  run(s, 1, 47401);
  run(s, 3, 47411);
  return 0;
}
