// The OpenAPI document the node serves describes exactly the routes it
// has, and its documentation pages load what they need from the node.

#include <catch2/catch.hpp>

#include <set>

#include <yaml-cpp/yaml.h>

#include "admin/internal/server_core.hpp"
#include "model/param_spec.hpp"
#include "tests/admin/openapi_routes.hpp"
#include "tests/support/http_fixture.hpp"

using namespace hishamos;
using nlohmann::json;
using test::server_fixture;

namespace {

using test::page_assets;
using test::upper;

} // namespace

TEST_CASE("the served OpenAPI document lists every route and no other",
          "[http][openapi]") {
  server_fixture f;
  auto doc = f.get("/api/openapi.json", 200);
  CHECK(doc["openapi"] == "3.1.0");
  std::set<std::string> documented;
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, op] : item.items())
      if (method != "parameters")
        documented.insert(upper(method) + " " + path);

  admin::server_core core{*f.n, {}};
  std::set<std::string> routed;
  for (const auto& r : core.routes.table())
    if (!page_assets.count(r))
      routed.insert(r);

  for (const auto& r : routed) {
    INFO("route without documentation: " << r);
    CHECK(documented.count(r) == 1);
  }
  for (const auto& d : documented) {
    INFO("documented operation without a route: " << d);
    CHECK(routed.count(d) == 1);
  }
  // The tags the design asks for are there, each described.
  std::set<std::string> tags;
  for (const auto& t : doc["tags"])
    tags.insert(t["name"].get<std::string>());
  for (const char* t :
       {"Authentication", "Agents", "Workflows", "Results", "Analytics"})
    CHECK(tags.count(t) == 1);
  CHECK(doc["components"]["securitySchemes"].contains("BearerAuth"));
  CHECK(doc["components"]["securitySchemes"].contains("APIKey"));
}

TEST_CASE("the YAML and JSON documents are the same document",
          "[http][openapi]") {
  server_fixture f;
  auto yaml = f.client->Get("/api/openapi.yaml");
  REQUIRE(yaml);
  CHECK(yaml->status == 200);
  CHECK_THAT(yaml->get_header_value("Content-Type"),
             Catch::StartsWith("application/yaml"));
  CHECK_THAT(yaml->body, Catch::StartsWith("openapi: 3.1.0"));
  auto doc = f.get("/api/openapi.json", 200);
  CHECK(doc["info"]["title"] == "HishamOS API");
  CHECK(model::to_json(YAML::Load(yaml->body)) == doc);
}

TEST_CASE("Swagger UI and ReDoc pages load their scripts from the node",
          "[http][openapi]") {
  server_fixture f;
  for (const char* page : {"/api/docs", "/api/redoc"}) {
    INFO(page);
    auto res = f.client->Get(page);
    REQUIRE(res);
    REQUIRE(res->status == 200);
    CHECK_THAT(res->get_header_value("Content-Type"),
               Catch::StartsWith("text/html"));
    CHECK_THAT(res->get_header_value("Content-Security-Policy"),
               Catch::Contains("script-src 'self'"));
    // Every script and stylesheet the page names is served here.
    size_t pos = 0;
    int assets = 0;
    while ((pos = res->body.find("=\"/api/", pos)) != std::string::npos) {
      auto start = pos + 2;
      auto url = res->body.substr(start, res->body.find('"', start) - start);
      pos = start;
      auto got = f.client->Get(url.c_str());
      INFO(url);
      REQUIRE(got);
      CHECK(got->status == 200);
      CHECK(got->body.size() > 0);
      ++assets;
    }
    CHECK(assets >= 2);
    CHECK(res->body.find("http") == std::string::npos); // nothing from outside
  }
}
