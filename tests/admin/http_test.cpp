// The admin HTTP API through a real HTTP client against the real server.

#include <catch2/catch.hpp>

#include <set>

#include <ctime>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "persistence/open_store.hpp"
#include "tests/support/http_fixture.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using nlohmann::json;

using test::server_fixture;

namespace {

const char* execute_path = "/api/v1/workflows/Build%20New%20Feature/execute";

// Waits until the execution completed and returns it as the API shows it.
json wait_completed(server_fixture& f, const std::string& id) {
  json last;
  REQUIRE(test::wait_until(
      [&] {
        last = f.get("/api/v1/executions/" + id, 200);
        return last["state"] == "completed";
      },
      std::chrono::seconds{20}));
  return last;
}

// Runs the built-in workflow once and returns the finished execution.
json run_once(server_fixture& f) {
  auto started =
      f.post(execute_path, R"({"input": {"feature": "search"}})", 202);
  return wait_completed(f, started["execution_id"]);
}

} // namespace

TEST_CASE("health and ready answer 200 on a running node", "[http]") {
  server_fixture f;
  CHECK(f.get("/health", 200)["status"] == "ok");
  CHECK(f.get("/ready", 200)["status"] == "ready");
}

TEST_CASE("ready turns 503 when the node drains", "[http]") {
  server_fixture f;
  f.n->drain();
  auto body = f.get("/ready", 503);
  CHECK(body["error"] == "not_ready");
  CHECK(f.get("/health", 200)["status"] == "ok");
}

TEST_CASE("a catalog workflow runs by name through the API", "[http]") {
  server_fixture f;
  auto started =
      f.post(execute_path, R"({"input": {"feature": "search"}})", 202);
  std::string id = started["execution_id"];
  CHECK(started["links"]["self"] == "/api/v1/executions/" + id);
  auto last = wait_completed(f, id);
  CHECK(last["workflow"] == "Build New Feature");
  CHECK(last["input"]["feature"] == "search");
  REQUIRE(last["steps"].size() == 5);
  for (const auto& s : last["steps"]) {
    CHECK(s["state"] == "completed");
    CHECK_THAT(s["output"].get<std::string>(),
               Catch::Contains("no language model produced this text"));
  }
  CHECK(last["output"].contains("deploy_plan"));
  auto listed = f.get("/api/v1/executions?limit=5", 200);
  CHECK(listed["executions"][0]["id"] == id);
}

TEST_CASE("a running execution shows live step states", "[http]") {
  server_fixture f;
  std::string id = f.post(execute_path, R"({"input": {"feature": "x"}})",
                          202)["execution_id"];
  json last;
  REQUIRE(test::wait_until([&] {
    last = f.get("/api/v1/executions/" + id, 200);
    return last["steps"][0]["state"] == "running";
  }));
  CHECK(last["state"] == "running");
  CHECK(last["steps"][0]["agent_id"] == "agent_cto_001");
  CHECK(last["steps"][4]["state"] == "pending");
  CHECK(f.post("/api/v1/executions/" + id + "/cancel", "", 202)["state"] ==
        "cancelling");
  REQUIRE(test::wait_until([&] {
    return f.get("/api/v1/executions/" + id, 200)["state"] == "cancelled";
  }));
  CHECK(f.post("/api/v1/executions/" + id + "/cancel", "", 409)["error"] ==
        "not_running");
}

TEST_CASE(
    "API errors carry a code, a message and details with fitting statuses",
    "[http]") {
  server_fixture f;
  auto unknown = f.post("/api/v1/workflows/Nope/execute", "{}", 404);
  CHECK(unknown["error"] == "workflow_not_found");
  CHECK(unknown.contains("message"));
  CHECK(unknown.contains("details"));
  CHECK(f.post(execute_path, "{not json", 400)["error"] == "invalid_json");
  auto missing = f.post(execute_path, R"({"input": {}})", 422);
  CHECK(missing["error"] == "invalid_input");
  CHECK_THAT(missing["details"]["problems"][0]["message"].get<std::string>(),
             Catch::Contains("missing required input 'feature'"));
  auto typed = f.post(execute_path, R"({"input": {"feature": 5}})", 422);
  CHECK_THAT(typed["details"]["problems"][0]["message"].get<std::string>(),
             Catch::Contains("must be a string"));
  CHECK(f.get("/api/v1/executions/doesnotexist", 404)["error"] ==
        "execution_not_found");
  CHECK(f.get("/api/v1/executions?limit=1000", 400)["error"] ==
        "invalid_query");
  CHECK(f.get("/no/such/route", 404)["error"] == "not_found");
}

TEST_CASE(
    "metrics expose executions by state, completed steps and step durations",
    "[http]") {
  server_fixture f;
  std::string id = f.post(execute_path, R"({"input": {"feature": "m"}})",
                          202)["execution_id"];
  REQUIRE(test::wait_until(
      [&] {
        return f.get("/api/v1/executions/" + id, 200)["state"] == "completed";
      },
      std::chrono::seconds{20}));
  auto res = f.client->Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK_THAT(res->get_header_value("Content-Type"),
             Catch::StartsWith("text/plain"));
  CHECK_THAT(
      res->body,
      Catch::Contains("hishamos_executions_total{state=\"completed\"} 1"));
  CHECK_THAT(res->body, Catch::Contains("hishamos_steps_completed_total 5"));
  CHECK_THAT(res->body,
             Catch::Contains("hishamos_step_duration_seconds_count 5"));
  // The GETs above went through the read pool, which holds them open.
  // (Found, not matched with a regex: std::regex recurses per character.)
  auto open = res->body.find("\nhishamos_store_pool_open_connections ");
  REQUIRE(open != std::string::npos);
  CHECK(std::stod(res->body.substr(open + 38)) >= 1);
  CHECK_THAT(res->body,
             Catch::Contains("hishamos_store_pool_failed_connects_total 0"));
}

namespace {

std::string utc_day(std::time_t t) {
  char buf[11];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

} // namespace

TEST_CASE("the workflow list shows execution statistics and pages",
          "[http][queries]") {
  server_fixture f;
  auto before = f.get("/api/v1/workflows", 200);
  CHECK(before["page"] == 1);
  CHECK(before["limit"] == 20);
  CHECK(before["total"] == 1);
  REQUIRE(before["workflows"].size() == 1);
  auto wf = before["workflows"][0];
  CHECK(wf["name"] == "Build New Feature");
  CHECK(wf["execution_count"] == 0);
  CHECK(wf["last_execution_ms"].is_null());
  CHECK(wf["inputs"].contains("feature")); // catalog details are merged in
  run_once(f);
  auto after = f.get("/api/v1/workflows?status=active&department=engineering",
                     200)["workflows"];
  REQUIRE(after.size() == 1);
  CHECK(after[0]["execution_count"] == 1);
  CHECK(after[0]["last_execution_ms"].is_number());
  CHECK(f.get("/api/v1/workflows?department=sales", 200)["total"] == 0);
  CHECK(f.get("/api/v1/workflows?page=2", 200)["workflows"].empty());
}

TEST_CASE("the workflow list answers 400 for a page or limit out of range",
          "[http][queries]") {
  server_fixture f;
  for (const char* query : {"?limit=0", "?limit=101", "?page=0", "?page=abc",
                            "?limit=", "?limit=5x"}) {
    INFO(query);
    auto body = f.get(std::string{"/api/v1/workflows"} + query, 400);
    CHECK(body["error"] == "invalid_query");
  }
}

TEST_CASE("an agent's daily series counts its tasks and fills empty days",
          "[http][queries]") {
  server_fixture f;
  auto done = run_once(f);
  std::string agent = done["steps"][0]["agent_id"];
  auto now = std::time(nullptr);
  auto today = utc_day(now), yesterday = utc_day(now - 86400);
  auto path =
      "/api/v1/agents/" + agent + "/daily?from=" + yesterday + "&to=" + today;
  json days;
  // Task results reach the store through the batch processor.
  REQUIRE(test::wait_until([&] {
    days = f.get(path, 200)["days"];
    return days.size() == 2 && days[1]["tasks"] >= 1;
  }));
  CHECK(days[0]["day"] == yesterday);
  CHECK(days[0]["tasks"] == 0);
  CHECK(days[0]["cost"] == 0);
  CHECK(days[1]["day"] == today);
  CHECK(days[1]["executions"] == 1);
  CHECK(f.get("/api/v1/agents/" + agent + "/daily?from=" + today,
              400)["error"] == "invalid_query");
  CHECK(f.get("/api/v1/agents/" + agent + "/daily?from=" + today +
                  "&to=" + yesterday,
              400)["error"] == "invalid_query");
}

TEST_CASE("starting and cancelling through the API leave audit events",
          "[http][audit]") {
  server_fixture f;
  auto store = persistence::open_store("sqlite:" + (f.dir / "store.db"));
  REQUIRE(store);
  auto& db = *store.value;
  std::string id = f.post(execute_path, R"({"input": {"feature": "a"}})",
                          202)["execution_id"];
  auto res = f.client->Post(("/api/v1/executions/" + id + "/cancel").c_str(),
                            "", "application/json");
  REQUIRE(res);
  // 202 if it was still running, 409 if it had finished: only 202 audits.
  // Both are committed before their answer: read at once, no waiting.
  std::multiset<std::string> actions;
  for (const auto& r : db.audit_rows(0, 100).value)
    actions.insert(r.event.action);
  CHECK(actions.count("request.POST") == 2); // each request, before it ran
  CHECK(actions.count("execution.start") == 1);
  CHECK(actions.count("execution.cancel") == (res->status == 202 ? 1u : 0u));
}

TEST_CASE("a person's rating of a step's result is stored and joins the "
          "learned quality of its agent",
          "[http][feedback]") {
  server_fixture f;
  auto done = run_once(f);
  const auto& step = done["steps"][0];
  std::string result = step["result_id"];
  CHECK(result ==
        done["id"].get<std::string>() + "." + step["id"].get<std::string>());
  CHECK(step["decision"]["chosen"] == step["agent_id"]);
  auto mean_of = [&](const std::string& agent) {
    auto learned = f.get("/api/v1/agents/quality", 200);
    for (const auto& x : learned["learned"])
      if (x["agent"] == agent)
        return x["mean"].get<double>();
    return -1.0;
  };
  std::string agent = step["agent_id"];
  double before = mean_of(agent);
  REQUIRE(before > 0);
  auto rated =
      f.post("/api/v1/results/" + result + "/rating", R"({"score": 0.0})", 200);
  CHECK(rated["score"] == 0.0);
  REQUIRE(test::wait_until([&] { return mean_of(agent) < before; }));

  f.post("/api/v1/results/" + result + "/rating", R"({"score": 1.5})", 422);
  f.post("/api/v1/results/" + result + "/rating", R"({"grade": 1})", 400);
  f.post("/api/v1/results/no-dot/rating", R"({"score": 1})", 400);
  auto missing = f.post("/api/v1/results/" + done["id"].get<std::string>() +
                            ".nosuchstep/rating",
                        R"({"score": 1})", 404);
  CHECK(missing["error"] == "result_not_found");
}

TEST_CASE("executions a node at its limit stores for later are answered as "
          "pending, not running, and run once there is room",
          "[http]") {
  server_fixture f{1};
  // Each takes over a second (its agents' latencies), and one runs at a
  // time: of three started at once, at least two wait.
  std::vector<std::string> ids;
  int pending = 0;
  for (const char* feature : {"a", "b", "c"}) {
    auto started = f.post(execute_path,
                          json{{"input", {{"feature", feature}}}}.dump(), 202);
    INFO(started.dump());
    CHECK((started["state"] == "running" || started["state"] == "pending"));
    pending += started["state"] == "pending";
    ids.push_back(started["execution_id"]);
  }
  CHECK(pending >= 2);
  for (const auto& id : ids)
    wait_completed(f, id);
}

TEST_CASE("every route and store call is timed into a histogram named by "
          "its route pattern or call, never by ids",
          "[http][metrics]") {
  server_fixture f;
  std::string id = f.post(execute_path, R"({"input": {"feature": "h"}})",
                          202)["execution_id"];
  f.get("/api/v1/executions/" + id, 200);
  f.get("/api/v1/executions?limit=5", 200);
  auto res = f.client->Get("/metrics");
  REQUIRE(res);
  const auto& text = res->body;
  CHECK_THAT(text, Catch::Contains("hishamos_http_request_duration_seconds_"
                                   "count{code=\"200\",method=\"GET\",route="
                                   "\"/api/v1/executions/{id}\"} 1"));
  CHECK_THAT(text,
             Catch::Contains("route=\"/api/v1/workflows/{name}/execute\""));
  CHECK_THAT(text, Catch::Contains("hishamos_store_call_duration_seconds_count"
                                   "{call=\"create_executions\"}"));
  CHECK_THAT(text, Catch::Contains("{call=\"read_execution\"}"));
  CHECK_THAT(text, Catch::Contains("{call=\"list_executions\"}"));
  CHECK(text.find(id) == std::string::npos); // ids never name a series
}
