// The API against its OpenAPI document, from outside: a real `hishamos dev`
// process, with the document linted by Redocly, the Postman collection
// (docs/postman/) run by newman and kept in step with the document, and
// requests generated from the document (web/api-tests/contract.js) whose
// answers must fit it. The tools are web/'s npm packages
// (deploy/install-web.sh), and Debian's Chromium for the documentation
// pages.

#include <catch2/catch.hpp>

#include <filesystem>

#include <httplib.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace test = hishamos::test;

namespace {

const std::string source = HISHAMOS_SOURCE_DIR;
const std::string web = source + "/web";

// A dev node on a free port, its store in `dir`.
struct dev_node {
  test::temp_dir dir;
  int port = test::free_port();
  std::unique_ptr<test::background_process> process;
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  std::string api_key; ///< The admin key `hishamos dev` prints.

  dev_node() {
    process = std::make_unique<test::background_process>(
        std::vector<std::string>{HISHAMOS_BINARY, "dev", "--store",
                                 "sqlite:" + (dir / "store.db")},
        std::map<std::string, std::string>{
            {"HISHAMOS_HTTP_LISTEN", "127.0.0.1:" + std::to_string(port)}},
        dir / "node.log");
    httplib::Client c{"127.0.0.1", port};
    INFO(test::read_text(dir / "node.log"));
    REQUIRE(test::wait_until([&] {
      auto res = c.Get("/health");
      return res && res->status == 200;
    }));
    REQUIRE(test::wait_until([&] {
      auto log = test::read_text(dir / "node.log");
      auto at = log.find("API key:");
      if (at == std::string::npos)
        return false;
      auto start = log.find("hsk_", at);
      auto end = log.find_first_of(" \n", start);
      if (start == std::string::npos || end == std::string::npos)
        return false;
      api_key = log.substr(start, end - start);
      return true;
    }));
  }
};

void require_tools() {
  INFO("web/ has no npm packages: run deploy/install-web.sh");
  REQUIRE(!test::read_text(web + "/node_modules/.package-lock.json").empty());
}

void check_run(const test::process_result& r) {
  INFO(r.out.substr(r.out.size() > 6000 ? r.out.size() - 6000 : 0));
  INFO(r.err.substr(0, 6000));
  CHECK(r.exit_code == 0);
}

} // namespace

TEST_CASE("the OpenAPI document passes Redocly's lint", "[contract]") {
  require_tools();
  check_run(test::run_process({web + "/node_modules/.bin/redocly", "lint",
                               source + "/docs/openapi.yaml", "--config",
                               web + "/redocly.yaml", "--format", "stylish"}));
}

TEST_CASE("every request and response of the document has an example that "
          "fits its schema",
          "[contract]") {
  require_tools();
  check_run(
      test::run_process({"node", web + "/api-tests/examples.js", "--check"}));
}

TEST_CASE("the committed Postman collection is the one the document makes",
          "[contract]") {
  require_tools();
  check_run(
      test::run_process({"node", web + "/api-tests/postman.js", "--check"}));
}

TEST_CASE("newman runs the Postman collection against a node: every answer "
          "has a documented status and the error format",
          "[contract]") {
  require_tools();
  dev_node n;
  check_run(test::run_process(
      {web + "/node_modules/.bin/newman", "run",
       source + "/docs/postman/hishamos.postman_collection.json", "--env-var",
       "base_url=" + n.url, "--env-var", "access_token=" + n.api_key, "--color",
       "off", "--reporters", "cli"},
      {{"FORCE_COLOR", "0"}}));
}

TEST_CASE("requests generated from the document get answers that fit it",
          "[contract]") {
  require_tools();
  dev_node n;
  check_run(
      test::run_process({"node", web + "/api-tests/contract.js", n.url, "25"},
                        {{"HISHAMOS_API_KEY", n.api_key}}));
  // The node is still well after all of it.
  httplib::Client c{"127.0.0.1", n.port};
  auto res = c.Get("/health");
  REQUIRE(res);
  CHECK(res->status == 200);
}

TEST_CASE("Swagger UI and ReDoc render the API in a real browser, offline",
          "[contract][browser]") {
  require_tools();
  INFO("the browser test needs Debian's chromium (deploy/install-deps.sh "
       "--with-services installs it)");
  REQUIRE(std::filesystem::exists("/usr/bin/chromium"));
  dev_node n;
  check_run(test::run_process({"node", web + "/api-tests/docs-pages.js", n.url,
                               n.dir.path().string()}));
}
