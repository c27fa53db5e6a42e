// The span exporter against a fake OTLP/HTTP collector on loopback: the
// JSON it sends, batching, and what it does when the collector is away or
// its queue is full.

#include <catch2/catch.hpp>

#include <set>

#include "model/trace_context.hpp"
#include "providers/span_exporter.hpp"
#include "tests/support/fake_collector.hpp"
#include "tests/support/process.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using test::wait_until;

namespace {

providers::span make_span(const model::trace_context& t, int i) {
  providers::span s;
  s.trace_id = t.trace_id;
  s.span_id = model::new_span_id();
  s.parent_span_id = t.span_id;
  s.name = "step " + std::to_string(i);
  s.kind = providers::span_kind::client;
  s.start_ns = providers::unix_now_ns();
  s.end_ns = s.start_ns + 1000;
  s.attributes = {{"hishamos.step_id", std::to_string(i)}};
  s.numbers = {{"hishamos.attempt", 1}};
  return s;
}

providers::span_exporter_settings settings_for(const std::string& url) {
  providers::span_exporter_settings s;
  s.endpoint = url;
  s.node_id = "n7";
  s.version = "0.1.0";
  s.interval = std::chrono::milliseconds{50};
  s.max_batch = 100;
  return s;
}

} // namespace

TEST_CASE("spans reach the collector as OTLP/HTTP JSON, in batches, with "
          "the node as their resource",
          "[providers][trace]") {
  test::fake_collector collector;
  auto trace = model::new_trace(true);
  {
    providers::span_exporter exporter{settings_for(collector.url())};
    for (int i = 0; i < 250; ++i)
      exporter.record(make_span(trace, i));
    REQUIRE(wait_until([&] { return exporter.exported() == 250; }));
    CHECK(exporter.dropped() == 0);
  }
  auto spans = collector.spans_of(trace.trace_id);
  REQUIRE(spans.size() == 250);
  CHECK(collector.requests() >= 3); // at most 100 a batch
  CHECK(collector.malformed() == 0);
  std::set<std::string> ids;
  for (const auto& s : spans) {
    ids.insert(s["spanId"].get<std::string>());
    CHECK(model::parse_traceparent("00-" + s["traceId"].get<std::string>() +
                                   "-" + s["spanId"].get<std::string>() +
                                   "-01"));
    CHECK(s["parentSpanId"] == trace.span_id);
    CHECK(s["kind"] == 3);
    CHECK(s["startTimeUnixNano"].is_string()); // 64-bit: a string in JSON
    CHECK(s["attributes"][1]["value"]["intValue"] == "1");
    CHECK(s["node"] == "n7");
  }
  CHECK(ids.size() == 250);
  auto resource = collector.last_resource();
  CHECK(resource["service.name"] == "hishamos");
  CHECK(resource["service.version"] == "0.1.0");
}

TEST_CASE("spans for a collector that does not answer are counted as lost, "
          "and a full queue drops what does not fit",
          "[providers][trace]") {
  auto trace = model::new_trace(true);
  SECTION("nobody listens") {
    auto s = settings_for(
        "http://127.0.0.1:" + std::to_string(test::free_port()) + "/v1/traces");
    providers::span_exporter exporter{s};
    for (int i = 0; i < 10; ++i)
      exporter.record(make_span(trace, i));
    REQUIRE(wait_until([&] { return exporter.dropped() == 10; }));
    CHECK(exporter.exported() == 0);
  }
  SECTION("the queue is full") {
    test::fake_collector collector;
    auto s = settings_for(collector.url());
    s.max_queued = 5;
    s.max_batch = 1000;
    s.interval = std::chrono::hours{1}; // nothing goes before the end
    providers::span_exporter exporter{s};
    for (int i = 0; i < 8; ++i)
      exporter.record(make_span(trace, i));
    CHECK(exporter.dropped() == 3);
    CHECK(exporter.exported() == 0);
  }
}

TEST_CASE("what is queued when the exporter stops is sent",
          "[providers][trace]") {
  test::fake_collector collector;
  auto trace = model::new_trace(true);
  {
    auto s = settings_for(collector.url());
    s.interval = std::chrono::hours{1};
    providers::span_exporter exporter{s};
    for (int i = 0; i < 7; ++i)
      exporter.record(make_span(trace, i));
  }
  CHECK(collector.spans_of(trace.trace_id).size() == 7);
}
