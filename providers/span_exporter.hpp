#pragma once

// Spans out to an OpenTelemetry collector over OTLP/HTTP with the JSON
// encoding (POST <endpoint>, normally http://collector:4318/v1/traces).
// Spans are recorded from any thread into a bounded queue and sent in
// batches by a thread of the exporter's own, through the async HTTP
// client: recording never waits for the network, and a full queue or a
// collector that is down drops spans (counted) rather than slowing a step.
// Spans hold ids, names, timings and a few attributes (ids, agent,
// provider, model, HTTP method, route and status), never a prompt, an
// input, an output or a credential.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace hishamos::providers {

enum class span_kind { internal = 1, server = 2, client = 3 };

struct span {
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id; ///< "" = a root span.
  std::string name;
  span_kind kind = span_kind::internal;
  std::int64_t start_ns = 0; ///< Unix time in nanoseconds.
  std::int64_t end_ns = 0;
  bool error = false;
  std::string status_message; ///< Cut to 256 bytes when sent.
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<std::pair<std::string, std::int64_t>> numbers;
};

struct span_exporter_settings {
  std::string endpoint; ///< The full URL spans are POSTed to.
  std::string service_name = "hishamos";
  std::string node_id; ///< service.instance.id of every span.
  std::string version; ///< service.version.
  /// The part of new traces (those not continuing a caller's) recorded.
  double sample_ratio = 1.0;
  std::size_t max_queued = 8192;
  std::size_t max_batch = 512;
  std::chrono::milliseconds interval{1000};
  std::int64_t timeout_ms = 5000; ///< Per batch sent.
};

class span_exporter {
public:
  explicit span_exporter(span_exporter_settings settings);
  /// Sends what is queued (one last batch, within the timeout), then stops.
  ~span_exporter();
  span_exporter(const span_exporter&) = delete;
  span_exporter& operator=(const span_exporter&) = delete;

  /// Queues `s` for the next batch; drops it when the queue is full.
  void record(span s);
  /// Whether a new trace is recorded (sample_ratio).
  [[nodiscard]] bool sample();

  [[nodiscard]] std::uint64_t exported() const; ///< Accepted by the collector.
  /// Lost: the queue was full, or the collector refused or did not answer.
  [[nodiscard]] std::uint64_t dropped() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The OTLP/HTTP JSON request body for `spans`.
[[nodiscard]] std::string otlp_json(const span_exporter_settings& settings,
                                    const std::vector<span>& spans);

/// Now, as a span's times count it.
[[nodiscard]] std::int64_t unix_now_ns();

} // namespace hishamos::providers
