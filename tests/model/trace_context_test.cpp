#include <catch2/catch.hpp>

#include <set>

#include "model/trace_context.hpp"

using hishamos::model::new_span_id;
using hishamos::model::new_trace;
using hishamos::model::parse_traceparent;
using hishamos::model::span_id_of;

TEST_CASE("a traceparent of version 00 is read as the specification says",
          "[unit][trace]") {
  auto t = parse_traceparent(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  REQUIRE(t);
  CHECK(t->trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(t->span_id == "00f067aa0ba902b7");
  CHECK(t->sampled);
  CHECK(t->traceparent() ==
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  auto unsampled = parse_traceparent(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  REQUIRE(unsampled);
  CHECK_FALSE(unsampled->sampled);
  // Flags other than sampled are kept out, sampled read from bit 0.
  CHECK(parse_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03")
            ->sampled);
}

TEST_CASE("a malformed traceparent is no context", "[unit][trace]") {
  for (const char* bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
           "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
           "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
       })
    CHECK_FALSE(parse_traceparent(bad));
}

TEST_CASE("a later traceparent version is read by its first four fields",
          "[unit][trace]") {
  auto t = parse_traceparent(
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more");
  REQUIRE(t);
  CHECK(t->span_id == "00f067aa0ba902b7");
  CHECK_FALSE(parse_traceparent(
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01more"));
}

TEST_CASE("new traces and spans have valid, distinct ids", "[unit][trace]") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto t = new_trace(true);
    auto back = parse_traceparent(t.traceparent());
    REQUIRE(back);
    CHECK(back->trace_id == t.trace_id);
    CHECK(seen.insert(t.trace_id).second);
    auto c = t.child();
    CHECK(c.trace_id == t.trace_id);
    CHECK(c.span_id != t.span_id);
    CHECK(parse_traceparent(c.traceparent()));
    CHECK(new_span_id().size() == 16);
  }
  // A derived span id is the same for the same seed, another for another.
  CHECK(span_id_of("execution e1") == span_id_of("execution e1"));
  CHECK(span_id_of("execution e1") != span_id_of("execution e2"));
  CHECK(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-" +
                          span_id_of("x") + "-01"));
}
