// Known passwords, tokens and keys are planted through the API, then
// everything else is searched for them: every other answer, every log
// line, the metrics and the store's files.

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "persistence/open_store.hpp"
#include "security/totp.hpp"
#include "tests/support/http_fixture.hpp"

using namespace hishamos;
using nlohmann::json;
using test::server_fixture;

namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace

TEST_CASE("no password, token or API key appears in any other answer, log "
          "line, metric or store file",
          "[http][auth][secrets]") {
  std::ostringstream logs;
  auto previous = spdlog::default_logger();
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(logs);
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  spdlog::set_level(spdlog::level::debug);
  struct restore {
    std::shared_ptr<spdlog::logger> l;
    ~restore() { spdlog::set_default_logger(l); }
  } restore_logger{previous};

  server_fixture f;
  const std::string password = "planted-Password-4711";
  const std::string wrong = "planted-Wrong-0815";
  f.post("/api/v1/users",
         json{{"username", "ada"}, {"password", password}, {"role", "operator"}}
             .dump(),
         201);
  auto anonymous = f.anonymous_client();
  auto login = [&](const std::string& pass) {
    return anonymous->Post("/api/v1/auth/login",
                           json{{"username", "ada"}, {"password", pass}}.dump(),
                           "application/json");
  };
  CHECK(login(wrong)->status == 401);
  auto in = login(password);
  REQUIRE(in->status == 200);
  auto session = json::parse(in->body);
  std::string access = session["access_token"],
              refresh = session["refresh_token"];
  auto key = f.post("/api/v1/api-keys",
                    R"({"name": "planted", "role": "viewer"})", 201)["key"]
                 .get<std::string>();
  // Used, refreshed, misused.
  anonymous->set_default_headers({{"X-API-Key", key}});
  CHECK(anonymous->Get("/api/v1/executions")->status == 200);
  anonymous->set_default_headers({{"Authorization", "Bearer " + access + "x"}});
  CHECK(anonymous->Get("/api/v1/executions")->status == 401);
  anonymous->set_default_headers({});
  CHECK(anonymous
            ->Post("/api/v1/auth/refresh",
                   json{{"refresh_token", refresh}}.dump(), "application/json")
            ->status == 200);

  // hsk_<12-character prefix>_<secret>: both are base64url, which has '_'
  // too, so the secret is found by its place, not by the last '_' (that
  // gave a tail of a few characters now and then, found anywhere).
  REQUIRE(key.rfind("hsk_", 0) == 0);
  auto secret = key.substr(4 + 12 + 1);
  REQUIRE(secret.size() >= 40);
  const std::vector<std::pair<std::string, std::string>> planted{
      {"password", password},   {"wrong password", wrong},
      {"access token", access}, {"refresh token", refresh},
      {"API key", key},         {"API key's secret part", secret}};
  std::vector<std::pair<std::string, std::string>> places;
  for (const char* path :
       {"/api/v1/users", "/api/v1/api-keys", "/api/v1/audit?limit=100",
        "/api/v1/audit?limit=100&page=2", "/api/v1/auth/me", "/metrics"})
    places.emplace_back(path, f.client->Get(path)->body);
  f.http->stop(); // flushes nothing secret either
  spdlog::default_logger()->flush();
  places.emplace_back("the log", logs.str());
  for (const char* file : {"store.db", "store.db-wal"})
    places.emplace_back(file, file_bytes(f.dir / file));
  CHECK(places.back().second.size() + places[places.size() - 2].second.size() >
        0);
  for (const auto& [where, text] : places)
    for (const auto& [what, value] : planted) {
      INFO(what << " in " << where);
      CHECK(text.find(value) == std::string::npos);
    }
}

TEST_CASE("with a key-encryption key, TOTP seeds and token-signing keys are "
          "stored encrypted, and sign-in with 2FA still works",
          "[http][auth][secrets][totp]") {
  // 32 bytes, base64url.
  ::setenv("HISHAMOS_KEK",
           "kek-test:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE", 1);
  struct unset {
    ~unset() { ::unsetenv("HISHAMOS_KEK"); }
  } restore_env;
  server_fixture f;
  const std::string password = "planted-Password-4711";
  f.post("/api/v1/users",
         json{{"username", "root"}, {"password", password}, {"role", "admin"}}
             .dump(),
         201);
  auto anonymous = f.anonymous_client();
  auto login = [&](const std::string& code) {
    json body{{"username", "root"}, {"password", password}};
    if (!code.empty())
      body["totp"] = code;
    auto res =
        anonymous->Post("/api/v1/auth/login", body.dump(), "application/json");
    REQUIRE(res);
    return std::pair{res->status, json::parse(res->body)};
  };
  auto [status, first] = login("");
  REQUIRE(status == 200);
  httplib::Headers token{
      {"Authorization", "Bearer " + first["access_token"].get<std::string>()}};
  auto enrol =
      anonymous->Post("/api/v1/auth/totp/enrol", token, "", "application/json");
  REQUIRE(enrol);
  REQUIRE(enrol->status == 200);
  std::string seed = json::parse(enrol->body)["secret"];
  auto now = persistence::now_ms() / 1000;
  auto confirm =
      anonymous->Post("/api/v1/auth/totp/confirm", token,
                      json{{"code", security::totp_code(seed, now)}}.dump(),
                      "application/json");
  REQUIRE(confirm);
  REQUIRE(confirm->status == 200);
  auto [again, second] = login(security::totp_code(seed, now + 30));
  CHECK(again == 200);
  auto store = persistence::open_store("sqlite:" + (f.dir / "store.db"));
  REQUIRE(store);
  auto user = store.value->find_user("root").value;
  REQUIRE(user);
  CHECK(user->totp_secret.rfind("enc1:kek-test.", 0) == 0);
  for (const auto& k : store.value->signing_keys().value)
    CHECK(k.secret.rfind("enc1:kek-test.", 0) == 0);
  f.http->stop();
  for (const char* file : {"store.db", "store.db-wal"})
    CHECK(file_bytes(f.dir / file).find(seed) == std::string::npos);
}
