// W3C trace context and OTLP spans end to end, with real processes: a
// client's traceparent through the API, the execution, its step attempts
// and the provider calls (on the node that hosts the agent), the spans at
// a fake OpenTelemetry collector on loopback that speaks OTLP/HTTP (JSON),
// and the ids in the JSON logs.

#include <catch2/catch.hpp>

#include <set>
#include <sstream>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/support/cluster_members.hpp"
#include "tests/support/fake_collector.hpp"
#include "tests/support/fake_model_server.hpp"
#include "tests/support/node_cluster.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using nlohmann::json;
using test::wait_until;

namespace {

constexpr const char* client_trace = "0af7651916cd43dd8448eb211c80319c";
constexpr const char* client_span = "b7ad6b7169203331";

// The spans of `all` named `name`.
std::vector<json> named(const std::vector<json>& all, const std::string& name) {
  std::vector<json> out;
  for (const auto& s : all)
    if (s["name"] == name)
      out.push_back(s);
  return out;
}

std::string attribute(const json& span, const std::string& key) {
  for (const auto& a : span["attributes"])
    if (a["key"] == key)
      return a["value"].contains("stringValue")
                 ? a["value"]["stringValue"].get<std::string>()
                 : a["value"]["intValue"].get<std::string>();
  return {};
}

// The traceparent header of each request the model server received.
std::vector<std::string>
traceparents(const std::vector<test::recorded_request>& seen) {
  std::vector<std::string> out;
  for (const auto& r : seen)
    if (auto it = r.headers.find("traceparent"); it != r.headers.end())
      out.push_back(it->second);
  return out;
}

// Adds agent `gpt` (on provider `fake`) and workflow `Traced` (one step
// `s` on it, tried twice) to the cluster's catalog; the node config that
// goes with them.
std::string add_model_agent(test::node_cluster& c,
                            const test::fake_model_server& server,
                            const test::fake_collector& collector) {
  c.dir.write("catalog/agents/gpt.yaml",
              "id: gpt\ncapacity: 4\nprovider: fake\nmodel: m1\n"
              // not 0: every call goes upstream, none from the cache
              "temperature: 0.7\n");
  c.dir.write("catalog/workflows/traced.yaml",
              "name: Traced\nsteps:\n  - {id: s, agent_id: gpt, "
              "command_template_id: cmd_echo, params: {text: hi}, retry: "
              "{max_attempts: 2, backoff_ms: 10}}\n");
  return "providers: {fake: {type: openai, base_url: '" + server.base_url() +
         "', api_key: 'env://HISHAMOS_TRACE_TEST_KEY', max_retries: 0}}\n"
         "tracing: {otlp_endpoint: '" +
         collector.url() + "'}\nlog: {format: json}\n";
}

// Starts Traced on the node at `port` under `traceparent`; its id.
std::string start_traced(const test::node_cluster& c, int port,
                         const std::string& traceparent) {
  httplib::Client client{"127.0.0.1", port};
  auto res =
      client.Post("/api/v1/workflows/Traced/execute",
                  {{"X-API-Key", c.api_key}, {"traceparent", traceparent}},
                  "{}", "application/json");
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 202);
  return json::parse(res->body)["execution_id"];
}

json execution(const test::node_cluster& c, int port, const std::string& id) {
  httplib::Client client{"127.0.0.1", port};
  auto res = client.Get(("/api/v1/executions/" + id).c_str(),
                        {{"X-API-Key", c.api_key}});
  return res && res->status == 200 ? json::parse(res->body) : json{};
}

void wait_completed(const test::node_cluster& c, int port,
                    const std::string& id, const std::string& log) {
  bool done = wait_until(
      [&] { return execution(c, port, id).value("state", "") == "completed"; },
      std::chrono::seconds{20});
  INFO(execution(c, port, id).dump());
  INFO(test::read_text(log));
  REQUIRE(done);
}

// The JSON log lines of `log` whose message contains `text`.
std::vector<json> log_lines(const std::string& log, const std::string& text) {
  std::vector<json> out;
  std::istringstream in{log};
  for (std::string line; std::getline(in, line);) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("msg", "").find(text) != std::string::npos)
      out.push_back(j);
  }
  return out;
}

} // namespace

SCENARIO("a client's traceparent goes through the API, the execution, its "
         "step attempts and the provider calls, every span reaches the OTLP "
         "collector linked to its parent, and the JSON log lines carry the "
         "ids",
         "[cluster][trace]") {
  ::setenv("HISHAMOS_TRACE_TEST_KEY", "sk-trace-0123456789", 1);
  test::fake_model_server server;
  // The first call fails (retryable, the gateway does not retry): the
  // first execution's first attempt fails and its second succeeds.
  server.script({{test::scripted_reply::kind::status, 500, "{}"}, {}});
  test::fake_collector collector;
  test::temp_dir store_dir;
  test::node_cluster c{"sqlite:" + (store_dir / "store.db"), 5};
  auto extra = add_model_agent(c, server, collector);
  int port = test::free_port();
  auto node = c.start("n1", port, {.extra_config = extra});
  auto log_file = c.dir / "n1.log";

  // Not sampled by the client: the context goes on, no span is recorded.
  const std::string quiet_trace = "11111111111111111111111111111111";
  auto quiet =
      start_traced(c, port, "00-" + quiet_trace + "-2222222222222222-00");
  wait_completed(c, port, quiet, log_file);
  CHECK(execution(c, port, quiet)["trace_id"] == quiet_trace);

  // A malformed one starts a trace of the node's own.
  auto fresh = start_traced(c, port, "00-not-a-trace-01");
  wait_completed(c, port, fresh, log_file);
  auto fresh_trace = execution(c, port, fresh).value("trace_id", "");
  CHECK(fresh_trace.size() == 32);
  CHECK(fresh_trace != quiet_trace);

  auto id = start_traced(
      c, port, std::string{"00-"} + client_trace + "-" + client_span + "-01");
  wait_completed(c, port, id, log_file);
  CHECK(execution(c, port, id)["trace_id"] == client_trace);

  // Every provider request carried the trace on, with a span of its own.
  auto sent = traceparents(server.requests());
  INFO("provider requests' traceparents: " << json(sent).dump());
  REQUIRE(sent.size() == server.requests().size());
  std::set<std::string> request_spans;
  for (const auto& tp : sent) {
    REQUIRE(tp.size() == 55);
    if (tp.substr(3, 32) == client_trace) {
      CHECK(tp.substr(53) == "01");
      request_spans.insert(tp.substr(36, 16));
    }
    if (tp.substr(3, 32) == quiet_trace)
      CHECK(tp.substr(53) == "00");
  }
  CHECK(request_spans.size() == 1); // the quiet one took the 500

  // The spans: request -> execution -> step attempt -> provider request.
  std::vector<json> spans;
  bool all = wait_until([&] {
    spans = collector.spans_of(client_trace);
    return named(spans, "execution Traced").size() == 1 &&
           named(spans, "step s").size() == 1 &&
           named(spans, "chat m1").size() == 1 &&
           !named(spans, "POST /api/v1/workflows/{name}/execute").empty();
  });
  INFO(json(spans).dump(1));
  REQUIRE(all);
  auto request = named(spans, "POST /api/v1/workflows/{name}/execute").at(0);
  auto exec = named(spans, "execution Traced").at(0);
  auto step = named(spans, "step s").at(0);
  auto call = named(spans, "chat m1").at(0);
  CHECK(request["parentSpanId"] == client_span);
  CHECK(request["kind"] == 2);
  CHECK(attribute(request, "http.response.status_code") == "202");
  CHECK(exec["parentSpanId"] == request["spanId"]);
  CHECK(attribute(exec, "hishamos.execution_id") == id);
  CHECK(attribute(exec, "hishamos.state") == "completed");
  CHECK(step["parentSpanId"] == exec["spanId"]);
  CHECK(attribute(step, "hishamos.agent_id") == "gpt");
  CHECK(call["parentSpanId"] == step["spanId"]);
  CHECK(call["kind"] == 3);
  CHECK(request_spans.count(call["spanId"]) == 1);
  CHECK(attribute(call, "http.response.status_code") == "200");
  for (const auto& s : spans) {
    CHECK(s["node"] == "n1");
    CHECK(std::stoll(s["endTimeUnixNano"].get<std::string>()) >=
          std::stoll(s["startTimeUnixNano"].get<std::string>()));
  }
  // Spans of the node's own trace were sent too; none of the quiet one,
  // recorded (had it been) before all of these.
  CHECK_FALSE(collector.spans_of(fresh_trace).empty());
  CHECK(collector.spans_of(quiet_trace).empty());
  CHECK(collector.malformed() == 0);

  // The failed first attempt of the quiet execution is logged with its
  // ids as fields of the JSON line (whether or not its trace is sampled).
  auto log = test::read_text(log_file);
  auto retried = log_lines(log, "attempt 1 failed, retrying");
  INFO(log);
  REQUIRE(retried.size() == 1);
  CHECK(retried[0]["execution_id"] == quiet);
  CHECK(retried[0]["step_id"] == "s");
  CHECK(retried[0]["trace_id"] == quiet_trace);
  CHECK(retried[0]["node"] == "n1");
  // A request's lines carry its request id and trace.
  httplib::Client client{"127.0.0.1", port};
  auto refused = client.Get("/api/v1/executions",
                            {{"X-API-Key", "hsk_wrong"},
                             {"X-Request-Id", "trace-test-1"},
                             {"traceparent", std::string{"00-"} + client_trace +
                                                 "-" + client_span + "-01"}});
  REQUIRE(refused);
  CHECK(refused->status == 401);
  std::vector<json> lines;
  REQUIRE(wait_until([&] {
    lines = log_lines(test::read_text(log_file), "refused a credential");
    return !lines.empty();
  }));
  CHECK(lines.back()["request_id"] == "trace-test-1");
  CHECK(lines.back()["trace_id"] == client_trace);
}

SCENARIO("a step whose agent runs on another node: the provider call made "
         "there carries the step's trace, and its span, sent by that node, "
         "is the child of the step's span sent by the owner",
         "[cluster][pg][trace]") {
  ::setenv("HISHAMOS_TRACE_TEST_KEY", "sk-trace-0123456789", 1);
  test::fake_model_server server;
  test::fake_collector collector;
  test::pg_database db;
  test::node_cluster c{db.url(), 5};
  auto extra = add_model_agent(c, server, collector);
  // n1 owns what it is sent and hosts no gpt; n2 hosts it.
  auto nodes = test::three({{"worker"}, {"gpt"}, {"a1"}});
  for (auto& m : nodes)
    test::start(c, m, {.extra_config = extra});
  test::wait_for_mesh(nodes);
  auto id = start_traced(c, nodes[0].http,
                         std::string{"00-"} + client_trace + "-" + client_span +
                             "-01");
  wait_completed(c, nodes[0].http, id, c.dir / "n1.log");
  auto sent = traceparents(server.requests());
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].substr(3, 32) == client_trace);
  std::vector<json> spans;
  bool all = wait_until([&] {
    spans = collector.spans_of(client_trace);
    return named(spans, "step s").size() == 1 &&
           named(spans, "chat m1").size() == 1 &&
           named(spans, "execution Traced").size() == 1;
  });
  INFO(json(spans).dump(1));
  REQUIRE(all);
  auto step = named(spans, "step s").at(0);
  auto call = named(spans, "chat m1").at(0);
  auto exec = named(spans, "execution Traced").at(0);
  CHECK(step["node"] == "n1");
  CHECK(exec["node"] == "n1");
  CHECK(call["node"] == "n2");
  CHECK(call["parentSpanId"] == step["spanId"]);
  CHECK(call["spanId"] == sent[0].substr(36, 16));
  CHECK(step["parentSpanId"] == exec["spanId"]);
}
