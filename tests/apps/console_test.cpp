// The admin console in a real browser: a real `hishamos node` with a
// catalog made for the console's checks, users and 10,000 executions made
// through the API, then web/console-tests/console.js drives Debian's
// Chromium through it. Screenshots land in <build>/console-screenshots.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/support/fake_model_server.hpp"
#include "tests/support/node_cluster.hpp"
#include "tests/support/process.hpp"
#include "tests/support/wait.hpp"

namespace test = hishamos::test;
using nlohmann::json;

namespace {

const std::string web = std::string{HISHAMOS_SOURCE_DIR} + "/web";
const std::string password = "console test password 1";

// Echo (a -> b on `steady`, 1.5 s each, its input in the prompt), Slow
// (one step of a minute), Costly (two priced steps: a budget pauses it
// after the first), Shaky (one step whose agent always fails, tried three
// times) and Quick (one step that answers at once).
std::string add_console_catalog(test::node_cluster& c,
                                const test::fake_model_server& server) {
  c.dir.write("catalog/agents/fast.yaml",
              "id: fast\ncapacity: 64\nlatency_ms: 0\n");
  c.dir.write("catalog/agents/steady.yaml",
              "id: steady\ncapacity: 8\nlatency_ms: 1500\n");
  c.dir.write("catalog/agents/slow.yaml",
              "id: slow\ncapacity: 8\nlatency_ms: 60000\n");
  c.dir.write("catalog/agents/gpt.yaml",
              "id: gpt\ncapacity: 4\nprovider: fake\nmodel: m1\n"
              "temperature: 0.7\n");
  c.dir.write("catalog/workflows/echo.yaml",
              "name: Echo\ndescription: Echoes twice\ninputs:\n  text: "
              "{type: string, required: true}\nsteps:\n"
              "  - id: a\n    agent_id: steady\n    command_template_id: "
              "cmd_echo\n    params: {text: '{{inputs.text}}'}\n"
              "  - id: b\n    depends_on: [a]\n    agent_id: steady\n"
              "    command_template_id: cmd_echo\n"
              "    params: {text: '{{steps.a.output}}'}\n");
  c.dir.write("catalog/workflows/slow.yaml",
              "name: Slow\nsteps:\n  - {id: long, agent_id: slow, "
              "command_template_id: cmd_echo, params: {text: wait}}\n");
  c.dir.write("catalog/workflows/costly.yaml",
              "name: Costly\nsteps:\n  - {id: c1, agent_id: gpt, "
              "command_template_id: cmd_echo, params: {text: one}}\n"
              "  - {id: c2, depends_on: [c1], agent_id: gpt, "
              "command_template_id: cmd_echo, params: {text: two}}\n");
  c.dir.write("catalog/agents/shaky.yaml",
              "id: shaky\ncapacity: 8\nlatency_ms: 0\nfail_rate: 1.0\n");
  c.dir.write("catalog/workflows/shaky.yaml",
              "name: Shaky\nsteps:\n  - {id: s, agent_id: shaky, "
              "command_template_id: cmd_echo, params: {text: s}, retry: "
              "{max_attempts: 3, backoff_ms: 10}}\n");
  c.dir.write("catalog/workflows/quick.yaml",
              "name: Quick\nsteps:\n  - {id: q, agent_id: fast, "
              "command_template_id: cmd_echo, params: {text: q}}\n");
  return "providers: {fake: {type: openai, base_url: '" + server.base_url() +
         "', api_key: 'env://HISHAMOS_CONSOLE_TEST_KEY', max_retries: 0, "
         "prices: {m1: {input: 1000, output: 1000}}}}\n"
         "budgets:\n  - {scope: workflow, name: Costly, limit_usd: 0.000001, "
         "action: pause}\n";
}

httplib::Result post(int port, const std::string& key, const std::string& path,
                     const json& body) {
  httplib::Client client{"127.0.0.1", port};
  client.set_read_timeout(60);
  return client.Post(path.c_str(), {{"X-API-Key", key}}, body.dump(),
                     "application/json");
}

int completed_quick(int port, const std::string& key) {
  httplib::Client client{"127.0.0.1", port};
  auto res =
      client.Get("/api/v1/executions?workflow=Quick&state=completed&limit=1",
                 {{"X-API-Key", key}});
  return res && res->status == 200 ? json::parse(res->body)["total"].get<int>()
                                   : -1;
}

} // namespace

TEST_CASE("the admin console in a real browser: 2FA sign-in, live execution "
          "graph, cancel, budget approval, roles, safe output, 10,000-row "
          "list, workflow editor, accessibility",
          "[browser][console]") {
  INFO("the browser test needs web/'s npm packages and Debian's chromium "
       "(deploy/install-deps.sh --with-services installs both)");
  REQUIRE(std::filesystem::exists(web + "/node_modules/playwright-core"));
  REQUIRE(std::filesystem::exists("/usr/bin/chromium"));
  ::setenv("HISHAMOS_CONSOLE_TEST_KEY", "sk-console-0123456789", 1);
  test::fake_model_server server;
  test::temp_dir store;
  test::node_cluster c{"sqlite:" + (store / "store.db"), 300};
  test::node_spec spec;
  spec.extra_config = add_console_catalog(c, server);
  int port = test::free_port();
  auto n1 = c.start("n1", port, spec);

  for (auto [user, role] :
       {std::pair{"ada", "operator"}, std::pair{"vic", "viewer"}}) {
    auto res =
        post(port, c.api_key, "/api/v1/users",
             {{"username", user}, {"password", password}, {"role", role}});
    REQUIRE(res);
    INFO(res->body);
    REQUIRE(res->status == 201);
  }
  // 10,000 executions (HISHAMOS_CONSOLE_EXECUTIONS for more), through the
  // batch API as a client would start them.
  const char* asked = std::getenv("HISHAMOS_CONSOLE_EXECUTIONS");
  int batches = std::max(1, (asked ? std::atoi(asked) : 10000) / 1000);
  for (int batch = 0; batch < batches; ++batch) {
    json executions = json::array();
    for (int i = 0; i < 1000; ++i)
      executions.push_back({{"workflow", "Quick"}, {"input", json::object()}});
    auto res = post(port, c.api_key, "/api/v1/executions/batch",
                    {{"executions", executions}});
    REQUIRE(res);
    INFO(res->body.substr(0, 2000));
    REQUIRE(res->status == 200);
    REQUIRE(json::parse(res->body)["created"] == 1000);
  }
  INFO(c.log("n1"));
  REQUIRE(test::wait_until(
      [&] { return completed_quick(port, c.api_key) == batches * 1000; },
      std::chrono::seconds{240 * batches / 10}));

  auto shots =
      std::filesystem::path{HISHAMOS_BUILD_DIR} / "console-screenshots";
  auto run = test::run_process(
      {"node", web + "/console-tests/console.js",
       "http://127.0.0.1:" + std::to_string(port), shots.string()},
      {{"HISHAMOS_API_KEY", c.api_key},
       {"HISHAMOS_PASSWORD", password},
       {"HISHAMOS_EXECUTIONS", std::to_string(batches * 1000)}});
  INFO(run.out);
  INFO(run.err.substr(0, 8000));
  CHECK(run.exit_code == 0);
}
