#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "admin/router.hpp"
#include "admin/url.hpp"

using namespace hishamos::admin;

namespace {

router sample() {
  router r;
  r.add("GET", "/api/v1/executions/{id}", permission::read,
        [](const request& req) {
          return response{200, req.param("id")};
        });
  r.add("POST", "/api/v1/executions/{id}/cancel", permission::run_execution,
        [](const request& req) {
          return response{202, "cancel " + req.param("id")};
        });
  return r;
}

request get(const std::string& method, const std::string& path) {
  request req;
  req.method = method;
  req.path = path;
  return req;
}

} // namespace

TEST_CASE("the router binds path parameters of the route a request matches",
          "[http][router]") {
  auto r = sample();
  auto res = r.dispatch(get("GET", "/api/v1/executions/e1"));
  CHECK(res.status == 200);
  CHECK(res.body == "e1");
  CHECK(r.dispatch(get("POST", "/api/v1/executions/e2/cancel")).body ==
        "cancel e2");
}

TEST_CASE("the router answers 404 for an unknown path and 405 with Allow for "
          "a known path and another method, in the error format",
          "[http][router]") {
  auto r = sample();
  auto missing = r.dispatch(get("GET", "/api/v1/nope"));
  CHECK(missing.status == 404);
  CHECK(nlohmann::json::parse(missing.body)["error"] == "not_found");
  auto empty_segment = r.dispatch(get("GET", "/api/v1/executions/"));
  CHECK(empty_segment.status == 404);
  auto wrong = r.dispatch(get("DELETE", "/api/v1/executions/e1"));
  CHECK(wrong.status == 405);
  CHECK(wrong.headers["Allow"] == "GET");
  CHECK(nlohmann::json::parse(wrong.body)["error"] == "method_not_allowed");
}

TEST_CASE("an escaped slash stays inside its path segment, so a parameter "
          "may hold one",
          "[http][unit]") {
  auto t = parse_target("/api/v1/executions/a%2Fb%20c?x=%2F&y=1+2");
  REQUIRE(t);
  CHECK(t->segments ==
        std::vector<std::string>{"api", "v1", "executions", "a/b c"});
  CHECK(t->path == "/api/v1/executions/a/b c");
  CHECK(t->query.at("x") == "/");
  CHECK(t->query.at("y") == "1 2");
  auto req = get("GET", t->path);
  req.segments = t->segments;
  auto res = sample().dispatch(req);
  CHECK(res.status == 200);
  CHECK(res.body == "a/b c");
  CHECK(!parse_target("/bad%zz"));
  CHECK(!parse_target("/nul%00"));
  CHECK(!parse_target("no-slash"));
}
