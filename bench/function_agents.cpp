// Hosts many function agents through the embedder API (node::register_agents
// on a node with dispatch.agents_on_demand) and runs one-step workflows on
// agents picked at random among them, one at a time.
//
//   bench_function_agents [--agents N] [--workflows N] [--store URL]
//                         [--one-by-one] [--threads N]
//
// --one-by-one registers them with node::register_agent, one call each
// (a catalog copy and an actor per agent), for comparison. --threads sets
// the actor system's worker threads (default: one per core, at least two).
//
// Prints the time to register them, the resident memory they take (per
// agent), and each workflow's submit-to-finished time (p50/p99): a durable
// step end to end, the dispatch to one agent among N included. Defaults:
// 1,000,000 agents, 1,000 workflows, SQLite in a temporary directory.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_catalog.hpp"
#include "bench/rss.hpp"
#include "hishamos/node.hpp"

using namespace hishamos;
using clock_type = std::chrono::steady_clock;

namespace {

model::task_reply answer(const model::task_request& t) {
  model::task_reply r;
  r.task_id = t.task_id;
  r.ok = true;
  r.output = "done";
  return r;
}

} // namespace

int main(int argc, char** argv) {
  int agents = 1000000, workflows = 1000, threads = 0;
  std::string store;
  bool one_by_one = false;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--one-by-one") {
      one_by_one = true;
      continue;
    }
    if (i + 1 == argc)
      break;
    std::string v = argv[++i];
    if (k == "--agents")
      agents = std::max(1, std::stoi(v));
    else if (k == "--workflows")
      workflows = std::max(1, std::stoi(v));
    else if (k == "--store")
      store = v;
    else if (k == "--threads")
      threads = std::stoi(v);
  }
  auto dir = std::filesystem::temp_directory_path() / "hishamos-bench-fn";
  std::filesystem::remove_all(dir);
  if (store.empty())
    store = "sqlite:" + (dir / "bench.db").string();

  node_options options;
  options.config.store_url = store;
  options.config.node_id = "bench";
  options.config.dispatch.agents_on_demand = true;
  options.catalog = bench::bench_catalog({}, 1);
  options.scheduler_threads = threads;
  auto started = node::start(options);
  if (!started) {
    std::fprintf(stderr, "%s\n", model::to_string(started.errors()).c_str());
    return 1;
  }
  auto n = std::move(*started);

  long empty = bench::rss_kib();
  auto t0 = clock_type::now();
  {
    std::vector<std::pair<model::agent_def, model::agent_function>> fns;
    fns.reserve(static_cast<size_t>(agents));
    for (int i = 0; i < agents; ++i) {
      model::agent_def def;
      def.id = "f" + std::to_string(i);
      def.capacity = 1;
      if (one_by_one)
        n->register_agent(std::move(def), answer);
      else
        fns.emplace_back(std::move(def), answer);
    }
    if (!one_by_one)
      n->register_agents(std::move(fns));
  }
  double registered_s =
      std::chrono::duration<double>(clock_type::now() - t0).count();
  long hosting_kib = bench::rss_kib() - empty;

  std::mt19937 rng{42};
  std::uniform_int_distribution<int> pick{0, agents - 1};
  std::vector<double> micros;
  for (int w = 0; w < workflows; ++w) {
    auto wf =
        std::make_shared<const model::workflow_def>(*model::parse_workflow(
            "name: Fn\nsteps:\n  - {id: a, agent_id: f" +
                std::to_string(pick(rng)) +
                ", command_template_id: cmd_step, params: {n: '1'}}\n",
            "bench"));
    std::mutex mx;
    std::condition_variable cv;
    bool done = false;
    std::string state;
    model::execution_observer obs{{}, [&](const model::execution_finished& f) {
                                    std::lock_guard<std::mutex> guard{mx};
                                    done = true;
                                    state = f.state;
                                    cv.notify_one();
                                  }};
    auto t = clock_type::now();
    if (!n->submit(wf, {}, obs)) {
      std::fprintf(stderr, "submission %d refused\n", w);
      return 1;
    }
    std::unique_lock<std::mutex> lock{mx};
    cv.wait(lock, [&] { return done; });
    if (state != "completed") {
      std::fprintf(stderr, "workflow %d ended %s\n", w, state.c_str());
      return 1;
    }
    micros.push_back(
        std::chrono::duration<double, std::micro>(clock_type::now() - t)
            .count());
  }
  std::sort(micros.begin(), micros.end());
  auto pct = [&](double p) {
    return micros[static_cast<size_t>(p * (micros.size() - 1))];
  };
  std::printf("%s function_agents=%d registered_in=%.1fs rss_hosting=%.0fMiB "
              "memory_per_agent=%.0f bytes workflows=%d step_end_to_end "
              "p50=%.0fus p99=%.0fus rss=%.0fMiB\n",
              one_by_one ? "one-by-one" : "bulk", agents, registered_s,
              hosting_kib / 1024.0, hosting_kib * 1024.0 / agents, workflows,
              pct(0.5), pct(0.99), bench::rss_kib() / 1024.0);
  return 0;
}
