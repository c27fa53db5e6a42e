// The REST API's behaviour through a real HTTP client: idempotent and batch
// submission, workflows authored and versioned over the API, results, and
// live events.

#include <catch2/catch.hpp>

#include <mutex>
#include <thread>

#include "tests/support/catalog_fixture.hpp"
#include "tests/support/http_fixture.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using nlohmann::json;
using test::server_fixture;

namespace {

const std::string execute_path =
    "/api/v1/workflows/Build%20New%20Feature/execute";

json wait_state(server_fixture& f, const std::string& id,
                const std::string& state) {
  json last;
  REQUIRE(test::wait_until(
      [&] {
        last = f.get("/api/v1/executions/" + id, 200);
        return last["state"] == state;
      },
      std::chrono::seconds{30}));
  return last;
}

// A two-step workflow named `name` whose first step's text says `mark`.
std::string two_steps(const std::string& name, const std::string& mark) {
  return "name: " + name + R"(
description: made through the API
department: engineering
inputs:
  topic: {type: string, required: true}
steps:
  - id: first
    agent_id: agent_cto_001
    command_template_id: cmd_design_architecture
    params: {feature: ")" +
         mark + R"( {{inputs.topic}}"}
  - id: second
    depends_on: [first]
    agent_id: agent_reviewer_001
    command_template_id: cmd_review_code
    params: {backend: "{{steps.first.output}}", frontend: "-"}
)";
}

httplib::Result post_yaml(server_fixture& f, const std::string& path,
                          const std::string& yaml, bool put = false) {
  return put ? f.client->Put(path.c_str(), yaml, "application/yaml")
             : f.client->Post(path.c_str(), yaml, "application/yaml");
}

} // namespace

TEST_CASE("a submission retried with its idempotency key answers 200 with "
          "the same execution, and another request under the key is 409",
          "[http][api]") {
  server_fixture f;
  httplib::Headers key{{"Idempotency-Key", "order-7"}};
  auto body = R"({"input": {"feature": "idem"}})";
  auto first =
      f.client->Post(execute_path.c_str(), key, body, "application/json");
  REQUIRE(first);
  CHECK(first->status == 202);
  auto created = json::parse(first->body);
  CHECK(created["existed"] == false);
  CHECK(first->get_header_value("Location") ==
        "/api/v1/executions/" + created["execution_id"].get<std::string>());
  auto again =
      f.client->Post(execute_path.c_str(), key, body, "application/json");
  REQUIRE(again);
  CHECK(again->status == 200);
  auto existing = json::parse(again->body);
  CHECK(existing["existed"] == true);
  CHECK(existing["execution_id"] == created["execution_id"]);
  auto other =
      f.client->Post(execute_path.c_str(), key,
                     R"({"input": {"feature": "other"}})", "application/json");
  REQUIRE(other);
  CHECK(other->status == 409);
  CHECK(f.get("/api/v1/executions", 200)["total"] == 1);

  // A client-chosen id works the same way.
  auto by_id = R"({"input": {"feature": "x"}, "execution_id": "mine-1"})";
  CHECK(f.post(execute_path, by_id, 202)["execution_id"] == "mine-1");
  CHECK(f.post(execute_path, by_id, 200)["existed"] == true);
  CHECK(f.post(execute_path, R"({"input": {}, "execution_id": "bad id!"})",
               422)["error"] == "invalid_input");
}

TEST_CASE("a batch creates its executions in one call, with one result per "
          "submission in order",
          "[http][api]") {
  server_fixture f;
  json batch = {
      {"executions",
       {{{"workflow", "Build New Feature"},
         {"input", {{"feature", "b1"}}},
         {"execution_id", "batch-1"}},
        {{"workflow", "No Such Workflow"}, {"input", json::object()}},
        {{"workflow", "Build New Feature"}, {"input", {{"feature", "b3"}}}},
        {{"workflow", "Build New Feature"},
         {"input", {{"feature", "b1"}}},
         {"execution_id", "batch-1"}}}}};
  auto got = f.post("/api/v1/executions/batch", batch.dump(), 200);
  CHECK(got["created"] == 2);
  CHECK(got["failed"] == 1);
  CHECK(got["existed"] == 1);
  const auto& rs = got["results"];
  REQUIRE(rs.size() == 4);
  CHECK(rs[0]["execution_id"] == "batch-1");
  CHECK(rs[1]["error"] == "workflow_not_found");
  CHECK(rs[1]["status"] == 404);
  CHECK(rs[2]["execution_id"].is_string());
  CHECK(rs[3]["existed"] == true);
  for (size_t i = 0; i < rs.size(); ++i)
    CHECK(rs[i]["index"] == i);
  wait_state(f, "batch-1", "completed");
  wait_state(f, rs[2]["execution_id"], "completed");
  CHECK(f.get("/api/v1/executions", 200)["total"] == 2);

  CHECK(f.post("/api/v1/executions/batch", R"({"executions": []})",
               400)["error"] == "invalid_json");
  json too_many = {{"executions", json::array()}};
  for (int i = 0; i < 1001; ++i)
    too_many["executions"].push_back({{"workflow", "w"}});
  f.post("/api/v1/executions/batch", too_many.dump(), 400);
}

TEST_CASE("a workflow authored through the API runs once activated — a new "
          "version leaves a running execution on its own version",
          "[http][api][workflows]") {
  server_fixture f;
  auto created = post_yaml(f, "/api/v1/workflows", two_steps("Notes", "v1"));
  REQUIRE(created);
  INFO(created->body);
  REQUIRE(created->status == 201);
  auto wf = json::parse(created->body);
  CHECK(wf["version"] == 1);
  CHECK(wf["status"] == "draft");
  auto run_path = std::string{"/api/v1/workflows/Notes/execute"};
  auto input = R"({"input": {"topic": "t"}})";
  CHECK(f.post(run_path, input, 409)["error"] == "conflict");

  CHECK(f.post("/api/v1/workflows/Notes/activate", "", 200)["status"] ==
        "active");
  auto old_run = f.post(run_path, input, 202);
  CHECK(old_run["workflow_version"] == 1);

  auto v2 =
      post_yaml(f, "/api/v1/workflows/Notes", two_steps("Notes", "v2"), true);
  REQUIRE(v2);
  CHECK(v2->status == 200);
  CHECK(json::parse(v2->body)["version"] == 2);
  CHECK(f.post("/api/v1/workflows/Notes/activate", R"({"version": 2})",
               200)["version"] == 2);
  auto new_run = f.post(run_path, input, 202);
  CHECK(new_run["workflow_version"] == 2);

  auto old_done = wait_state(f, old_run["execution_id"], "completed");
  auto new_done = wait_state(f, new_run["execution_id"], "completed");
  CHECK_THAT(old_done["steps"][0]["output"].get<std::string>(),
             Catch::Contains("v1 t"));
  CHECK_THAT(new_done["steps"][0]["output"].get<std::string>(),
             Catch::Contains("v2 t"));

  auto versions = f.get("/api/v1/workflows/Notes/versions", 200);
  REQUIRE(versions["versions"].size() == 2);
  CHECK(versions["versions"][1]["active"] == true);
  CHECK(f.get("/api/v1/workflows/Notes/versions/1", 200)["active"] == false);
  f.get("/api/v1/workflows/Notes/versions/3", 404);
  f.get("/api/v1/workflows/Notes/versions/x", 400);

  CHECK(f.send("DELETE", "/api/v1/workflows/Notes", "", 200)["status"] ==
        "archived");
  CHECK(f.post(run_path, input, 409)["error"] == "conflict");
  CHECK(f.get("/api/v1/workflows/Notes", 200)["status"] == "archived");
  // The executions and versions stay.
  CHECK(f.get("/api/v1/executions?workflow=Notes", 200)["total"] == 2);
}

TEST_CASE("a workflow that does not parse or validate is refused with 400 "
          "naming the problem, and nothing is stored",
          "[http][api][workflows]") {
  server_fixture f;
  auto broken = post_yaml(f, "/api/v1/workflows", "name: [unclosed");
  REQUIRE(broken);
  CHECK(broken->status == 400);
  auto cyclic = two_steps("Loops", "x");
  cyclic.replace(cyclic.find("  - id: first\n"), 14,
                 "  - id: first\n    depends_on: [second]\n");
  auto refused = post_yaml(f, "/api/v1/workflows", cyclic);
  REQUIRE(refused);
  CHECK(refused->status == 400);
  auto body = json::parse(refused->body);
  CHECK(body["error"] == "validation_error");
  CHECK_THAT(body.dump(), Catch::Contains("cycle"));
  f.get("/api/v1/workflows/Loops", 404);
  // The name is taken once created.
  REQUIRE(post_yaml(f, "/api/v1/workflows", two_steps("Twice", "a"))->status ==
          201);
  CHECK(post_yaml(f, "/api/v1/workflows", two_steps("Twice", "b"))->status ==
        409);
  // The catalog's workflow is known too, as version 1 from the catalog.
  auto catalog = f.get("/api/v1/workflows/Build%20New%20Feature/versions", 200);
  CHECK(catalog["versions"][0]["source"] == "catalog");
}

TEST_CASE("an execution's results list each step's output, agent and cost",
          "[http][api]") {
  server_fixture f;
  std::string id = f.post(execute_path, R"({"input": {"feature": "r"}})",
                          202)["execution_id"];
  wait_state(f, id, "completed");
  json results;
  // Results reach the store through the batch processor.
  REQUIRE(test::wait_until([&] {
    results = f.get("/api/v1/executions/" + id + "/results", 200);
    return results["total"] == 5;
  }));
  for (const auto& r : results["results"]) {
    CHECK(r["execution_id"] == id);
    CHECK(r["agent_id"].is_string());
    CHECK(r["cost_usd"].is_number());
  }
  CHECK(f.get("/api/v1/executions/" + id + "/results?limit=2", 200)["results"]
            .size() == 2);
  f.get("/api/v1/executions/nope/results", 404);
}

TEST_CASE("a step's prompt is rendered again from the stored input, outputs "
          "and template version",
          "[http][api]") {
  server_fixture f;
  std::string id = f.post(execute_path, R"({"input": {"feature": "prompted"}})",
                          202)["execution_id"];
  auto done = wait_state(f, id, "completed");
  auto design = f.get("/api/v1/executions/" + id + "/steps/design/prompt", 200);
  CHECK(design["template_id"] == "cmd_design_architecture");
  CHECK(design["template_version"] == 1);
  CHECK(design["params"]["feature"] == "prompted");
  CHECK(design["prompt"] ==
        "Design the architecture for prompted. Constraints: none.\n");
  // A later step's prompt holds the output it was given.
  auto backend =
      f.get("/api/v1/executions/" + id + "/steps/backend/prompt", 200);
  std::string design_output = done["steps"][0]["output"];
  CHECK(backend["params"]["design"] == design_output);
  CHECK(backend["prompt"].get<std::string>().find(design_output) !=
        std::string::npos);
  CHECK(f.get("/api/v1/executions/" + id + "/steps/nope/prompt",
              404)["error"] == "step_not_found");
  f.get("/api/v1/executions/nope/steps/design/prompt", 404);

  // Cancelled at once: the last step's inputs never came.
  std::string early = f.post(execute_path, R"({"input": {"feature": "x"}})",
                             202)["execution_id"];
  f.post("/api/v1/executions/" + early + "/cancel", "", 202);
  wait_state(f, early, "cancelled");
  CHECK(f.get("/api/v1/executions/" + early + "/steps/deploy_plan/prompt",
              409)["error"] == "prompt_not_ready");
}

TEST_CASE("a cancelled execution retried runs again from its checkpoints",
          "[http][api]") {
  server_fixture f;
  std::string id = f.post(execute_path, R"({"input": {"feature": "c"}})",
                          202)["execution_id"];
  REQUIRE(test::wait_until([&] {
    auto x = f.get("/api/v1/executions/" + id, 200);
    return x["steps"][0]["state"] == "completed";
  }));
  f.post("/api/v1/executions/" + id + "/cancel", "", 202);
  wait_state(f, id, "cancelled");
  auto retried = f.post("/api/v1/executions/" + id + "/retry", "", 202);
  CHECK(retried["state"] == "running");
  auto done = wait_state(f, id, "completed");
  CHECK(done["steps"].size() == 5);
  CHECK(f.post("/api/v1/executions/" + id + "/retry", "", 409)["error"] ==
        "not_retryable");
}

TEST_CASE("an execution shows every attempt: each retry with its error, and a "
          "retry by request as a new epoch",
          "[http][api][attempts]") {
  auto cat = test::make_catalog();
  cat->workflows["Shaky"] = test::workflow(
      "name: Shaky\nsteps:\n"
      "  - {id: a, agent_id: fast, command_template_id: cmd_echo, params: "
      "{text: a}}\n"
      "  - {id: b, depends_on: [a], agent_id: flaky, command_template_id: "
      "cmd_echo, params: {text: b}, retry: {max_attempts: 3, backoff_ms: "
      "10}}\n");
  server_fixture f{0, test::test_limits(), "", cat};
  std::string id =
      f.post("/api/v1/workflows/Shaky/execute", "{}", 202)["execution_id"];
  auto x = wait_state(f, id, "failed");
  const std::string node = x["owner_node"];
  REQUIRE_FALSE(node.empty());
  CHECK(x["owners"].empty());

  // The attempts of one step, as (epoch, attempt) in start order.
  auto attempts_of = [](const json& view, const std::string& step) {
    std::vector<json> out;
    for (const auto& a : view["attempts"])
      if (a["step_id"] == step)
        out.push_back(a);
    return out;
  };
  auto a = attempts_of(x, "a");
  REQUIRE(a.size() == 1);
  CHECK(a[0]["outcome"] == "completed");
  CHECK(a[0]["node"] == node);
  CHECK(a[0]["agent_id"] == "fast");
  auto b = attempts_of(x, "b");
  REQUIRE(b.size() == 3);
  for (int i = 0; i < 3; ++i) {
    INFO("attempt " << i + 1);
    CHECK(b[i]["attempt"] == i + 1);
    CHECK(b[i]["epoch"] == 1);
    CHECK(b[i]["outcome"] == "failed");
    CHECK(b[i]["node"] == node);
    CHECK(b[i]["agent_id"] == "flaky");
    CHECK_FALSE(b[i]["error"].get<std::string>().empty());
    CHECK(b[i]["finished_at_ms"] >= b[i]["started_at_ms"]);
  }
  CHECK(b[0]["started_at_ms"] >= a[0]["finished_at_ms"]);
  // The failed step itself shows its last attempt.
  const auto& step_b = x["steps"][1];
  CHECK(step_b["state"] == "failed");
  CHECK(step_b["attempt"] == 3);
  CHECK(step_b["agent_id"] == "flaky");
  CHECK(step_b["error"] == b[2]["error"]);

  // Retried by request: a new epoch on this node; step a stays done.
  f.post("/api/v1/executions/" + id + "/retry", "", 202);
  x = wait_state(f, id, "failed");
  REQUIRE(x["owners"].size() == 1);
  CHECK(x["owners"][0]["epoch"] == 2);
  CHECK(x["owners"][0]["reason"] == "retry");
  CHECK(x["owners"][0]["node"] == node);
  CHECK(x["owners"][0]["previous_node"] == node);
  CHECK(attempts_of(x, "a").size() == 1);
  b = attempts_of(x, "b");
  REQUIRE(b.size() == 6);
  for (int i = 3; i < 6; ++i) {
    CHECK(b[i]["epoch"] == 2);
    CHECK(b[i]["attempt"] == i - 2);
  }
  // Failed by its agent, not damaged: not among the quarantined.
  CHECK(f.get("/api/v1/executions?state=failed", 200)["total"] == 1);
  CHECK(f.get("/api/v1/executions?state=quarantined", 200)["total"] == 0);
}

TEST_CASE("an execution's events stream as Server-Sent Events: a snapshot "
          "first, each step's start before its checkpoint, finished last",
          "[http][api][events]") {
  server_fixture f;
  std::string id = f.post(execute_path, R"({"input": {"feature": "e"}})",
                          202)["execution_id"];
  std::string text;
  auto client = f.new_client();
  client->set_read_timeout(30);
  auto res = client->Get(("/api/v1/executions/" + id + "/events").c_str(),
                         [&](const char* data, size_t n) {
                           text.append(data, n);
                           return true;
                         });
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK_THAT(res->get_header_value("Content-Type"),
             Catch::StartsWith("text/event-stream"));
  std::vector<std::pair<std::string, json>> events;
  size_t pos = 0;
  while ((pos = text.find("event: ", pos)) != std::string::npos) {
    auto kind = text.substr(pos + 7, text.find('\n', pos) - pos - 7);
    auto data_at = text.find("data: ", pos) + 6;
    events.emplace_back(
        kind,
        json::parse(text.substr(data_at, text.find('\n', data_at) - data_at)));
    pos = data_at;
  }
  REQUIRE(events.size() >= 2);
  CHECK(events.front().first == "snapshot");
  CHECK(events.back().first == "finished");
  CHECK(events.back().second["state"] == "completed");
  // Every step seen both starting and checkpointed is seen starting first.
  std::map<std::string, size_t> started, checkpointed;
  for (size_t i = 0; i < events.size(); ++i) {
    const auto& [kind, e] = events[i];
    if (kind == "started")
      started.emplace(e["step_id"], i);
    if (kind == "checkpointed")
      checkpointed.emplace(e["step_id"], i);
  }
  CHECK(checkpointed.size() >= 1);
  for (const auto& [step, at] : checkpointed)
    if (started.count(step))
      CHECK(started[step] < at);
  // A finished execution's stream is its snapshot and finished at once.
  std::string again;
  auto second = client->Get(("/api/v1/executions/" + id + "/events").c_str(),
                            [&](const char* data, size_t n) {
                              again.append(data, n);
                              return true;
                            });
  REQUIRE(second);
  CHECK_THAT(again, Catch::Contains("event: snapshot"));
  CHECK_THAT(again, Catch::Contains("event: finished"));
  f.get("/api/v1/executions/nope/events", 404);
}

TEST_CASE("templates are listed with their versions", "[http][api]") {
  server_fixture f;
  auto all = f.get("/api/v1/templates?limit=100", 200);
  REQUIRE(all["total"] >= 5);
  std::string id = all["templates"][0]["id"];
  CHECK(f.get("/api/v1/templates/" + id, 200)["id"] == id);
  CHECK(f.get("/api/v1/templates/" + id + "/versions", 200)["total"] >= 1);
  f.get("/api/v1/templates/nope", 404);
}
