// The authorisation matrix, generated from the OpenAPI document the node
// serves: every operation, asked by no one and by each role, answers
// exactly 401, 403 or what the route does. The document names each
// operation's permission (x-permission) and the router must agree, so
// that a new route cannot be forgotten.

#include <catch2/catch.hpp>

#include <regex>
#include <set>

#include "admin/internal/server_core.hpp"
#include "tests/admin/openapi_routes.hpp"
#include "tests/support/http_fixture.hpp"

using namespace hishamos;
using nlohmann::json;
using test::server_fixture;

namespace {

using test::page_assets;
using test::upper;

// A path of the pattern with values no resource has.
std::string concrete(const std::string& pattern) {
  static const std::regex param{"\\{([a-z_]+)\\}"};
  std::string out;
  auto begin = std::sregex_iterator(pattern.begin(), pattern.end(), param);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    out += pattern.substr(last, it->position() - last);
    auto name = (*it)[1].str();
    out += name == "version" ? "1"
           : name == "id"    ? "nope.step"
                             : "no-such-" + name;
    last = it->position() + it->length();
  }
  return out + pattern.substr(last);
}

struct operation {
  std::string method;
  std::string pattern;
  std::string permission;
};

std::vector<operation> operations_of(const json& doc) {
  std::vector<operation> out;
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, op] : item.items())
      if (method != "parameters")
        out.push_back({upper(method), path, op.value("x-permission", "")});
  return out;
}

int status_of(server_fixture& f, const operation& op,
              const httplib::Headers& headers, std::string& body) {
  auto c = f.anonymous_client();
  c->set_read_timeout(5, 0);
  auto path = concrete(op.pattern);
  httplib::Result res =
      op.method == "POST"
          ? c->Post(path.c_str(), headers, "{}", "application/json")
      : op.method == "PUT"
          ? c->Put(path.c_str(), headers, "{}", "application/json")
      : op.method == "DELETE" ? c->Delete(path.c_str(), headers)
                              : c->Get(path.c_str(), headers);
  REQUIRE(res);
  body = res->body;
  return res->status;
}

} // namespace

TEST_CASE("every route declares a permission, the same one the OpenAPI "
          "document names",
          "[http][auth][authorization]") {
  server_fixture f;
  auto doc = f.get("/api/openapi.json", 200);
  std::map<std::string, std::string> documented;
  for (const auto& op : operations_of(doc))
    documented[op.method + " " + op.pattern] = op.permission;
  admin::server_core core{*f.n, {}};
  for (const auto& [route, needs] : core.routes.permissions()) {
    INFO(route);
    CHECK(needs != security::permission::undeclared);
    if (page_assets.count(route)) {
      CHECK(needs == security::permission::open);
      continue;
    }
    REQUIRE(documented.count(route) == 1);
    CHECK(documented[route] == security::to_string(needs));
  }
  std::set<std::string> open;
  for (const auto& [route, needs] : documented)
    if (needs == "open")
      open.insert(route);
  // Open: the probes, the documentation pages and the console's page,
  // nothing with data.
  CHECK(open == std::set<std::string>{"GET /", "GET /health", "GET /ready",
                                      "GET /api/openapi.json",
                                      "GET /api/openapi.yaml", "GET /api/docs",
                                      "GET /api/redoc"});
}

TEST_CASE("a route that declares no permission is refused to everyone, "
          "admins included",
          "[http][auth][authorization]") {
  server_fixture f;
  admin::server_core core{*f.n, {}};
  core.routes.add("GET", "/api/v1/forgotten", security::permission::undeclared,
                  [](const admin::request&) {
                    return admin::response{200, "{}"};
                  });
  admin::request req;
  req.method = "GET";
  req.path = "/api/v1/forgotten";
  req.headers["x-api-key"] = f.api_key;
  auto refused = core.refused(req);
  REQUIRE(refused);
  CHECK(refused->status == 403);
  CHECK(json::parse(refused->body)["error"] == "forbidden");
}

TEST_CASE("the authorisation matrix: every operation x anonymous and each "
          "role answers 401, 403 or what the route does",
          "[http][auth][authorization]") {
  server_fixture f;
  auto doc = f.get("/api/openapi.json", 200);
  std::map<std::string, httplib::Headers> callers{{"anonymous", {}}};
  for (const char* role : {"viewer", "author", "operator", "admin"})
    callers[role] = {
        {"X-API-Key", test::make_api_key(f.http->accounts(), role)}};
  size_t checked = 0;
  for (const auto& op : operations_of(doc)) {
    REQUIRE_FALSE(op.permission.empty());
    auto needs = op.permission;
    for (const auto& [who, headers] : callers) {
      std::string body;
      int status = status_of(f, op, headers, body);
      INFO(who << " " << op.method << " " << op.pattern << " (" << needs
               << ") -> " << status << " " << body.substr(0, 300));
      ++checked;
      if (needs == "open") {
        CHECK(status == 200);
      } else if (needs == "sign_in") {
        // The body is the credential: any caller may try it.
        CHECK(status < 500);
      } else if (who == "anonymous") {
        CHECK(status == 401);
        CHECK(json::parse(body)["error"] == "unauthenticated");
      } else {
        bool may = false;
        for (auto p :
             {security::permission::authenticated, security::permission::read,
              security::permission::run_execution,
              security::permission::approve_budget,
              security::permission::rate_result,
              security::permission::create_workflow,
              security::permission::manage_users,
              security::permission::read_audit})
          if (security::to_string(p) == needs)
            may = security::role_permits(who, p);
        if (may) {
          CHECK(status != 401);
          CHECK(status != 403);
          CHECK(status < 500);
        } else {
          CHECK(status == 403);
          CHECK(json::parse(body)["error"] == "forbidden");
        }
      }
    }
  }
  CHECK(checked == operations_of(doc).size() * callers.size());
}

TEST_CASE("sign-in routes answer the same whatever credential comes along",
          "[http][auth][authorization]") {
  server_fixture f;
  auto admin_key = httplib::Headers{{"X-API-Key", f.api_key}};
  for (const char* path :
       {"/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/setup"}) {
    operation op{"POST", path, "sign_in"};
    std::string a, b;
    INFO(path);
    CHECK(status_of(f, op, {}, a) == status_of(f, op, admin_key, b));
    CHECK(json::parse(a)["error"] == json::parse(b)["error"]);
  }
}
