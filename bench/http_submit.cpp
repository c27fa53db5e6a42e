// Submitting executions over HTTP against a running node: C clients, each
// on its own connection (kept alive, or a new one per request), submit
// the built-in "Build New Feature" workflow as fast as answers come.
//
//   bench_http_submit --url http://127.0.0.1:8080 [--clients 16]
//                     [--requests 200] [--batch 1] [--fresh] [--pid PID]
//                     [--api-key KEY]
//
// The key (or HISHAMOS_API_KEY) is an operator's or admin's: `hishamos dev`
// prints one. Mind http.key_requests_per_window (5,000 an hour by default):
// a node benchmarked beyond it answers 429.
// --requests: per client. --batch K > 1 posts K submissions per request to
// /api/v1/executions/batch. --fresh opens a connection per request. With
// --pid, the node's CPU time (user + system, from /proc) per submission.
// Prints submissions/s, p50/p99 request latency and the statuses seen.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <httplib.h>

namespace {

struct options {
  std::string host = "127.0.0.1";
  int port = 8080;
  int clients = 16;
  int requests = 200;
  int batch = 1;
  bool fresh = false;
  int pid = 0;
  std::string api_key;
};

// The node's CPU seconds so far (utime + stime of /proc/PID/stat).
double cpu_seconds(int pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text{std::istreambuf_iterator<char>{in}, {}};
  auto close = text.rfind(')');
  if (close == std::string::npos)
    return 0;
  std::istringstream rest{text.substr(close + 2)};
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i == 14 || i == 15)
      ticks += std::stod(field);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string body_of(const options& o, int client, int request) {
  auto one = [&](int k) {
    return "{\"workflow\": \"Build New Feature\", \"input\": {\"feature\": "
           "\"bench " +
           std::to_string(client) + "-" + std::to_string(request) + "-" +
           std::to_string(k) + "\"}}";
  };
  if (o.batch <= 1)
    return "{\"input\": {\"feature\": \"bench " + std::to_string(client) + "-" +
           std::to_string(request) + "\"}}";
  std::string out = "{\"executions\": [";
  for (int k = 0; k < o.batch; ++k)
    out += (k ? "," : "") + one(k);
  return out + "]}";
}

options parse(int argc, char** argv) {
  options o;
  if (const char* key = std::getenv("HISHAMOS_API_KEY"))
    o.api_key = key;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string{argv[++i]} : ""; };
    if (a == "--url") {
      auto url = next();
      auto hp = url.substr(url.find("//") + 2);
      o.host = hp.substr(0, hp.find(':'));
      o.port = std::stoi(hp.substr(hp.find(':') + 1));
    } else if (a == "--clients") {
      o.clients = std::stoi(next());
    } else if (a == "--requests") {
      o.requests = std::stoi(next());
    } else if (a == "--batch") {
      o.batch = std::stoi(next());
    } else if (a == "--fresh") {
      o.fresh = true;
    } else if (a == "--api-key") {
      o.api_key = next();
    } else if (a == "--pid") {
      o.pid = std::stoi(next());
    } else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      std::exit(2);
    }
  }
  return o;
}

} // namespace

int main(int argc, char** argv) {
  auto o = parse(argc, argv);
  const std::string path =
      o.batch > 1 ? "/api/v1/executions/batch"
                  : "/api/v1/workflows/Build%20New%20Feature/execute";
  std::mutex mx;
  std::vector<double> latencies_ms;
  std::map<int, int> statuses;
  double cpu_before = o.pid ? cpu_seconds(o.pid) : 0;
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < o.clients; ++c)
    threads.emplace_back([&, c] {
      std::vector<double> mine;
      std::map<int, int> seen;
      auto client = std::make_unique<httplib::Client>(o.host, o.port);
      client->set_keep_alive(!o.fresh);
      client->set_default_headers({{"X-API-Key", o.api_key}});
      client->set_tcp_nodelay(true);
      for (int r = 0; r < o.requests; ++r) {
        if (o.fresh) {
          client = std::make_unique<httplib::Client>(o.host, o.port);
          client->set_tcp_nodelay(true);
          client->set_default_headers({{"X-API-Key", o.api_key}});
        }
        auto start = std::chrono::steady_clock::now();
        auto res =
            client->Post(path.c_str(), body_of(o, c, r), "application/json");
        std::chrono::duration<double, std::milli> took =
            std::chrono::steady_clock::now() - start;
        mine.push_back(took.count());
        seen[res ? res->status : 0] += 1;
      }
      std::lock_guard<std::mutex> guard{mx};
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
      for (auto [k, v] : seen)
        statuses[k] += v;
    });
  for (auto& t : threads)
    t.join();
  std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0;
  double cpu = o.pid ? cpu_seconds(o.pid) - cpu_before : 0;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto at = [&](double q) {
    return latencies_ms[std::min(latencies_ms.size() - 1,
                                 static_cast<size_t>(q * latencies_ms.size()))];
  };
  double submissions = static_cast<double>(latencies_ms.size()) * o.batch;
  std::printf("clients %d, %s connections, batch %d: %.0f requests in %.2f s\n",
              o.clients, o.fresh ? "fresh" : "kept-alive", o.batch,
              static_cast<double>(latencies_ms.size()), wall.count());
  std::printf("submissions/s %.0f  p50 %.2f ms  p99 %.2f ms",
              submissions / wall.count(), at(0.50), at(0.99));
  if (o.pid)
    std::printf("  node CPU per submission %.0f us", cpu / submissions * 1e6);
  std::printf("\nstatuses:");
  for (auto [k, v] : statuses)
    std::printf(" %d x%d", k, v);
  std::printf("\n");
  return 0;
}
