// The audit log over real HTTP: every mutation is recorded with who, from
// where and which request before it runs; a mutation whose record cannot
// be written is refused; admins read and verify the chain.

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include "persistence/open_store.hpp"
#include "tests/support/http_fixture.hpp"
#include "tests/support/store_reads.hpp"

using namespace hishamos;
using nlohmann::json;
using test::server_fixture;

namespace {

const char* execute_path = "/api/v1/workflows/Build%20New%20Feature/execute";

void sql(const test::temp_dir& dir, const std::string& text) {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open((dir / "store.db").c_str(), &raw) == SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(raw, text.c_str(), nullptr, nullptr, &error);
  INFO((error ? error : ""));
  sqlite3_free(error);
  sqlite3_close(raw);
  REQUIRE(rc == SQLITE_OK);
}

} // namespace

TEST_CASE("a mutation is audited before it runs, with the user, the key, "
          "the client address and the request id",
          "[http][audit]") {
  server_fixture f;
  auto c = f.new_client();
  auto res = c->Post(execute_path, {{"X-Request-Id", "req-audit-1"}},
                     R"({"input": {"feature": "a"}})", "application/json");
  REQUIRE(res);
  CHECK(res->status == 202);
  auto page = f.get("/api/v1/audit?action=request.POST", 200);
  REQUIRE(page["total"] == 1);
  const auto& e = page["events"][0];
  CHECK(e["details"]["request_id"] == "req-audit-1");
  CHECK(e["details"]["client"] == "127.0.0.1");
  CHECK(e["details"]["username"] == "test-admin");
  CHECK(e["details"]["route"] == "/api/v1/workflows/{name}/execute");
  CHECK(e["details"]["path"] == "/api/v1/workflows/Build New Feature/execute");
  CHECK_FALSE(e["details"]["api_key_id"].get<std::string>().empty());
  CHECK_FALSE(e["user_id"].get<std::string>().empty());
  auto verdict = f.get("/api/v1/audit/verify", 200);
  CHECK(verdict["ok"] == true);
  CHECK(verdict["rows"].get<int>() >= 1);
}

TEST_CASE("a mutation whose audit record cannot be written is refused and "
          "does not happen",
          "[http][audit]") {
  server_fixture f;
  sql(f.dir, "CREATE TRIGGER no_audit BEFORE INSERT ON audit_logs BEGIN "
             "SELECT RAISE(FAIL, 'audit log unwritable'); END;");
  auto before = f.get("/api/v1/executions", 200)["total"].get<int>();
  auto refused = f.post(execute_path, R"({"input": {"feature": "a"}})", 503);
  CHECK(refused["error"] == "audit_unavailable");
  CHECK(f.get("/api/v1/executions", 200)["total"] == before);
  // Reads go on; once the log is writable, mutations do too.
  sql(f.dir, "DROP TRIGGER no_audit;");
  f.post(execute_path, R"({"input": {"feature": "a"}})", 202);
}

TEST_CASE("an edited audit row is found by the API's verification and by "
          "`hishamos audit verify`'s store check",
          "[http][audit]") {
  server_fixture f;
  for (int i = 0; i < 3; ++i)
    f.post(execute_path, R"({"input": {"feature": "a"}})", 202);
  CHECK(f.get("/api/v1/audit/verify", 200)["ok"] == true);
  auto first = f.get("/api/v1/audit?action=request.POST&limit=100", 200);
  auto id = first["events"][1]["id"].get<std::int64_t>();
  sql(f.dir, "UPDATE audit_logs SET user_id = 'someone-else' WHERE id = " +
                 std::to_string(id));
  auto verdict = f.get("/api/v1/audit/verify", 200);
  CHECK(verdict["ok"] == false);
  CHECK(verdict["first_bad_id"] == id);
  CHECK_THAT(verdict["problem"].get<std::string>(),
             Catch::Contains("was edited"));
  // Only admins read the log.
  auto viewer = f.anonymous_client();
  viewer->set_default_headers(
      {{"X-API-Key", test::make_api_key(f.http->accounts(), "operator")}});
  CHECK(viewer->Get("/api/v1/audit")->status == 403);
}
