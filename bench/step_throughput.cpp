// Durable step throughput: workflows whose agents answer at once, every
// step checkpointed (group commit) before the steps after it start.
//
//   bench_step_throughput [--store URL] [--shape chain|fan] [--workflows N]
//                         [--budgets on] [--submitters N] [--threads N]
//                         [--definitions by_hash|in_row] [--writers N]
//
// chain: N workflows x 5 sequential steps (default N = 1000)
// fan:   N workflows x (1 -> 8 parallel -> 1) steps (default N = 200)
// Prints steps/s, workflows/s, p50/p99 step latency (start to committed
// checkpoint), average group-commit batch, transactions per step, the
// node's CPU per step over the run (start-up not included) and, on
// PostgreSQL, WAL bytes per step and, when the server runs on this
// machine, its processes' CPU per step ("-" otherwise). With --budgets on,
// an execution budget and a workflow budget that are never reached are
// configured: every batch of ready steps asks the budget keeper first (its
// cost per step).
// --submitters N (default 16) threads submit the workflows at once, as
// concurrent API clients would: one thread submitting alone waits for each
// execution's creation commit in turn, and then that commit rate, not the
// steps, bounds the figure (--submitters 1 shows it). --threads sets the
// actor system's worker threads (default: one per core, at least two).
// --definitions by_hash|in_row sets store.definitions_by_hash (each
// definition kept once, not in every execution's row); unset, the node
// does as the store says (by hash in a store this release made, which the
// benchmark's always is); it prints which. It prints too whether routing
// decisions are kept compact or as objects, and ledger lines with their
// checkpoints or in rows of their own, as the store says (compact and
// with checkpoints in a store this release made: clear
// store_identity.compact_decisions or ledger_with_checkpoints before a run
// to see the others). --writers sets store.writers (default: as a node,
// one per two cores; the embedded store always uses one); it prints how
// many wrote.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include <pqxx/pqxx>

#include "bench/bench_catalog.hpp"
#include "hishamos/node.hpp"
#include "persistence/open_store.hpp"

using namespace hishamos;

namespace {

std::string step(const std::string& id, const std::string& deps) {
  return "  - {id: " + id + deps +
         ", agent_id: quick, command_template_id: cmd_step, "
         "params: {n: '" +
         id + "'}}\n";
}

std::string workflow_yaml(const std::string& shape) {
  std::string yaml = "name: Bench\nsteps:\n";
  if (shape == "chain") {
    for (int i = 0; i < 5; ++i)
      yaml += step("s" + std::to_string(i),
                   i ? ", depends_on: [s" + std::to_string(i - 1) + "]" : "");
    return yaml;
  }
  yaml += step("first", "");
  std::string middle;
  for (int i = 0; i < 8; ++i) {
    yaml += step("p" + std::to_string(i), ", depends_on: [first]");
    middle += (i ? ", p" : "p") + std::to_string(i);
  }
  return yaml + step("last", ", depends_on: [" + middle + "]");
}

double metric(const std::string& text, const std::string& name) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex{"\n" + name + " ([0-9.e+]+)"}))
    return std::stod(m[1]);
  return 0;
}

// CPU time (user + system, ms) of process `pid` if it is a PostgreSQL
// process of this machine; -1 otherwise.
double postgres_cpu_ms(int pid) {
  auto proc = "/proc/" + std::to_string(pid);
  std::string comm;
  if (!(std::ifstream{proc + "/comm"} >> comm) || comm != "postgres")
    return -1;
  std::ifstream in{proc + "/stat"};
  std::string stat{std::istreambuf_iterator<char>{in}, {}};
  auto fields = stat.rfind(')'); // the name may hold spaces
  if (fields == std::string::npos)
    return -1;
  std::istringstream rest{stat.substr(fields + 2)};
  std::string skip;
  for (int i = 3; i < 14; ++i) // state (field 3) up to cmajflt (13)
    rest >> skip;
  double utime = 0, stime = 0;
  if (!(rest >> utime >> stime))
    return -1;
  return (utime + stime) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double own_cpu_ms() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return ms(u.ru_utime) + ms(u.ru_stime);
}

// Where PostgreSQL's WAL and transaction ids stand, and the CPU time of
// its processes (backends, WAL writer, checkpointer, ...: all that
// pg_stat_activity lists) when the server runs on this machine. The next
// transaction id moves only for transactions that write (read-only ones
// take none), so its difference over a run counts the database's write
// transactions; the cluster is the benchmark's alone while it runs.
struct pg_position {
  long long wal = 0;
  long long next_xid = 0;
  std::map<int, double> cpu_ms; ///< By pid; empty for a remote server.
};

pg_position pg_now(const std::string& url) {
  if (url.rfind("postgres", 0) != 0)
    return {};
  pqxx::connection c{url};
  pqxx::nontransaction tx{c};
  auto row =
      tx.exec1("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, "
               "pg_snapshot_xmax(pg_current_snapshot())::text::bigint");
  pg_position out{row[0].as<long long>(), row[1].as<long long>(), {}};
  for (const auto& r : tx.exec("SELECT pid FROM pg_stat_activity"))
    if (auto ms = postgres_cpu_ms(r[0].as<int>()); ms >= 0)
      out.cpu_ms[r[0].as<int>()] = ms;
  return out;
}

// CPU PostgreSQL's processes spent from `a` to `b` (those that ended in
// between are not counted); -1 when the server is not on this machine.
double pg_cpu_between(const pg_position& a, const pg_position& b) {
  if (b.cpu_ms.empty())
    return -1;
  double sum = 0;
  for (const auto& [pid, ms] : b.cpu_ms) {
    auto before = a.cpu_ms.find(pid);
    sum += ms - (before == a.cpu_ms.end() ? 0 : before->second);
  }
  return sum;
}

} // namespace

int main(int argc, char** argv) {
  std::string store, shape = "chain";
  bool budgets = false;
  std::optional<bool> by_hash; // as the store says
  int workflows = 0;
  int submitters = 16;
  int writers = config::node_config{}.store_writers;
  int threads = 0; // CAF's default
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--store")
      store = v;
    else if (k == "--shape")
      shape = v;
    else if (k == "--workflows")
      workflows = std::stoi(v);
    else if (k == "--budgets")
      budgets = v == "on";
    else if (k == "--writers")
      writers = std::max(1, std::stoi(v));
    else if (k == "--definitions")
      by_hash = v == "by_hash";
    else if (k == "--threads")
      threads = std::stoi(v);
    else if (k == "--submitters")
      submitters = std::max(1, std::stoi(v));
  }
  if (workflows == 0)
    workflows = shape == "chain" ? 1000 : 200;
  auto dir = std::filesystem::temp_directory_path() / "hishamos-bench";
  std::filesystem::remove_all(dir);
  if (store.empty())
    store = "sqlite:" + (dir / "bench.db").string();

  auto cat = bench::bench_catalog({"quick"}, 256);
  auto wf = std::make_shared<const model::workflow_def>(
      *model::parse_workflow(workflow_yaml(shape), "bench"));
  int steps = static_cast<int>(wf->steps.size());

  node_options options;
  options.config.store_url = store;
  options.config.node_id = "bench";
  options.config.definitions_by_hash = by_hash;
  options.config.store_writers = writers;
  options.scheduler_threads = threads;
  options.catalog = cat;
  if (budgets) {
    model::budget per_execution, per_workflow;
    per_execution.limit_usd = per_workflow.limit_usd = 1e9;
    per_execution.action = model::budget_action::pause;
    per_workflow.scope = model::budget_scope::workflow;
    options.config.budgets = {per_execution, per_workflow};
  }
  auto started = node::start(options);
  if (!started) {
    std::fprintf(stderr, "%s\n", model::to_string(started.errors()).c_str());
    return 1;
  }
  auto n = std::move(*started);

  std::mutex mx;
  std::condition_variable cv;
  int finished = 0;
  std::vector<std::int64_t> latencies;
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
  auto pg0 = pg_now(store);
  auto cpu0 = own_cpu_ms();
  auto t0 = std::chrono::steady_clock::now();
  std::atomic<int> next{0}, refused{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < submitters; ++c)
    clients.emplace_back([&] {
      while (next++ < workflows)
        if (!n->submit(wf, {}, obs))
          ++refused;
    });
  for (auto& c : clients)
    c.join();
  if (refused > 0) {
    std::fprintf(stderr, "%d submissions refused\n", refused.load());
    return 1;
  }
  {
    std::unique_lock<std::mutex> lock{mx};
    cv.wait(lock, [&] { return finished == workflows; });
  }
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  auto node_cpu = own_cpu_ms() - cpu0;
  auto pg1 = pg_now(store);
  auto pg_cpu = pg_cpu_between(pg0, pg1);
  double total_steps = static_cast<double>(workflows) * steps;
  char pg_cpu_text[32] = "-"; // a server elsewhere
  if (pg_cpu >= 0)
    std::snprintf(pg_cpu_text, sizeof pg_cpu_text, "%.4f",
                  pg_cpu / total_steps);
  auto wal = pg1.wal - pg0.wal;
  auto write_tx = pg1.next_xid - pg0.next_xid;
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies[static_cast<size_t>(p * (latencies.size() - 1))];
  };
  auto text = "\n" + n->metrics_text();
  double commits = metric(text, "hishamos_checkpoint_commits_total");
  auto kept = persistence::open_store(store);
  persistence::outcome<persistence::store_settings> settings{kept.st, {}};
  if (kept)
    settings = kept.value->settings();
  const char* decisions = !settings                          ? "unknown"
                          : settings.value.compact_decisions ? "compact"
                                                             : "objects";
  const char* ledger = !settings ? "unknown"
                       : settings.value.ledger_with_checkpoints
                           ? "with_checkpoints"
                           : "own_rows";
  std::printf(
      "store=%s shape=%s definitions=%s decisions=%s ledger=%s writers=%d "
      "workflows=%d "
      "submitters=%d "
      "steps=%d wall=%.2fs steps/s=%.0f "
      "workflows/s=%.1f step_p50=%lldms step_p99=%lldms avg_batch=%.1f "
      "checkpoint_tx_per_step=%.2f write_tx_per_step=%.3f "
      "wal_bytes_per_step=%.0f node_cpu_ms_per_step=%.4f "
      "pg_cpu_ms_per_step=%s\n",
      store.substr(0, store.find(':')).c_str(), shape.c_str(),
      n->config().definitions_by_hash.value_or(false) ? "by_hash" : "in_row",
      decisions, ledger,
      config::checkpoint_writers(options.config,
                                 std::thread::hardware_concurrency()),
      workflows, submitters, steps, secs, total_steps / secs, workflows / secs,
      static_cast<long long>(pct(0.5)), static_cast<long long>(pct(0.99)),
      total_steps / std::max(commits, 1.0), commits / total_steps,
      static_cast<double>(write_tx) / total_steps, wal / total_steps,
      node_cpu / total_steps, pg_cpu_text);
  if (std::getenv("BENCH_STORE_CALLS")) // what the run asked of the store
    for (size_t at = text.find("\nhishamos_store_call_duration_seconds_count");
         at != std::string::npos;
         at = text.find("\nhishamos_store_call_duration_seconds_count", at + 1))
      std::printf(
          "%s\n",
          text.substr(at + 1, text.find('\n', at + 1) - at - 1).c_str());
  return 0;
}
