// Dispatch decisions among many agents and with a large backlog: one
// dispatcher, --agents real agent actors (catalog agents on the local
// provider, as a node hosts them) and --waiting steps queued. --stuck of
// the agents (default 500) take a task and answer only after an hour, so
// the steps asked of them pile up in the queue; the others ("quick")
// answer at once, and are idle but for the steps the benchmark streams to
// them. It measures:
//   - resident memory per hosted idle agent (growth while the agents are
//     spawned and the dispatcher indexes them, divided by the agents), and
//     how long hosting them took;
//   - with the backlog in place, decisions per second (steps routed and
//     answered, --window of them in flight, default 512) and p50 / p99
//     latency of one step from assignment to answer: with --window 1 that
//     is one routing decision plus the agent's answer; with more in
//     flight it includes queueing;
//   - memory per waiting step (resident set growth while the backlog
//     fills, divided by the waiting steps).
//
// Agents are hosted on demand (dispatch_settings::on_demand_agents: an
// actor only while an agent has a task); --eager gives every agent an
// actor from the start, as a node did before.
//
//   bench_dispatch [--agents N] [--stuck N] [--waiting N] [--steps N]
//                  [--window N] [--eager]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/agent.hpp"
#include "actors/dispatcher.hpp"
#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "bench/bench_catalog.hpp"
#include "bench/rss.hpp"

using namespace hishamos;
using clock_type = std::chrono::steady_clock;

namespace {

actors::assign_step step_for(const std::string& department, int n) {
  actors::assign_step s;
  s.task.task_id = department + std::to_string(n);
  s.task.execution_id = "e" + std::to_string(n);
  s.task.step_id = "s";
  s.task.template_id = "cmd_step";
  s.task.params = R"({"n":"1"})";
  s.task.prompt = "step 1";
  s.department = department;
  s.capabilities = {"work"};
  s.workflow = "bench";
  return s;
}

model::agent_def agent(const std::string& department, int i) {
  model::agent_def def;
  def.id = department + "_" + std::to_string(i);
  def.department = department;
  def.capabilities = {"work"};
  def.capacity = 1;
  if (department == "stuck")
    def.latency_ms = 3'600'000; // a timer: no thread waits for it
  return def;
}

struct driver_state {
  static inline const char* name = "bench.driver";
  std::vector<double> latencies_us;
  int sent = 0;
  int total = 0;
  clock_type::time_point started;
  actors::dispatcher_actor dispatcher;
  caf::response_promise done;
};

std::string percentiles(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  auto at = [&](double p) {
    return xs[static_cast<size_t>(p * static_cast<double>(xs.size() - 1))];
  };
  char buf[96];
  std::snprintf(buf, sizeof buf, "p50=%.0fus p99=%.0fus", at(0.5), at(0.99));
  return buf;
}

// Keeps `window` quick steps in flight until `total` were answered.
void send_one(caf::stateful_actor<driver_state>* self) {
  auto& st = self->state;
  auto at = clock_type::now();
  self->request(st.dispatcher, caf::infinite, step_for("quick", st.sent++))
      .then([self, at](model::task_reply&) {
        auto& st = self->state;
        st.latencies_us.push_back(
            std::chrono::duration<double, std::micro>(clock_type::now() - at)
                .count());
        if (st.sent < st.total)
          send_one(self);
        else if (static_cast<int>(st.latencies_us.size()) == st.total)
          st.done.deliver(percentiles(st.latencies_us));
      });
}

caf::behavior driver(caf::stateful_actor<driver_state>* self,
                     actors::dispatcher_actor dispatcher, int total,
                     int window) {
  self->state.dispatcher = std::move(dispatcher);
  self->state.total = total;
  return {[self, window](caf::get_atom) {
    self->state.done = self->make_response_promise();
    self->state.started = clock_type::now();
    for (int i = 0; i < window && self->state.sent < self->state.total; ++i)
      send_one(self);
    return self->state.done;
  }};
}

} // namespace

int main(int argc, char** argv) {
  int agents = 1000, stuck = 500, waiting = 10000, steps = 20000, window = 512;
  bool eager = false;
  for (int i = 1; i < argc; ++i)
    if (std::string{argv[i]} == "--eager")
      eager = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--eager") {
      --i;
      continue;
    }
    int v = std::stoi(argv[i + 1]);
    if (k == "--agents")
      agents = v;
    else if (k == "--stuck")
      stuck = v;
    else if (k == "--waiting")
      waiting = v;
    else if (k == "--steps")
      steps = v;
    else if (k == "--window")
      window = v;
  }
  caf::actor_system_config cfg;
  actors::add_message_types(cfg);
  caf::actor_system sys{cfg};
  auto catalog = bench::bench_catalog({}, 1);
  long empty = bench::rss_kib();
  auto hosting = clock_type::now();
  std::vector<caf::actor> handles;
  std::vector<std::pair<model::agent_def, caf::actor>> hosted;
  actors::dispatch_settings settings;
  auto spawn = [&](const model::agent_def& def) {
    return actors::spawn_agent(sys, {def, catalog, {}, {}, "bench", {}});
  };
  for (int i = 0; i < agents; ++i) {
    auto def = i < stuck ? agent("stuck", i) : agent("quick", i - stuck);
    if (!eager) {
      settings.on_demand_agents.push_back(std::move(def));
      continue;
    }
    auto a = spawn(def);
    handles.push_back(a);
    hosted.emplace_back(std::move(def), std::move(a));
  }
  settings.spawn_on_demand = spawn;
  auto dispatcher =
      actors::spawn_dispatcher(sys, std::move(hosted), std::move(settings));
  caf::scoped_actor self{sys};
  std::vector<model::agent_directory_entry> dir;
  self->request(dispatcher, caf::infinite, actors::directory_atom::value)
      .receive(
          [&](std::vector<model::agent_directory_entry>& xs) {
            dir = std::move(xs);
          },
          [](caf::error&) {});
  double hosting_s =
      std::chrono::duration<double>(clock_type::now() - hosting).count();
  dir = {};
  long hosting_kib = bench::rss_kib() - empty;
  // The backlog: one step per stuck agent runs, the rest waits.
  long before = bench::rss_kib();
  int backlog = waiting + stuck;
  for (int i = 0; i < backlog; ++i)
    self->send(dispatcher, step_for("stuck", i));
  self->request(dispatcher, caf::infinite, actors::directory_atom::value)
      .receive([&](std::vector<model::agent_directory_entry>&) {},
               [](caf::error&) {});
  long after = bench::rss_kib();
  auto d = sys.spawn(driver, dispatcher, steps, window);
  auto t0 = clock_type::now();
  std::string latency;
  self->request(d, caf::infinite, caf::get_atom::value)
      .receive([&](std::string& s) { latency = std::move(s); },
               [](caf::error&) {});
  double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  caf::anon_send_exit(d, caf::exit_reason::user_shutdown);
  // What the dispatcher spends on this node's part of the directory, which
  // a clustered node shares with its peers at every heartbeat.
  auto s0 = clock_type::now();
  self->request(dispatcher, caf::infinite, actors::sync_atom::value)
      .receive([](actors::directory_update&) {}, [](caf::error&) {});
  double share_ms =
      std::chrono::duration<double, std::milli>(clock_type::now() - s0).count();
  std::printf("%s agents=%d stuck=%d hosted_in=%.1fs rss_hosting=%.0fMiB "
              "memory_per_agent=%.0f bytes waiting=%d in_flight=%d "
              "decisions=%d decisions/s=%.0f latency %s "
              "memory_per_waiting_step=%.0f bytes directory_share=%.1fms "
              "rss=%.0fMiB\n",
              eager ? "eager" : "on-demand", agents, stuck, hosting_s,
              hosting_kib / 1024.0,
              1024.0 * static_cast<double>(hosting_kib) / agents, waiting,
              window, steps, steps / secs, latency.c_str(),
              1024.0 * static_cast<double>(after - before) / waiting, share_ms,
              bench::rss_kib() / 1024.0);
  caf::anon_send_exit(dispatcher, caf::exit_reason::user_shutdown);
  for (auto& a : handles)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  return 0;
}
