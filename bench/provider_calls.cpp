// Provider calls through the gateway, against a fake OpenAI-compatible
// server in this process:
//   - L1 hits: calls per second and p50 / p99 latency of deterministic
//     calls answered from the in-process cache (--window in flight);
//   - L2 hits (with --redis URL or HISHAMOS_BENCH_REDIS_URL): the same
//     through a gateway without L1, so every call is a Redis lookup; 256
//     distinct primed prompts in turn, so no two calls in flight coalesce;
//   - 1,000 concurrent calls in flight against a server that answers after
//     --slow-ms: the process's threads and resident memory before the
//     calls and at their peak. The gateway uses one HTTP thread however
//     many calls are open; the fake server's own pool is created before
//     the first measurement.
//
//   bench_provider_calls [--calls N] [--window N] [--concurrent N]
//                        [--slow-ms N] [--redis URL]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "actors/provider_gateway.hpp"
#include "tests/support/fake_model_server.hpp"

using namespace hishamos;
using clock_type = std::chrono::steady_clock;

namespace {

long status_field(const char* field) {
  std::ifstream in{"/proc/self/status"};
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field, 0) == 0)
      return std::stol(line.substr(std::string{field}.size()));
  return -1;
}

double percentile(std::vector<double> xs, double p) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  return xs[static_cast<size_t>(p * static_cast<double>(xs.size() - 1))];
}

actors::provider_call call(const std::string& prompt, double temperature) {
  return {"fake", {}, "m1", prompt, temperature, 64, false};
}

// `calls` deterministic calls, `window` in flight, prompts taken in turn
// from `prompts` (all already cached at `layer`): throughput and latency.
void measure_hits(caf::scoped_actor& self, const caf::actor& gateway,
                  const std::vector<std::string>& prompts, int calls,
                  int window, const std::string& layer) {
  std::vector<double> latency;
  latency.reserve(static_cast<size_t>(calls));
  std::vector<clock_type::time_point> sent;
  sent.reserve(static_cast<size_t>(calls));
  auto start = clock_type::now();
  int issued = 0, answered = 0, missed = 0;
  auto issue = [&] {
    sent.push_back(clock_type::now());
    self->send(gateway,
               call(prompts[static_cast<size_t>(issued) % prompts.size()], 0));
    ++issued;
  };
  while (issued < std::min(window, calls))
    issue();
  // Answers come back in any order: latency is measured per answer
  // against the oldest unanswered send, which is exact for one in flight
  // and an upper bound otherwise.
  while (answered < calls)
    self->receive([&](actors::provider_answer& a) {
      latency.push_back(
          std::chrono::duration<double, std::micro>(
              clock_type::now() - sent[static_cast<size_t>(answered)])
              .count());
      ++answered;
      missed += a.cache != layer;
      if (issued < calls)
        issue();
    });
  double secs =
      std::chrono::duration<double>(clock_type::now() - start).count();
  std::printf("%s calls=%d window=%d calls/s=%.0f latency p50=%.0fus "
              "p99=%.0fus not_%s_hits=%d\n",
              layer.c_str(), calls, window, calls / secs,
              percentile(latency, 0.5), percentile(latency, 0.99),
              layer.c_str(), missed);
}

} // namespace

int main(int argc, char** argv) {
  int calls = 50000, window = 64, concurrent = 1000, slow_ms = 2000;
  std::string redis_url;
  if (const char* env = std::getenv("HISHAMOS_BENCH_REDIS_URL"))
    redis_url = env;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--redis") {
      redis_url = argv[i + 1];
      continue;
    }
    int v = std::stoi(argv[i + 1]);
    if (k == "--calls")
      calls = v;
    else if (k == "--window")
      window = v;
    else if (k == "--concurrent")
      concurrent = v;
    else if (k == "--slow-ms")
      slow_ms = v;
  }
  test::fake_model_server server{static_cast<size_t>(concurrent) + 16};
  caf::actor_system_config cfg;
  actors::add_message_types(cfg);
  caf::actor_system sys{cfg};
  actors::gateway_settings gs;
  config::provider_settings p;
  p.type = "openai";
  p.base_url = server.base_url();
  p.timeout_ms = slow_ms * 10;
  gs.providers["fake"] = p;
  auto gateway = actors::spawn_provider_gateway(sys, gs);
  caf::scoped_actor self{sys};

  // L1: one call primes the cache, then every call is a hit.
  self->request(gateway, std::chrono::seconds{10}, call("cached", 0))
      .receive([](actors::provider_answer&) {}, [](caf::error&) {});
  measure_hits(self, gateway, {"cached"}, calls, window, "l1");
  measure_hits(self, gateway, {"cached"}, calls / 10, 1, "l1");

  if (!redis_url.empty()) {
    // L2: a gateway without L1; a first pass fills Redis.
    auto l2_settings = gs;
    l2_settings.l1_cache_bytes = 0;
    l2_settings.redis_url = redis_url;
    auto l2 = actors::spawn_provider_gateway(sys, l2_settings);
    std::vector<std::string> prompts;
    for (int i = 0; i < 256; ++i)
      prompts.push_back(
          "l2 prompt " + std::to_string(i) + " " +
          std::to_string(clock_type::now().time_since_epoch().count()));
    for (const auto& prompt : prompts)
      self->request(l2, std::chrono::seconds{10}, call(prompt, 0))
          .receive([](actors::provider_answer&) {}, [](caf::error&) {});
    measure_hits(self, l2, prompts, calls / 5, window, "l2");
    measure_hits(self, l2, prompts, calls / 25, 1, "l2");
    anon_send_exit(l2, caf::exit_reason::user_shutdown);
  }

  // 1,000 calls open at once against a slow upstream.
  test::scripted_reply slow{test::scripted_reply::kind::slow};
  slow.delay = std::chrono::milliseconds{slow_ms};
  server.script({slow});
  long threads_before = status_field("Threads:");
  long rss_before = status_field("VmRSS:");
  for (int i = 0; i < concurrent; ++i)
    self->send(gateway, call("p" + std::to_string(i), 0.5));
  long threads_peak = threads_before, rss_peak = rss_before;
  int done = 0, failed = 0;
  auto t0 = clock_type::now();
  while (done < concurrent) {
    self->receive(
        [&](actors::provider_answer& a) {
          ++done;
          if (!a.ok && failed++ == 0)
            std::fprintf(stderr, "first failure: %s\n", a.text.c_str());
        },
        caf::after(std::chrono::milliseconds{100}) >> [] {});
    threads_peak = std::max(threads_peak, status_field("Threads:"));
    rss_peak = std::max(rss_peak, status_field("VmRSS:"));
  }
  double took = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::printf("in_flight=%d upstream_delay=%dms all_answered_in=%.1fs "
              "failed=%d threads before=%ld peak=%ld rss before=%ldKiB "
              "peak=%ldKiB (%.1f KiB per open call)\n",
              concurrent, slow_ms, took, failed, threads_before, threads_peak,
              rss_before, rss_peak,
              static_cast<double>(rss_peak - rss_before) / concurrent);
  anon_send_exit(gateway, caf::exit_reason::user_shutdown);
}
