// The pure parts of provider resilience: backoff, the circuit breaker, the
// admission window, Retry-After, response parsing and secrets.

#include <catch2/catch.hpp>

#include "model/redaction.hpp"

#include <cstdlib>
#include <random>

#include "providers/adapters.hpp"
#include "providers/resilience.hpp"
#include "providers/response_cache.hpp"
#include "providers/secrets.hpp"

using namespace hishamos::providers;
using std::chrono::milliseconds;

TEST_CASE("backoff has full jitter under an exponential cap and never "
          "undercuts Retry-After",
          "[providers][unit]") {
  std::mt19937_64 rng{7};
  for (int retry = 0; retry < 8; ++retry)
    for (int k = 0; k < 50; ++k) {
      auto d =
          backoff_delay(retry, milliseconds{100}, milliseconds{1000}, -1, rng);
      CHECK(d.count() >= 0);
      CHECK(d.count() <= std::min(1000, 100 << retry));
    }
  CHECK(backoff_delay(0, milliseconds{100}, milliseconds{1000}, 3000, rng) ==
        milliseconds{3000});
}

TEST_CASE("the circuit breaker opens after its failures, lets one trial "
          "through when half-open, and closes on its success",
          "[providers][unit]") {
  circuit_breaker b{2, milliseconds{100}};
  auto t0 = clock::now();
  CHECK(b.allow(t0));
  b.on_failure(t0);
  CHECK(b.current(t0) == circuit_breaker::state::closed);
  b.on_failure(t0);
  CHECK(b.current(t0) == circuit_breaker::state::open);
  CHECK_FALSE(b.allow(t0 + milliseconds{50}));
  auto later = t0 + milliseconds{150};
  CHECK(b.current(later) == circuit_breaker::state::half_open);
  CHECK(b.allow(later));
  CHECK_FALSE(b.allow(later)); // one trial at a time
  b.on_failure(later);         // the trial failed: open again
  CHECK(b.current(later + milliseconds{50}) == circuit_breaker::state::open);
  auto again = later + milliseconds{200};
  CHECK(b.allow(again));
  b.on_success();
  CHECK(b.current(again) == circuit_breaker::state::closed);
}

TEST_CASE("three callers sharing a token limit never put more than it into "
          "any sliding minute, and none is refused",
          "[providers][unit]") {
  constexpr std::int64_t limit = 1000;
  minute_window w{0, limit};
  auto t = clock::now();
  std::vector<std::pair<clock::time_point, std::int64_t>> admitted;
  std::mt19937 rng{11};
  // Three callers, each asking again as soon as it may; 200 calls of 50
  // to 400 tokens, settled at 80% of their estimate.
  std::vector<clock::time_point> ready(3, t);
  for (int call = 0; call < 200; ++call) {
    auto who = static_cast<size_t>(call % 3);
    auto now = ready[who];
    std::int64_t tokens = 50 + static_cast<std::int64_t>(rng() % 351);
    milliseconds wait{0};
    std::int64_t id;
    while ((id = w.reserve(tokens, now, wait)) < 0)
      now += wait; // waits its turn
    w.settle(id, tokens * 8 / 10);
    admitted.emplace_back(now, tokens * 8 / 10);
    ready[who] = now + milliseconds{10};
  }
  for (size_t i = 0; i < admitted.size(); ++i) {
    std::int64_t sum = 0;
    for (size_t j = i;
         j < admitted.size() &&
         admitted[j].first - admitted[i].first < std::chrono::minutes{1};
         ++j)
      sum += admitted[j].second;
    CHECK(sum <= limit);
  }
  CHECK(admitted.size() == 200);
}

TEST_CASE("Retry-After is read as seconds or as an HTTP date",
          "[providers][unit]") {
  CHECK(retry_after_ms("3", 0) == 3000);
  CHECK(retry_after_ms("", 0) == -1);
  CHECK(retry_after_ms("soon", 0) == -1);
  // Wed, 21 Oct 2015 07:28:00 GMT = 1445412480 s
  CHECK(retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470000) ==
        10000);
}

TEST_CASE("a provider answer without the expected fields is a clear, final "
          "error",
          "[providers][unit]") {
  http_response res;
  res.status = 200;
  res.body = R"({"choices": []})";
  auto r = parse_response("openai", res);
  CHECK_FALSE(r.ok);
  CHECK_FALSE(r.retryable);
  CHECK_THAT(r.text, Catch::Contains("no choices"));
  res.body = R"({"content": [{"type": "image"}]})";
  r = parse_response("anthropic", res);
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.text, Catch::Contains("no text block"));
  res.status = 503;
  res.body = "overloaded";
  r = parse_response("openai", res);
  CHECK(r.retryable);
  CHECK_THAT(r.text, Catch::Contains("HTTP 503"));
}

TEST_CASE("secrets resolve from the environment and the secrets directory — "
          "errors name the reference only",
          "[providers][unit]") {
  ::setenv("HISHAMOS_TEST_KEY", "sk-test-123456", 1);
  CHECK(*resolve_secret("env://HISHAMOS_TEST_KEY", "/nowhere") ==
        "sk-test-123456");
  auto missing = resolve_secret("env://HISHAMOS_NO_SUCH_KEY", "/nowhere");
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.errors().front().to_string(),
             Catch::Contains("env://HISHAMOS_NO_SUCH_KEY"));
  CHECK_FALSE(resolve_secret("secret://../etc/passwd", "/tmp"));
  CHECK_FALSE(resolve_secret("sk-plain-key", "/tmp"));
  CHECK(redact("bad key sk-test-123456!", "sk-test-123456") == "bad key ***!");
}

TEST_CASE("secret:// resolves from the store's secrets first, then from "
          "the secrets directory",
          "[providers][unit][secrets]") {
  hishamos::providers::secret_values stored{{"openai", "sk-from-store"}};
  CHECK(*resolve_secret("secret://openai", "/nowhere", &stored) ==
        "sk-from-store");
  auto missing = resolve_secret("secret://other", "/nowhere", &stored);
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.errors()[0].to_string(),
             Catch::Contains("no readable file"));
}

TEST_CASE("a key is redacted as it is and base64-, base64url- and "
          "percent-encoded",
          "[providers][unit][secrets]") {
  const std::string key = "sk-a+b/c?d=e";
  CHECK(redact("plain sk-a+b/c?d=e.", key) == "plain ***.");
  CHECK(redact("b64 c2stYStiL2M/ZD1l.", key) == "b64 ***.");
  CHECK(redact("b64url c2stYStiL2M_ZD1l.", key) == "b64url ***.");
  CHECK(redact("pct sk-a%2Bb%2Fc%3Fd%3De.", key) == "pct ***.");
  CHECK(redact("padded " + std::string{"c2stMTIzNA=="}, "sk-1234") ==
        "padded ***");
}

TEST_CASE("passwords are masked in every form a URL carries one",
          "[unit][secrets]") {
  using hishamos::model::redact_url;
  CHECK(redact_url("postgresql://ada:s3cret@db:5432/h") ==
        "postgresql://ada:***@db:5432/h");
  CHECK(redact_url("postgresql://ada@db/h?password=s3cret&sslmode=require") ==
        "postgresql://ada@db/h?password=***&sslmode=require");
  CHECK(redact_url("postgresql://db/h?sslmode=require&PASSWORD=s3cret") ==
        "postgresql://db/h?sslmode=require&PASSWORD=***");
  CHECK(redact_url("redis://:s3cret@cache:6379/0") ==
        "redis://:***@cache:6379/0");
  CHECK(redact_url("redis://user:s3cret@cache:6379/0?token=t0k") ==
        "redis://user:***@cache:6379/0?token=***");
  CHECK(redact_url("postgresql://ada:p@ss@db/h") ==
        "postgresql://ada:***@db/h");
  CHECK(redact_url("sqlite:var/h.db") == "sqlite:var/h.db");
  CHECK(redact_url("postgresql://ada@db/h") == "postgresql://ada@db/h");
}

TEST_CASE("the L1 cache stays within its byte bound, dropping the least "
          "recently used first",
          "[providers][unit]") {
  response_cache c{1000};
  c.put("a", {std::string(300, 'a')});
  c.put("b", {std::string(300, 'b')});
  CHECK(c.get("a")); // a is now the most recent
  c.put("c", {std::string(300, 'c')});
  CHECK(c.bytes() <= 1000);
  CHECK(c.get("a"));
  CHECK_FALSE(c.get("b"));
  CHECK(c.get("c"));
  c.put("huge", {std::string(5000, 'h')});
  CHECK_FALSE(c.get("huge"));
}
