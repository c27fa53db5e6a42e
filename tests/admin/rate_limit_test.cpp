// The design's rate limits over real HTTP: per API key and per user in a
// sliding window, sign-in attempts per account and per client address,
// and one window shared by every server through Redis.

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "tests/support/http_fixture.hpp"
#include "tests/support/private_redis.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using nlohmann::json;
using test::server_fixture;

namespace {

config::http_limits limited(std::int64_t per_window, std::int64_t window_s) {
  auto l = test::test_limits();
  l.key_requests_per_window = per_window;
  l.user_requests_per_window = per_window;
  l.rate_window_s = window_s;
  return l;
}

std::unique_ptr<httplib::Client> client_with(int port, const std::string& key) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_default_headers({{"X-API-Key", key}});
  return c;
}

} // namespace

TEST_CASE("an API key over its limit is answered 429 with Retry-After and "
          "RateLimit headers — another key is not held back",
          "[http][ratelimit]") {
  server_fixture f{0, limited(5, 60)};
  for (int i = 0; i < 5; ++i) {
    auto res = f.client->Get("/api/v1/executions");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("RateLimit-Limit") == "5");
    CHECK(res->get_header_value("RateLimit-Remaining") ==
          std::to_string(4 - i));
  }
  auto refused = f.client->Get("/api/v1/executions");
  REQUIRE(refused);
  CHECK(refused->status == 429);
  auto retry = std::stoi(refused->get_header_value("Retry-After"));
  CHECK(retry >= 1);
  CHECK(retry <= 60);
  CHECK(refused->get_header_value("RateLimit-Remaining") == "0");
  CHECK(refused->get_header_value("RateLimit-Policy") == "5;w=60");
  auto body = json::parse(refused->body);
  CHECK(body["error"] == "rate_limited");
  CHECK(body["details"].contains("fix"));
  // Probes are never limited; another key has its own window.
  CHECK(f.client->Get("/health")->status == 200);
  auto other =
      client_with(f.port, test::make_api_key(f.http->accounts(), "viewer"));
  CHECK(other->Get("/api/v1/executions")->status == 200);
}

TEST_CASE("the window slides: a refused key is admitted again once its "
          "oldest request leaves the window",
          "[http][ratelimit]") {
  server_fixture f{0, limited(3, 1)};
  for (int i = 0; i < 3; ++i)
    CHECK(f.client->Get("/api/v1/executions")->status == 200);
  CHECK(f.client->Get("/api/v1/executions")->status == 429);
  CHECK(test::wait_until(
      [&] { return f.client->Get("/api/v1/executions")->status == 200; },
      std::chrono::seconds{5}));
}

TEST_CASE("a signed-in user has a limit of their own", "[http][ratelimit]") {
  server_fixture f{0, limited(1000, 60)};
  auto l = limited(3, 60);
  admin::http_server strict{*f.n, l};
  auto port = strict.start("127.0.0.1", 0);
  REQUIRE(port);
  auto made =
      strict.accounts().add_user("ada", "correct horse battery", "viewer");
  REQUIRE(made);
  httplib::Client c{"127.0.0.1", *port};
  auto in =
      c.Post("/api/v1/auth/login",
             R"({"username": "ada", "password": "correct horse battery"})",
             "application/json");
  REQUIRE(in);
  REQUIRE(in->status == 200);
  c.set_bearer_token_auth(
      json::parse(in->body)["access_token"].get<std::string>());
  for (int i = 0; i < 3; ++i)
    CHECK(c.Get("/api/v1/auth/me")->status == 200);
  CHECK(c.Get("/api/v1/auth/me")->status == 429);
}

TEST_CASE("sign-in attempts are limited per account and per client "
          "address, before the password is checked",
          "[http][ratelimit][auth]") {
  auto l = test::test_limits();
  l.login_attempts_per_account = 3;
  l.login_attempts_per_address = 5;
  server_fixture f{0, l};
  REQUIRE(
      f.http->accounts().add_user("ada", "correct horse battery", "viewer"));
  auto login = [&](const std::string& user, const std::string& pass) {
    return f.anonymous_client()
        ->Post("/api/v1/auth/login",
               json{{"username", user}, {"password", pass}}.dump(),
               "application/json")
        ->status;
  };
  CHECK(login("ada", "wrong one 1") == 401);
  CHECK(login("ada", "wrong one 2") == 401);
  CHECK(login("ada", "correct horse battery") == 200);
  CHECK(login("ada", "correct horse battery") == 429); // the account's 4th
  CHECK(login("bob", "x") == 401);
  CHECK(login("carol", "x") == 429); // the address's 6th
}

TEST_CASE("with Redis, three servers share one window: together they admit "
          "exactly the limit",
          "[http][ratelimit][redis]") {
  test::private_redis redis;
  auto l = limited(20, 60);
  server_fixture f{0, l, redis.url()};
  std::vector<std::unique_ptr<admin::http_server>> more;
  std::vector<int> ports{f.port};
  for (int i = 0; i < 2; ++i) {
    more.push_back(std::make_unique<admin::http_server>(*f.n, l));
    auto port = more.back()->start("127.0.0.1", 0);
    REQUIRE(port);
    ports.push_back(*port);
  }
  std::atomic<int> admitted{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int port : ports)
    threads.emplace_back([&, port] {
      auto c = client_with(port, f.api_key);
      for (int i = 0; i < 15; ++i) {
        auto res = c->Get("/api/v1/executions");
        (!res                 ? other
         : res->status == 200 ? admitted
         : res->status == 429 ? refused
                              : other)++;
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(other == 0);
  CHECK(admitted == 20); // per node it would be 15 + 15 + 15
  CHECK(refused == 25);
}
