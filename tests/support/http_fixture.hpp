#pragma once

// A node with the built-in catalog behind its real HTTP server on a free
// loopback port, and a real HTTP client to it.

#include <memory>
#include <string>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "admin/http_server.hpp"
#include "config/catalog_loader.hpp"
#include "tests/support/credentials.hpp"
#include "tests/support/node_fixture.hpp"

namespace hishamos::test {

/// The admin API's limits for tests that are not about rate limits: those
/// off (a test polls far more often than a person).
inline config::http_limits test_limits() {
  config::http_limits l;
  l.user_requests_per_window = 0;
  l.key_requests_per_window = 0;
  return l;
}

struct server_fixture {
  temp_dir dir;
  std::unique_ptr<node> n;
  std::unique_ptr<admin::http_server> http;
  std::unique_ptr<httplib::Client> client;
  int port = 0;
  std::string api_key; ///< An admin's: every client sends it.

  /// On the built-in catalog unless given another.
  explicit server_fixture(int max_executions = 0,
                          config::http_limits limits = test_limits(),
                          std::string redis_url = "",
                          std::shared_ptr<const model::catalog> catalog = {}) {
    auto options = test_options(dir);
    options.config.redis_url = std::move(redis_url);
    options.config.max_executions = max_executions;
    if (!catalog) {
      auto cat = config::load_catalog({config::builtin_catalog_path()});
      REQUIRE(cat);
      catalog = *cat;
    }
    options.catalog = std::move(catalog);
    n = start_node(std::move(options));
    http = std::make_unique<admin::http_server>(*n, limits);
    auto bound = http->start("127.0.0.1", 0);
    REQUIRE(bound);
    port = *bound;
    api_key = make_api_key(http->accounts());
    client = new_client();
  }

  /// A fresh client of its own (one connection per client), sending the
  /// admin's key.
  [[nodiscard]] std::unique_ptr<httplib::Client> new_client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
    c->set_default_headers({{"X-API-Key", api_key}});
    return c;
  }
  /// A client with no credential.
  [[nodiscard]] std::unique_ptr<httplib::Client> anonymous_client() const {
    return std::make_unique<httplib::Client>("127.0.0.1", port);
  }

  nlohmann::json send(const std::string& method, const std::string& path,
                      const std::string& body, int expected) {
    httplib::Result res =
        method == "POST"  ? client->Post(path.c_str(), body, "application/json")
        : method == "PUT" ? client->Put(path.c_str(), body, "application/json")
        : method == "DELETE" ? client->Delete(path.c_str())
                             : client->Get(path.c_str());
    REQUIRE(res);
    INFO(method << " " << path << " -> " << res->body.substr(0, 600));
    CHECK(res->status == expected);
    return nlohmann::json::parse(res->body);
  }
  nlohmann::json post(const std::string& path, const std::string& body,
                      int expected) {
    return send("POST", path, body, expected);
  }
  nlohmann::json get(const std::string& path, int expected) {
    return send("GET", path, "", expected);
  }
};

} // namespace hishamos::test
