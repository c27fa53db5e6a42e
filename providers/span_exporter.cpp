#include "providers/span_exporter.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "providers/http_client.hpp"

namespace hishamos::providers {

namespace {

using nlohmann::json;

constexpr size_t max_text = 256;

std::string cut(const std::string& s) {
  return s.size() <= max_text ? s : s.substr(0, max_text);
}

json string_attribute(const std::string& key, const std::string& value) {
  return {{"key", key}, {"value", {{"stringValue", cut(value)}}}};
}

json span_json(const span& s) {
  json attrs = json::array();
  for (const auto& [k, v] : s.attributes)
    attrs.push_back(string_attribute(k, v));
  for (const auto& [k, v] : s.numbers) // 64-bit integers are strings
    attrs.push_back({{"key", k}, {"value", {{"intValue", std::to_string(v)}}}});
  json out{{"traceId", s.trace_id},
           {"spanId", s.span_id},
           {"name", cut(s.name)},
           {"kind", static_cast<int>(s.kind)},
           {"startTimeUnixNano", std::to_string(s.start_ns)},
           {"endTimeUnixNano", std::to_string(std::max(s.end_ns, s.start_ns))},
           {"attributes", std::move(attrs)},
           {"status", {{"code", s.error ? 2 : 0}}}};
  if (!s.parent_span_id.empty())
    out["parentSpanId"] = s.parent_span_id;
  if (s.error && !s.status_message.empty())
    out["status"]["message"] = cut(s.status_message);
  return out;
}

} // namespace

std::string otlp_json(const span_exporter_settings& cfg,
                      const std::vector<span>& spans) {
  json list = json::array();
  for (const auto& s : spans)
    list.push_back(span_json(s));
  json resource{{"attributes",
                 {string_attribute("service.name", cfg.service_name),
                  string_attribute("service.instance.id", cfg.node_id),
                  string_attribute("service.version", cfg.version)}}};
  json body{{"resourceSpans",
             {{{"resource", std::move(resource)},
               {"scopeSpans",
                {{{"scope", {{"name", "hishamos"}, {"version", cfg.version}}},
                  {"spans", std::move(list)}}}}}}}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::int64_t unix_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct span_exporter::impl {
  span_exporter_settings cfg;
  http_client http{4};
  std::mutex mx;
  std::condition_variable wake;
  std::deque<span> queue;
  bool stopping = false;
  std::atomic<std::uint64_t> exported{0};
  std::atomic<std::uint64_t> dropped{0};
  bool failing = false; ///< The last batch was lost (logged once).
  std::mt19937_64 rng{std::random_device{}()};
  std::thread thread;

  explicit impl(span_exporter_settings s) : cfg(std::move(s)) {
    thread = std::thread{[this] { run(); }};
  }

  void run() {
    std::unique_lock<std::mutex> lock{mx};
    for (;;) {
      wake.wait_for(lock, cfg.interval, [this] {
        return stopping || queue.size() >= cfg.max_batch;
      });
      bool last = stopping;
      std::vector<span> batch;
      while (!queue.empty() && batch.size() < cfg.max_batch) {
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      if (!batch.empty()) {
        lock.unlock();
        send(batch);
        lock.lock();
      }
      if (last)
        return;
    }
  }

  void send(const std::vector<span>& batch) {
    http_request req;
    req.url = cfg.endpoint;
    req.headers = {"Content-Type: application/json"};
    req.body = otlp_json(cfg, batch);
    req.timeout_ms = cfg.timeout_ms;
    req.connect_timeout_ms = std::min<std::int64_t>(cfg.timeout_ms, 2000);
    req.max_response_bytes = 64 << 10;
    auto answer = std::make_shared<std::promise<http_response>>();
    auto got = answer->get_future();
    http.submit(std::move(req),
                [answer](http_response r) { answer->set_value(std::move(r)); });
    auto r = got.get(); // the client answers every call, by its timeout
    if (r.status >= 200 && r.status < 300) {
      exported += batch.size();
      if (failing)
        spdlog::info("traces: the collector takes spans again");
      failing = false;
      return;
    }
    dropped += batch.size();
    if (!failing)
      spdlog::warn("traces: {} span(s) lost: the collector at {} answered {}",
                   batch.size(), cfg.endpoint,
                   r.status == 0 ? r.error
                                 : "HTTP " + std::to_string(r.status));
    failing = true;
  }
};

span_exporter::span_exporter(span_exporter_settings settings)
    : impl_(std::make_unique<impl>(std::move(settings))) {}

span_exporter::~span_exporter() {
  {
    std::lock_guard<std::mutex> guard{impl_->mx};
    impl_->stopping = true;
  }
  impl_->wake.notify_one();
  impl_->thread.join();
}

void span_exporter::record(span s) {
  bool full = false, batch_ready = false;
  {
    std::lock_guard<std::mutex> guard{impl_->mx};
    full = impl_->queue.size() >= impl_->cfg.max_queued;
    if (!full)
      impl_->queue.push_back(std::move(s));
    batch_ready = impl_->queue.size() >= impl_->cfg.max_batch;
  }
  if (full)
    impl_->dropped.fetch_add(1, std::memory_order_relaxed);
  if (batch_ready)
    impl_->wake.notify_one();
}

bool span_exporter::sample() {
  if (impl_->cfg.sample_ratio >= 1)
    return true;
  if (impl_->cfg.sample_ratio <= 0)
    return false;
  std::lock_guard<std::mutex> guard{impl_->mx};
  return std::uniform_real_distribution<double>{0, 1}(impl_->rng) <
         impl_->cfg.sample_ratio;
}

std::uint64_t span_exporter::exported() const { return impl_->exported; }

std::uint64_t span_exporter::dropped() const { return impl_->dropped; }

} // namespace hishamos::providers
