// The provider gateway against fake OpenAI- and Anthropic-compatible
// servers on loopback: request shape, every failure mode, the breaker,
// fallback, admission limits, the L1 cache and coalescing, and secrets.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <sstream>

#include <caf/all.hpp>

#include "admin/json_views.hpp"
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "actors/provider_gateway.hpp"
#include "persistence/open_store.hpp"
#include "security/crypto.hpp"
#include "tests/support/fake_model_server.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using kind = test::scripted_reply::kind;
using std::chrono::milliseconds;

namespace {

constexpr const char* test_key = "sk-fake-0123456789abcdef";

config::provider_settings http_provider(const std::string& type,
                                        const std::string& base_url) {
  config::provider_settings p;
  p.type = type;
  p.base_url = base_url;
  p.api_key = "env://HISHAMOS_GATEWAY_TEST_KEY";
  p.backoff_ms = 10;
  p.max_backoff_ms = 50;
  p.timeout_ms = 2000;
  p.prices["m1"] = {1.0, 2.0}; // per 1,000 tokens in, out
  return p;
}

struct gateway_fixture {
  test::fake_model_server server, other;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor gateway;
  std::ostringstream logs;
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();

  explicit gateway_fixture(
      std::function<void(actors::gateway_settings&)> adjust = {}) {
    ::setenv("HISHAMOS_GATEWAY_TEST_KEY", test_key, 1);
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(logs);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("t", sink));
    actors::add_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    actors::gateway_settings gs;
    gs.providers["primary"] = http_provider("openai", server.base_url());
    gs.providers["claude"] = http_provider("anthropic", server.base_url());
    gs.providers["backup"] = http_provider("openai", other.base_url());
    gs.seed = 42;
    if (adjust)
      adjust(gs);
    gateway = actors::spawn_provider_gateway(*sys, gs);
  }
  ~gateway_fixture() {
    caf::anon_send_exit(gateway, caf::exit_reason::kill);
    spdlog::set_default_logger(previous);
  }

  static actors::provider_call call(const std::string& provider = "primary",
                                    const std::string& prompt = "hello") {
    return {provider, {}, "m1", prompt, 0.7, 100, false};
  }

  actors::provider_answer ask(actors::provider_call c) {
    caf::scoped_actor self{*sys};
    actors::provider_answer out;
    out.text = "no answer within 20 s";
    self->request(gateway, std::chrono::seconds{20}, std::move(c))
        .receive([&](actors::provider_answer& a) { out = std::move(a); },
                 [&](caf::error& e) { out.text = sys->render(e); });
    return out;
  }

  nlohmann::json stats() {
    caf::scoped_actor self{*sys};
    nlohmann::json out = nlohmann::json::object();
    self->request(gateway, std::chrono::seconds{5}, actors::stats_atom::value)
        .receive([&](model::gateway_stats& s) { out = admin::to_json(s); },
                 [](caf::error&) {});
    return out;
  }
};

} // namespace

TEST_CASE("an openai call sends the chat-completions shape with a bearer "
          "key and returns the text, usage and cost",
          "[providers]") {
  gateway_fixture f;
  auto a = f.ask(f.call("primary", "write a plan"));
  REQUIRE(a.ok);
  CHECK(a.text == "## Answer\nfrom the fake model");
  CHECK(a.tokens_in == 12);
  CHECK(a.tokens_out == 7);
  CHECK(a.cached_tokens == 2);
  CHECK(a.cost == Approx(12 / 1000.0 * 1.0 + 7 / 1000.0 * 2.0));
  CHECK(a.provider == "primary");
  auto reqs = f.server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].path == "/chat/completions");
  CHECK(reqs[0].headers.find("Authorization")->second ==
        std::string{"Bearer "} + test_key);
  auto body = nlohmann::json::parse(reqs[0].body);
  CHECK(body["model"] == "m1");
  CHECK(body["messages"][0]["role"] == "user");
  CHECK(body["messages"][0]["content"] == "write a plan");
  CHECK(body["max_tokens"] == 100);
}

TEST_CASE("an anthropic call sends the messages shape with x-api-key and "
          "anthropic-version and reads the text blocks",
          "[providers]") {
  gateway_fixture f;
  auto a = f.ask(f.call("claude"));
  REQUIRE(a.ok);
  CHECK(a.text == "## Answer\nfrom the fake model");
  CHECK(a.tokens_in == 12);
  CHECK(a.tokens_out == 7);
  auto reqs = f.server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].path == "/v1/messages");
  CHECK(reqs[0].headers.find("x-api-key")->second == test_key);
  CHECK(reqs[0].headers.count("anthropic-version") == 1);
  CHECK(reqs[0].headers.count("Authorization") == 0);
}

TEST_CASE("a 429 with Retry-After is retried no sooner than it says",
          "[providers]") {
  gateway_fixture f;
  test::scripted_reply limited{kind::status, 429, R"({"error": "slow down"})",
                               "1"};
  f.server.script({limited, {}});
  auto a = f.ask(f.call());
  REQUIRE(a.ok);
  CHECK(a.attempts == 2);
  auto reqs = f.server.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].at - reqs[0].at >= milliseconds{1000});
}

TEST_CASE("5xx answers, a dropped connection and a slow answer past the "
          "timeout are retried, then succeed",
          "[providers]") {
  gateway_fixture f{[](actors::gateway_settings& gs) {
    gs.providers["primary"].timeout_ms = 300;
  }};
  test::scripted_reply error{kind::status, 503, "overloaded"};
  test::scripted_reply drop{kind::drop};
  test::scripted_reply slow{kind::slow};
  slow.delay = milliseconds{1500};
  f.server.script({error, drop, slow, {}});
  auto a = f.ask(f.call());
  REQUIRE(a.ok);
  CHECK(a.attempts == 4);
}

TEST_CASE("retries used up: the error says what happened and may be retried "
          "by the step",
          "[providers]") {
  gateway_fixture f{[](actors::gateway_settings& gs) {
    gs.providers["primary"].max_retries = 2;
  }};
  f.server.script({{kind::status, 500, "boom"}});
  auto a = f.ask(f.call());
  CHECK_FALSE(a.ok);
  CHECK(a.retryable);
  CHECK(a.attempts == 3);
  CHECK_THAT(a.text, Catch::Contains("HTTP 500: boom") &&
                         Catch::Contains("after 3 attempts"));
}

TEST_CASE("a malformed or oversized answer is a clear final error, never a "
          "crash",
          "[providers]") {
  gateway_fixture f{[](actors::gateway_settings& gs) {
    gs.providers["primary"].max_response_bytes = 4096;
  }};
  f.server.script({{kind::malformed}});
  auto bad = f.ask(f.call("primary", "one"));
  CHECK_FALSE(bad.ok);
  CHECK_FALSE(bad.retryable);
  CHECK_THAT(bad.text, Catch::Contains("not a JSON object"));
  test::scripted_reply huge{kind::huge};
  huge.size = 100000;
  f.server.script({huge});
  auto big = f.ask(f.call("primary", "two"));
  CHECK_FALSE(big.ok);
  CHECK_FALSE(big.retryable);
  CHECK_THAT(big.text, Catch::Contains("larger than 4096 bytes"));
  f.server.script({{}});
  CHECK(f.ask(f.call("primary", "three")).ok); // still serving
}

TEST_CASE("the circuit breaker opens after repeated failures, fails calls "
          "without reaching the provider, and closes after a good trial",
          "[providers]") {
  gateway_fixture f{[](actors::gateway_settings& gs) {
    auto& p = gs.providers["primary"];
    p.max_retries = 0;
    p.breaker_failures = 2;
    p.breaker_open_ms = 300;
  }};
  f.server.script({{kind::status, 500, "down"}});
  CHECK_FALSE(f.ask(f.call("primary", "a")).ok);
  CHECK_FALSE(f.ask(f.call("primary", "b")).ok);
  CHECK(f.stats()["breakers"]["primary"] == "open");
  auto refused = f.ask(f.call("primary", "c"));
  CHECK_FALSE(refused.ok);
  CHECK_THAT(refused.text, Catch::Contains("circuit breaker open"));
  CHECK(f.server.request_count() == 2); // c never went out
  f.server.script({{}});
  CHECK(test::wait_until(
      [&] { return f.stats()["breakers"]["primary"] == "half_open"; }));
  CHECK(f.ask(f.call("primary", "d")).ok);
  CHECK(f.stats()["breakers"]["primary"] == "closed");
}

TEST_CASE("a provider that fails for good hands the call to the agent's "
          "fallback",
          "[providers]") {
  gateway_fixture f{[](actors::gateway_settings& gs) {
    gs.providers["primary"].max_retries = 1;
  }};
  f.server.script({{kind::status, 502, "bad gateway"}});
  auto c = f.call();
  c.fallbacks = {"backup"};
  auto a = f.ask(c);
  REQUIRE(a.ok);
  CHECK(a.provider == "backup");
  CHECK(f.server.request_count() == 2);
  CHECK(f.other.request_count() == 1);
}

TEST_CASE("a deterministic call is answered from L1 the second time, at no "
          "cost, with the cost it avoided",
          "[providers]") {
  gateway_fixture f;
  auto c = f.call();
  c.temperature = 0;
  auto first = f.ask(c);
  REQUIRE(first.ok);
  auto second = f.ask(c);
  REQUIRE(second.ok);
  CHECK(second.cache == "l1");
  CHECK(second.text == first.text);
  CHECK(second.cost == 0);
  CHECK(second.cost_avoided == Approx(first.cost));
  CHECK(f.server.request_count() == 1);
  auto sampled = f.call(); // temperature 0.7: not cached
  CHECK(f.ask(sampled).cache.empty());
  CHECK(f.ask(sampled).cache.empty());
  CHECK(f.server.request_count() == 3);
}

TEST_CASE("ten concurrent identical calls make one upstream request",
          "[providers]") {
  gateway_fixture f;
  test::scripted_reply slow{kind::slow};
  slow.delay = milliseconds{300};
  f.server.script({slow});
  auto c = f.call();
  c.temperature = 0;
  caf::scoped_actor self{*f.sys};
  for (int i = 0; i < 10; ++i)
    self->send(f.gateway, c); // the answer comes back as a message
  int ok = 0;
  self->receive_for(ok, 10)([&](actors::provider_answer& a) { CHECK(a.ok); },
                            caf::after(std::chrono::seconds{10}) >>
                                [&] { FAIL("no answer"); });
  CHECK(ok == 10);
  CHECK(f.server.request_count() == 1);
  CHECK(f.stats()["coalesced"] == 9);
}

TEST_CASE("calls over a request limit wait their turn: none fails and no "
          "window holds more than the limit",
          "[providers]") {
  gateway_fixture f{[](actors::gateway_settings& gs) {
    auto& p = gs.providers["primary"];
    p.requests_per_minute = 2;
    p.limit_window_ms = 500; // the limit's window, shortened for the test
  }};
  caf::scoped_actor self{*f.sys};
  for (int i = 0; i < 6; ++i)
    self->send(f.gateway, f.call("primary", "p" + std::to_string(i)));
  int n = 0;
  self->receive_for(n, 6)([&](actors::provider_answer& a) { CHECK(a.ok); },
                          caf::after(std::chrono::seconds{20}) >>
                              [&] { FAIL("no answer"); });
  auto reqs = f.server.requests();
  REQUIRE(reqs.size() == 6);
  for (size_t i = 0; i + 2 < reqs.size(); ++i)
    CHECK(reqs[i + 2].at - reqs[i].at >= milliseconds{490});
}

TEST_CASE("the api key never appears in answers or logs, even when the "
          "provider echoes it",
          "[providers][secrets]") {
  gateway_fixture f{[](actors::gateway_settings& gs) {
    gs.providers["primary"].max_retries = 0;
  }};
  f.server.script({{kind::echo_auth}});
  auto c = f.call();
  c.fallbacks = {"claude"}; // logged as a fallback, with the error
  auto a = f.ask(c);
  CHECK_FALSE(a.ok);
  CHECK_THAT(a.text, Catch::Contains("HTTP 401") && Catch::Contains("***"));
  CHECK(a.text.find(test_key) == std::string::npos);
  spdlog::default_logger()->flush();
  CHECK(f.logs.str().find("falls back") != std::string::npos);
  CHECK(f.logs.str().find(test_key) == std::string::npos);
}

TEST_CASE("a key echoed where the error message is cut, or echoed in "
          "base64, leaves no part of it in the answer",
          "[providers][secrets]") {
  gateway_fixture f{[](actors::gateway_settings& gs) {
    gs.providers["primary"].max_retries = 0;
  }};
  auto leaks = [](const std::string& text, const std::string& secret) {
    for (size_t at = 0; at + 8 <= secret.size(); ++at)
      if (text.find(secret.substr(at, 8)) != std::string::npos)
        return true;
    return false;
  };
  SECTION("at byte 180 of the body, past the excerpt's cut") {
    test::scripted_reply s{kind::echo_auth};
    s.size = 180 - std::string{"{\"error\": {\"message\": \""}.size() -
             std::string{"Incorrect API key provided: "}.size();
    f.server.script({s});
    auto a = f.ask(f.call());
    CHECK_FALSE(a.ok);
    INFO(a.text);
    CHECK_FALSE(leaks(a.text, test_key));
  }
  SECTION("base64-encoded") {
    test::scripted_reply s{kind::echo_auth};
    s.body = "base64";
    f.server.script({s});
    auto a = f.ask(f.call());
    CHECK_FALSE(a.ok);
    INFO(a.text);
    CHECK_THAT(a.text, Catch::Contains("***"));
    CHECK_FALSE(leaks(a.text, security::base64_encode(test_key)));
  }
}

TEST_CASE("a key reference that does not resolve fails the call naming the "
          "reference",
          "[providers][secrets]") {
  gateway_fixture f{[](actors::gateway_settings& gs) {
    gs.providers["primary"].api_key = "env://HISHAMOS_UNSET_KEY_FOR_TEST";
  }};
  auto a = f.ask(f.call());
  CHECK_FALSE(a.ok);
  CHECK_FALSE(a.retryable);
  CHECK_THAT(a.text, Catch::Contains("env://HISHAMOS_UNSET_KEY_FOR_TEST"));
  CHECK(f.server.request_count() == 0);
}

#include <ctime>

#include "persistence/store.hpp"
#include "tests/support/node_fixture.hpp"

namespace {

// Node options whose catalog has agent `gpt` on provider `fake`, model m1,
// and `settings` (YAML map entries); the test adds the provider.
node_options gpt_options(const test::temp_dir& dir,
                         const std::string& settings) {
  ::setenv("HISHAMOS_GATEWAY_TEST_KEY", test_key, 1);
  auto cat = test::make_catalog();
  auto gpt = *model::parse_agent(
      "{id: gpt, provider: fake, model: m1, " + settings + "}", "t");
  cat->agents[gpt.id] = gpt;
  return test::test_options(dir, cat);
}

} // namespace

TEST_CASE("a node's agent on an openai provider runs its step through the "
          "fake server, and the call's cost reaches the agent's daily "
          "rollup",
          "[providers][actors]") {
  test::fake_model_server server;
  test::temp_dir dir;
  auto o = gpt_options(dir, "capacity: 4, max_tokens: 50");
  o.config.providers["fake"] = http_provider("openai", server.base_url());
  o.config.batch_interval_ms = 20;
  auto n = test::start_node(std::move(o));
  test::event_log log;
  REQUIRE(n->submit(test::workflow("name: G\nsteps:\n  - {id: s, agent_id: "
                                   "gpt, command_template_id: cmd_echo, "
                                   "params: {text: hi}}\n"),
                    {}, log.observer()));
  REQUIRE(test::wait_until([&] { return log.finished(); }));
  CHECK(log.outcome().state == "completed");
  CHECK_THAT(log.outcome().output, Catch::Contains("from the fake model"));
  auto body = nlohmann::json::parse(server.requests().at(0).body);
  CHECK(body["max_tokens"] == 50);
  auto store = persistence::open_store("sqlite:" + (dir / "store.db"));
  REQUIRE(store);
  char day[11];
  auto now = std::time(nullptr);
  std::strftime(day, sizeof day, "%Y-%m-%d", std::gmtime(&now));
  double cost = 0;
  CHECK(test::wait_until([&] {
    auto days = store.value->agent_daily_series("gpt", day, day);
    cost = days && !days.value.empty() ? days.value[0].cost : 0;
    return cost > 0;
  }));
  CHECK(cost == Approx(12 / 1000.0 * 1.0 + 7 / 1000.0 * 2.0));
  auto metrics = n->metrics_text();
  CHECK_THAT(metrics, Catch::Contains("hishamos_provider_breaker_state{"
                                      "provider=\"fake\",state=\"closed\"} 1"));
  CHECK_THAT(metrics,
             Catch::Contains("hishamos_provider_upstream_requests_total 1"));
}

TEST_CASE("three concurrent executions on a node with a token limit: the "
          "upstream never sees more than it in any window, and all complete",
          "[providers][actors]") {
  test::fake_model_server server;
  test::temp_dir dir;
  auto o = gpt_options(dir, "capacity: 8, max_tokens: 20");
  constexpr std::int64_t limit = 120; // tokens per window
  constexpr int window_ms = 1000;     // the window, shortened for the test
  auto p = http_provider("openai", server.base_url());
  p.tokens_per_minute = limit;
  p.limit_window_ms = window_ms;
  o.config.providers["fake"] = p;
  auto n = test::start_node(std::move(o));
  // Three steps each, one after another; every prompt differs (no hits).
  std::vector<test::event_log> logs(3);
  for (int e = 0; e < 3; ++e) {
    std::string yaml = "name: T" + std::to_string(e) + "\nsteps:\n";
    for (int k = 0; k < 3; ++k)
      yaml += "  - {id: s" + std::to_string(k) +
              ", agent_id: gpt, command_template_id: cmd_echo, params: "
              "{text: e" +
              std::to_string(e) + "k" + std::to_string(k) + "}" +
              (k ? ", depends_on: [s" + std::to_string(k - 1) + "]" : "") +
              "}\n";
    REQUIRE(n->submit(test::workflow(yaml), {}, logs[e].observer()));
  }
  for (auto& log : logs) {
    REQUIRE(test::wait_until([&] { return log.finished(); },
                             std::chrono::seconds{30}));
    CHECK(log.outcome().state == "completed");
  }
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 9);
  // Each answer uses 19 tokens: at most 6 fit in a window. Requests reach
  // the server a little after admission, later on a loaded machine: the
  // window checked is 200 ms shorter. Without the limit all 9 arrive
  // within a few ms.
  constexpr size_t fit = limit / 19;
  for (size_t i = 0; i + fit < reqs.size(); ++i) {
    INFO("request " << i);
    CHECK(reqs[i + fit].at - reqs[i].at >= milliseconds{window_ms - 200});
  }
}

#include <csignal>

#include "tests/support/private_redis.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using test::private_redis;

actors::provider_call deterministic(const std::string& prompt) {
  return {"primary", {}, "m1", prompt, 0, 100, false};
}

} // namespace

TEST_CASE("an answer one node's gateway got is an L2 hit for another node's, "
          "through Redis",
          "[providers][redis]") {
  private_redis redis;
  auto with_redis = [&](actors::gateway_settings& gs) {
    gs.redis_url = redis.url();
  };
  gateway_fixture a{with_redis};
  auto first = a.ask(deterministic("shared question"));
  REQUIRE(first.ok);
  // A second node: its own gateway and L1, the same Redis and upstream.
  auto gs = actors::gateway_settings{};
  gs.providers["primary"] = http_provider("openai", a.server.base_url());
  gs.redis_url = redis.url();
  auto other = actors::spawn_provider_gateway(*a.sys, gs);
  // The first gateway's put is asynchronous: asked before it lands, the
  // second would call the upstream and then answer from its own L1.
  REQUIRE(test::wait_until([&] {
    return test::run_process({"redis-cli", "-p", std::to_string(redis.port),
                              "--scan", "--pattern", "hishamos:l2:*"})
               .out.find("hishamos:l2:") != std::string::npos;
  }));
  actors::provider_answer second;
  {
    caf::scoped_actor self{*a.sys};
    self->request(other, std::chrono::seconds{5},
                  deterministic("shared question"))
        .receive([&](actors::provider_answer& x) { second = std::move(x); },
                 [](caf::error&) {});
  }
  CHECK(second.cache == "l2");
  CHECK(second.text == first.text);
  CHECK(second.cost_avoided == Approx(first.cost));
  CHECK(a.server.request_count() == 1);
  caf::anon_send_exit(other, caf::exit_reason::kill);
}

TEST_CASE("when Redis is killed mid-run, calls go on with L1 and the upstream "
          "and a warning says so",
          "[providers][redis][chaos]") {
  private_redis redis;
  gateway_fixture f{
      [&](actors::gateway_settings& gs) { gs.redis_url = redis.url(); }};
  REQUIRE(f.ask(deterministic("before")).ok);
  CHECK(f.stats()["l2"]["misses"] == 1);
  redis.process->kill_and_wait(SIGKILL);
  auto during = f.ask(deterministic("during"));
  CHECK(during.ok);
  CHECK(during.cache.empty());
  CHECK(f.ask(deterministic("before")).cache == "l1");
  CHECK_FALSE(f.stats()["l2"]["down"].get<std::string>().empty());
  spdlog::default_logger()->flush();
  CHECK_THAT(f.logs.str(), Catch::Contains("L2 cache (Redis) is unavailable"));
}

TEST_CASE("with Redis, three nodes' gateways share one token limit: the "
          "upstream never sees more than it in any window, and no call fails",
          "[providers][redis]") {
  private_redis redis;
  constexpr std::int64_t limit = 100; // tokens per window
  constexpr int window_ms = 1000;     // the window, shortened for the test
  auto limited = [&](actors::gateway_settings& gs) {
    auto& p = gs.providers["primary"];
    p.tokens_per_minute = limit;
    p.limit_window_ms = window_ms;
    gs.redis_url = redis.url();
  };
  gateway_fixture f{limited};
  std::vector<caf::actor> nodes{f.gateway};
  for (int i = 0; i < 2; ++i) {
    actors::gateway_settings gs;
    gs.providers["primary"] = http_provider("openai", f.server.base_url());
    limited(gs);
    nodes.push_back(actors::spawn_provider_gateway(*f.sys, gs));
  }
  caf::scoped_actor self{*f.sys};
  constexpr int per_node = 6;
  for (int k = 0; k < per_node; ++k)
    for (size_t n = 0; n < nodes.size(); ++n)
      self->send(nodes[n], actors::provider_call{"primary",
                                                 {},
                                                 "m1",
                                                 "q" + std::to_string(n) + "-" +
                                                     std::to_string(k),
                                                 0.5,
                                                 20,
                                                 false});
  int answered = 0;
  self->receive_for(answered, per_node * 3)(
      [&](actors::provider_answer& a) { CHECK(a.ok); },
      caf::after(std::chrono::seconds{30}) >> [&] { FAIL("no answer"); });
  auto reqs = f.server.requests();
  REQUIRE(reqs.size() == per_node * 3);
  // Each answer uses 19 tokens: at most 5 fit in a window. Requests reach
  // the server a few ms after their admission: the window checked here is
  // 30 ms shorter.
  constexpr size_t fit = limit / 19;
  for (size_t i = 0; i + fit < reqs.size(); ++i) {
    INFO("request " << i);
    CHECK(reqs[i + fit].at - reqs[i].at >= milliseconds{window_ms - 30});
  }
  for (size_t n = 1; n < nodes.size(); ++n)
    caf::anon_send_exit(nodes[n], caf::exit_reason::kill);
}
