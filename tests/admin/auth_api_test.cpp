// Signing in, sessions, 2FA and API keys over real HTTP against a real
// node: what each credential may do, and every way of misusing one.

#include <catch2/catch.hpp>

#include "security/accounts.hpp"
#include "security/totp.hpp"
#include "tests/support/http_fixture.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using nlohmann::json;
using test::server_fixture;

namespace {

const std::string password = "correct horse battery";

struct answer {
  int status = 0;
  json body;
  httplib::Headers headers;
};

// One request with exactly the headers given (no default credential).
answer call(server_fixture& f, const std::string& method,
            const std::string& path, const httplib::Headers& headers,
            const std::string& body = "") {
  auto c = f.anonymous_client();
  auto res = method == "POST"
                 ? c->Post(path.c_str(), headers, body, "application/json")
             : method == "DELETE" ? c->Delete(path.c_str(), headers)
                                  : c->Get(path.c_str(), headers);
  REQUIRE(res);
  INFO(method << " " << path << " -> " << res->status << " " << res->body);
  return {res->status, json::parse(res->body, nullptr, false), res->headers};
}

httplib::Headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

answer login(server_fixture& f, const std::string& user,
             const std::string& pass, const std::string& totp = "") {
  json body{{"username", user}, {"password", pass}};
  if (!totp.empty())
    body["totp"] = totp;
  return call(f, "POST", "/api/v1/auth/login", {}, body.dump());
}

void add_user(server_fixture& f, const std::string& name,
              const std::string& role) {
  auto made = f.post(
      "/api/v1/users",
      json{{"username", name}, {"password", password}, {"role", role}}.dump(),
      201);
  CHECK(made["role"] == role);
}

std::int64_t now_s() { return persistence::now_ms() / 1000; }

} // namespace

TEST_CASE("a user signs in with a password and the access token is who "
          "they are — a wrong password or unknown user is the same 401",
          "[http][auth]") {
  server_fixture f;
  add_user(f, "ada", "operator");
  auto in = login(f, "ada", password);
  REQUIRE(in.status == 200);
  CHECK(in.body["token_type"] == "Bearer");
  CHECK(in.body["expires_in"] == 900);
  CHECK(in.headers.find("Cache-Control")->second == "no-store");
  auto me = call(f, "GET", "/api/v1/auth/me", bearer(in.body["access_token"]));
  CHECK(me.status == 200);
  CHECK(me.body["username"] == "ada");
  CHECK(me.body["role"] == "operator");
  CHECK(me.body["via"] == "token");
  auto wrong = login(f, "ada", "not the password");
  auto unknown = login(f, "nobody", password);
  CHECK(wrong.status == 401);
  CHECK(unknown.status == 401);
  CHECK(wrong.body["error"] == "invalid_credentials");
  CHECK(unknown.body == wrong.body);
  auto none = call(f, "GET", "/api/v1/executions", {});
  CHECK(none.status == 401);
  CHECK(none.body["error"] == "unauthenticated");
  CHECK(none.headers.count("WWW-Authenticate") == 1);
}

TEST_CASE("five wrong passwords in a row lock the account, even for the "
          "right one",
          "[http][auth]") {
  server_fixture f;
  add_user(f, "ada", "viewer");
  for (int i = 0; i < 4; ++i)
    CHECK(login(f, "ada", "wrong password " + std::to_string(i)).status == 401);
  auto fifth = login(f, "ada", "wrong password 5");
  CHECK(fifth.status == 423);
  CHECK(fifth.body["error"] == "account_locked");
  CHECK(login(f, "ada", password).status == 423);
  // An admin's new password unlocks it.
  f.send("PUT", "/api/v1/users/ada", json{{"password", password + "!"}}.dump(),
         200);
  CHECK(login(f, "ada", password + "!").status == 200);
}

TEST_CASE("a refresh token works once: used again, it ends its whole "
          "session",
          "[http][auth]") {
  server_fixture f;
  add_user(f, "ada", "viewer");
  auto first = login(f, "ada", password);
  REQUIRE(first.status == 200);
  std::string r1 = first.body["refresh_token"];
  auto second = call(f, "POST", "/api/v1/auth/refresh", {},
                     json{{"refresh_token", r1}}.dump());
  REQUIRE(second.status == 200);
  std::string r2 = second.body["refresh_token"];
  std::string a2 = second.body["access_token"];
  CHECK(r2 != r1);
  CHECK(call(f, "GET", "/api/v1/auth/me", bearer(a2)).status == 200);
  // The spent token again: theft is assumed, and the session ends.
  auto reused = call(f, "POST", "/api/v1/auth/refresh", {},
                     json{{"refresh_token", r1}}.dump());
  CHECK(reused.status == 401);
  CHECK(call(f, "POST", "/api/v1/auth/refresh", {},
             json{{"refresh_token", r2}}.dump())
            .status == 401);
  CHECK(call(f, "GET", "/api/v1/auth/me", bearer(a2)).status == 401);
  // Another sign-in is not touched.
  auto other = login(f, "ada", password);
  CHECK(call(f, "GET", "/api/v1/auth/me", bearer(other.body["access_token"]))
            .status == 200);
}

TEST_CASE("signing out revokes the access token and the refresh token at "
          "once",
          "[http][auth]") {
  server_fixture f;
  add_user(f, "ada", "viewer");
  auto in = login(f, "ada", password);
  std::string access = in.body["access_token"];
  CHECK(call(f, "POST", "/api/v1/auth/logout", bearer(access)).status == 200);
  auto after = call(f, "GET", "/api/v1/auth/me", bearer(access));
  CHECK(after.status == 401);
  CHECK(after.body["message"] == "the token's session was signed out");
  CHECK(call(f, "POST", "/api/v1/auth/refresh", {},
             json{{"refresh_token", in.body["refresh_token"]}}.dump())
            .status == 401);
}

TEST_CASE("an admin without 2FA may only enrol it — with it, a code is "
          "needed, accepted once, and five wrong ones lock the account",
          "[http][auth][totp]") {
  server_fixture f;
  add_user(f, "root", "admin");
  auto in = login(f, "root", password);
  REQUIRE(in.status == 200);
  CHECK(in.body["user"]["must_enrol_totp"] == true);
  auto token = bearer(in.body["access_token"]);
  auto blocked = call(f, "GET", "/api/v1/executions", token);
  CHECK(blocked.status == 403);
  CHECK(blocked.body["error"] == "totp_enrolment_required");
  auto enrol = call(f, "POST", "/api/v1/auth/totp/enrol", token);
  REQUIRE(enrol.status == 200);
  std::string secret = enrol.body["secret"];
  CHECK(enrol.body["otpauth_uri"].get<std::string>().rfind(
            "otpauth://totp/HishamOS:root?secret=" + secret, 0) == 0);
  CHECK(call(f, "POST", "/api/v1/auth/totp/confirm", token,
             R"({"code": "000000"})")
            .status == 401);
  auto code = security::totp_code(secret, now_s());
  REQUIRE(call(f, "POST", "/api/v1/auth/totp/confirm", token,
               json{{"code", code}}.dump())
              .status == 200);
  // The session from before 2FA ended.
  CHECK(call(f, "GET", "/api/v1/auth/me", token).status == 401);
  auto bare = login(f, "root", password);
  CHECK(bare.status == 401);
  CHECK(bare.body["error"] == "totp_required");
  // The confirming code was spent; the next step's is accepted once.
  CHECK(login(f, "root", password, code).body["error"] == "totp_replayed");
  auto next = security::totp_code(secret, now_s() + 30);
  auto full = login(f, "root", password, next);
  REQUIRE(full.status == 200);
  CHECK(full.body["user"]["must_enrol_totp"] == false);
  CHECK(call(f, "GET", "/api/v1/executions", bearer(full.body["access_token"]))
            .status == 200);
  auto replay = login(f, "root", password, next);
  CHECK(replay.status == 401);
  CHECK(replay.body["error"] == "totp_replayed");
  // Brute force: wrong codes count with wrong passwords (one failure so
  // far: the replay), and the fifth locks.
  int status = 0;
  for (int i = 0; i < 4; ++i)
    status = login(f, "root", password, "12345" + std::to_string(i)).status;
  CHECK(status == 423);
  auto later = security::totp_code(secret, now_s() - 30);
  CHECK(login(f, "root", password, later).status == 423);
}

TEST_CASE("an API key is shown once, stored as a hash, does no more than "
          "its role, and stops at revocation and expiry",
          "[http][auth][api_keys]") {
  server_fixture f;
  auto viewer_key = test::make_api_key(f.http->accounts(), "viewer");
  auto key = httplib::Headers{{"X-API-Key", viewer_key}};
  CHECK(call(f, "GET", "/api/v1/executions", key).status == 200);
  auto refused = call(f, "POST", "/api/v1/workflows/x/execute", key, "{}");
  CHECK(refused.status == 403);
  CHECK(refused.body["details"]["needs"] == "run_execution");
  // A viewer cannot mint an operator key; it can mint a viewer key.
  CHECK(call(f, "POST", "/api/v1/api-keys", key, R"({"role": "operator"})")
            .status == 403);
  auto made = call(f, "POST", "/api/v1/api-keys", key,
                   R"({"name": "ci", "role": "viewer"})");
  REQUIRE(made.status == 201);
  std::string minted = made.body["key"];
  auto listed = call(f, "GET", "/api/v1/api-keys", key);
  CHECK(listed.body.dump().find(minted) == std::string::npos);
  CHECK(listed.body["api_keys"].size() == 2); // the viewer's own
  // As a bearer token too (for scrapers).
  CHECK(call(f, "GET", "/metrics", bearer(minted)).status == 200);
  auto revoked =
      call(f, "DELETE",
           "/api/v1/api-keys/" + made.body["id"].get<std::string>(), key);
  CHECK(revoked.status == 200);
  CHECK(call(f, "GET", "/api/v1/auth/me", {{"X-API-Key", minted}}).status ==
        401);
  // A tampered key (same prefix, other secret) is refused.
  auto tampered = viewer_key;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  CHECK(call(f, "GET", "/api/v1/auth/me", {{"X-API-Key", tampered}}).status ==
        401);
  // Expiry.
  auto soon =
      call(f, "POST", "/api/v1/api-keys", key,
           json{{"expires_at_ms", persistence::now_ms() + 1500}}.dump());
  REQUIRE(soon.status == 201);
  httplib::Headers expiring{{"X-API-Key", soon.body["key"]}};
  CHECK(call(f, "GET", "/api/v1/auth/me", expiring).status == 200);
  CHECK(test::wait_until(
      [&] { return call(f, "GET", "/api/v1/auth/me", expiring).status == 401; },
      std::chrono::seconds{10}));
}

TEST_CASE("the first admin is made once with the setup secret, only while "
          "the store has no user",
          "[http][auth]") {
  test::temp_dir dir;
  auto options = test::test_options(dir);
  auto n = test::start_node(std::move(options));
  admin::http_server http{*n};
  auto port = http.start("127.0.0.1", 0);
  REQUIRE(port);
  auto secret = http.setup_secret();
  REQUIRE(secret.size() >= 32);
  httplib::Client c{"127.0.0.1", *port};
  auto body = [&](const std::string& s) {
    return json{
        {"setup_secret", s}, {"username", "ada"}, {"password", password}}
        .dump();
  };
  CHECK(
      c.Post("/api/v1/auth/setup", body("wrong"), "application/json")->status ==
      403);
  auto made = c.Post("/api/v1/auth/setup", body(secret), "application/json");
  REQUIRE(made);
  CHECK(made->status == 201);
  CHECK(json::parse(made->body)["role"] == "admin");
  CHECK(http.setup_secret().empty());
  CHECK(
      c.Post("/api/v1/auth/setup", body(secret), "application/json")->status ==
      403);
  // A node started on an empty store whose users came later refuses its
  // secret as well.
  server_fixture g;
  auto stale = g.http->setup_secret();
  REQUIRE_FALSE(stale.empty()); // made before the fixture's users
  CHECK(call(g, "POST", "/api/v1/auth/setup", {}, body(stale)).status == 403);
}

TEST_CASE("a person's ratings of one result count once for routing: "
          "another person's counts again",
          "[http][auth][feedback]") {
  server_fixture f;
  auto started = f.post("/api/v1/workflows/Build%20New%20Feature/execute",
                        R"({"input": {"feature": "f"}})", 202);
  std::string id = started["execution_id"];
  json done;
  REQUIRE(test::wait_until(
      [&] {
        done = f.get("/api/v1/executions/" + id, 200);
        return done["state"] == "completed";
      },
      std::chrono::seconds{20}));
  std::string result = done["steps"][0]["result_id"];
  std::string agent = done["steps"][0]["agent_id"];
  auto evidence = [&] {
    double sum = 0;
    auto quality = f.get("/api/v1/agents/quality", 200);
    for (const auto& x : quality["learned"])
      if (x["agent"] == agent)
        sum += x["successes"].get<double>() + x["failures"].get<double>();
    return sum;
  };
  add_user(f, "ada", "operator");
  add_user(f, "bob", "operator");
  auto ada = bearer(login(f, "ada", password).body["access_token"]);
  auto bob = bearer(login(f, "bob", password).body["access_token"]);
  auto path = "/api/v1/results/" + result + "/rating";
  double before = evidence();
  CHECK(call(f, "POST", path, ada, R"({"score": 0.0})").status == 200);
  REQUIRE(test::wait_until([&] { return evidence() != before; }));
  double once = evidence();
  // Learning decays what it knew and adds the new rating: once = d *
  // before + 1.
  double decay = (once - 1) / before;
  for (int i = 0; i < 20; ++i)
    CHECK(call(f, "POST", path, ada, R"({"score": 0.0})").status == 200);
  // Bob's rating is sent after Ada's 20: once it has been learned, so
  // would theirs have been.
  CHECK(call(f, "POST", path, bob, R"({"score": 0.0})").status == 200);
  REQUIRE(test::wait_until([&] { return evidence() != once; }));
  CHECK(evidence() == Approx(decay * once + 1));
}

TEST_CASE("the admin API refuses a non-loopback address without TLS, and "
          "warns when a proxy is said to terminate it",
          "[http][auth][transport]") {
  test::temp_dir dir;
  auto n = test::start_node(test::test_options(dir));
  admin::http_server plain{*n};
  auto refused = plain.start("0.0.0.0", 0);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.errors()[0].to_string(), Catch::Contains("without TLS"));
  CHECK_THAT(refused.errors()[0].to_string(),
             Catch::Contains("http.tls_terminated_by_proxy"));
  config::http_limits behind_proxy;
  behind_proxy.tls_terminated_by_proxy = true;
  admin::http_server proxied{*n, behind_proxy};
  CHECK(proxied.start("0.0.0.0", 0));
  admin::http_server loopback{*n};
  CHECK(loopback.start("127.0.0.1", 0));
}
