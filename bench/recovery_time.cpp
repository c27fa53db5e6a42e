// Recovery after a crash and restart with the same node id: N executions
// are left running in the store, owned by the "crashed" node whose lease is
// still valid, each with some steps already checkpointed. The node then
// starts again and must reclaim them at once (no lease wait), resume each
// from its checkpoints and finish the remaining steps.
//
//   bench_recovery_time [--store URL] [--executions N] [--done K]
//
// N defaults to 500; each execution is a chain of 5 steps of which the
// first K (default 2) are already committed. Prints the time node::start
// takes (claim, read checkpoints, spawn the executions) and the time until
// every execution completed.

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>

#include "bench/bench_catalog.hpp"
#include "hishamos/node.hpp"
#include "persistence/open_store.hpp"

using namespace hishamos;
using clock_type = std::chrono::steady_clock;

namespace {

model::workflow_def chain() {
  std::string yaml = "name: Recover\nsteps:\n";
  for (int i = 0; i < 5; ++i)
    yaml += "  - {id: s" + std::to_string(i) +
            (i ? ", depends_on: [s" + std::to_string(i - 1) + "]" : "") +
            ", agent_id: quick, command_template_id: cmd_step, params: {n: "
            "x}}\n";
  return *model::parse_workflow(yaml, "bench");
}

double completed(const std::string& metrics) {
  std::smatch m;
  std::regex re{"\nhishamos_executions_total\\{state=\"completed\"\\} "
                "([0-9.e+]+)"};
  return std::regex_search(metrics, m, re) ? std::stod(m[1]) : 0;
}

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0)
      .count();
}

} // namespace

int main(int argc, char** argv) {
  std::string store;
  int executions = 500, done = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--store")
      store = v;
    else if (k == "--executions")
      executions = std::stoi(v);
    else if (k == "--done")
      done = std::stoi(v);
  }
  auto dir = std::filesystem::temp_directory_path() / "hishamos-bench-recovery";
  std::filesystem::remove_all(dir);
  if (store.empty())
    store = "sqlite:" + (dir / "bench.db").string();
  const std::string node_id = "crashed";
  auto wf = chain();

  { // The state a SIGKILL leaves behind.
    auto opened = persistence::open_store(store);
    if (!opened || !opened.value->migrate()) {
      std::fprintf(stderr, "cannot open %s: %s\n",
                   persistence::redact_url(store).c_str(),
                   opened.st.message.c_str());
      return 1;
    }
    auto& db = *opened.value;
    if (auto* leases = db.leases();
        leases && !leases->heartbeat(node_id, 60000))
      return 1;
    auto definition = model::to_json(wf).dump();
    std::vector<persistence::checkpoint> cps;
    for (int i = 0; i < executions; ++i) {
      persistence::execution_record x;
      x.id = "recover-" + std::to_string(persistence::now_ms()) + "-" +
             std::to_string(i);
      x.workflow_name = wf.name;
      x.definition = definition;
      x.input = "{}";
      x.owner_node = node_id;
      if (!db.create_execution(x))
        return 1;
      for (int s = 0; s < done; ++s)
        cps.push_back(
            {x.id, "s" + std::to_string(s), 1, 1, "done", "quick", 1, 2});
    }
    if (!db.save_checkpoints(cps))
      return 1;
  }

  node_options options;
  options.config.store_url = store;
  options.config.node_id = node_id;
  options.catalog = bench::bench_catalog({"quick"}, 256);
  auto t0 = clock_type::now();
  auto started = node::start(options);
  if (!started) {
    std::fprintf(stderr, "%s\n", model::to_string(started.errors()).c_str());
    return 1;
  }
  double resumed_ms = ms_since(t0);
  auto& n = **started;
  // Polling the node's own counters (no database round trips).
  while (completed("\n" + n.metrics_text()) < executions)
    std::this_thread::sleep_for(std::chrono::milliseconds{2});
  double completed_ms = ms_since(t0);
  std::printf("store=%s executions=%d resumed=%zu steps_left=%d "
              "reclaimed_and_resumed=%.0fms all_completed=%.0fms\n",
              store.substr(0, store.find(':')).c_str(), executions, n.resumed(),
              executions * (5 - done), resumed_ms, completed_ms);
  return 0;
}
