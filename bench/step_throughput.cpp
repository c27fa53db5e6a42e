// Durable step throughput on the embedded SQLite store: W workflows of S
// sequential steps each, agents answering at once (local provider, no
// latency), every step checkpointed with synchronous=FULL before the next.
// Prints steps/s, workflows/s and p50/p99 of start-to-checkpoint latency.
//
//   step_throughput [workflows=200] [steps=5]

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "hishamos/node.hpp"

using namespace hishamos;

int main(int argc, char** argv) {
  int workflows = argc > 1 ? std::stoi(argv[1]) : 200;
  int steps = argc > 2 ? std::stoi(argv[2]) : 5;
  auto dir = std::filesystem::temp_directory_path() / "hishamos-bench";
  std::filesystem::remove_all(dir);

  auto cat = std::make_shared<model::catalog>();
  auto agent = *model::parse_agent("{id: quick, capacity: 64}", "bench");
  cat->agents[agent.id] = agent;
  auto tpl = *model::parse_command_template(
      "id: cmd_step\nparams: {n: {type: string}}\nprompt: 'step {{n}}'\n",
      "bench");
  cat->templates[tpl.id] = tpl;
  std::string yaml = "name: Chain\nsteps:\n";
  for (int i = 0; i < steps; ++i)
    yaml += "  - {id: s" + std::to_string(i) + ", order: " + std::to_string(i) +
            ", agent_id: quick, command_template_id: cmd_step, params: {n: '" +
            std::to_string(i) + "'}}\n";
  auto wf = std::make_shared<const model::workflow_def>(
      *model::parse_workflow(yaml, "bench"));

  node_options options;
  options.config.store_url = "sqlite:" + (dir / "bench.db").string();
  options.catalog = cat;
  auto n = std::move(*node::start(options));

  std::mutex mx;
  std::condition_variable cv;
  int finished = 0;
  std::vector<std::int64_t> started_at, latencies;
  std::map<std::string, std::int64_t> open_steps;
  model::execution_observer obs{[&](const model::step_event& e) {
                                  std::lock_guard<std::mutex> guard{mx};
                                  auto key = e.execution_id + "/" + e.step_id;
                                  if (e.kind == "started")
                                    open_steps[key] = e.at_ms;
                                  else if (e.kind == "completed")
                                    latencies.push_back(e.at_ms -
                                                        open_steps[key]);
                                },
                                [&](const model::execution_finished&) {
                                  std::lock_guard<std::mutex> guard{mx};
                                  ++finished;
                                  cv.notify_one();
                                }};
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < workflows; ++i)
    if (!n->submit(wf, {}, obs))
      return 1;
  std::unique_lock<std::mutex> lock{mx};
  cv.wait(lock, [&] { return finished == workflows; });
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies[static_cast<size_t>(p * (latencies.size() - 1))];
  };
  std::printf(
      "workflows=%d steps_each=%d wall=%.2fs steps/s=%.0f workflows/s=%.1f "
      "step p50=%lldms p99=%lldms\n",
      workflows, steps, secs, workflows * steps / secs, workflows / secs,
      static_cast<long long>(pct(0.5)), static_cast<long long>(pct(0.99)));
  return 0;
}
