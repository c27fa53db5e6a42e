// The store conformance suite, continued: the audit log's hash chain on
// every backend. An edited, inserted or deleted row is found and named.

#include "tests/persistence/conformance.hpp"

#include <nlohmann/json.hpp>

using namespace conformance;

namespace {

void append(store& db, int n, const std::string& who = "u1") {
  record_batch b;
  for (int i = 0; i < n; ++i)
    b.audit_events.push_back(
        {who, "execution.start",
         nlohmann::json{{"execution_id", "e" + std::to_string(i)},
                        {"score", 0.25}}
             .dump(),
         1000 + i});
  REQUIRE(db.append_records(b));
}

audit_check verify(store& db) {
  status st;
  auto check = verify_audit_chain(db, st);
  INFO(st.message);
  REQUIRE(st);
  return check;
}

} // namespace

TEST_CASE("audit rows form a hash chain that verifies, written in batches "
          "and one by one",
          ROLE("audit")) {
  fresh_store fresh;
  auto db = fresh.open();
  CHECK(verify(*db).ok); // empty
  append(*db, 3);
  append(*db, 1);
  append(*db, 4, "u2");
  auto check = verify(*db);
  CHECK(check.ok);
  CHECK(check.rows == 8);
  auto rows = db->audit_rows(0, 100).value;
  REQUIRE(rows.size() == 8);
  CHECK(rows[0].prev_hash.empty());
  for (size_t i = 1; i < rows.size(); ++i) {
    CHECK(rows[i].id == rows[i - 1].id + 1);
    CHECK(rows[i].prev_hash == rows[i - 1].hash);
  }
  auto head = db->audit_chain_head().value;
  CHECK(head.last_id == rows.back().id);
  CHECK(head.last_hash == rows.back().hash);
}

TEST_CASE("the audit log is read filtered by user, action and time, newest "
          "first, in pages",
          ROLE("audit")) {
  fresh_store fresh;
  auto db = fresh.open();
  append(*db, 3, "u1");
  append(*db, 2, "u2");
  audit_query q;
  q.user_id = "u1";
  auto page = db->list_audit(q).value;
  CHECK(page.total == 3);
  REQUIRE(page.rows.size() == 3);
  CHECK(page.rows[0].id > page.rows[1].id);
  q = {};
  q.limit = 2;
  q.page = 2;
  CHECK(db->list_audit(q).value.rows.size() == 2);
  CHECK(db->list_audit(q).value.total == 5);
  q = {};
  q.from_ms = 1001;
  q.to_ms = 1002;
  CHECK(db->list_audit(q).value.total == 2); // one of each user at 1001
  q = {};
  q.action = "user.create";
  CHECK(db->list_audit(q).value.total == 0);
}

TEST_CASE("an edited, inserted or deleted audit row, or rows cut from the "
          "end, break the chain at the row named",
          ROLE("audit")) {
  fresh_store fresh;
  auto db = fresh.open();
  append(*db, 6);
  auto rows = db->audit_rows(0, 100).value;
  REQUIRE(rows.size() == 6);
  auto third = std::to_string(rows[2].id);
  SECTION("edited") {
    fresh.exec("UPDATE audit_logs SET user_id = 'mallory' WHERE id = " + third);
    auto check = verify(*db);
    CHECK_FALSE(check.ok);
    CHECK(check.first_bad_id == rows[2].id);
    CHECK_THAT(check.problem, Catch::Contains("was edited"));
  }
  SECTION("details edited") {
    fresh.exec("UPDATE audit_logs SET action = 'execution.cancel' WHERE id = " +
               third);
    CHECK(verify(*db).first_bad_id == rows[2].id);
  }
  SECTION("deleted") {
    fresh.exec("DELETE FROM audit_logs WHERE id = " + third);
    auto check = verify(*db);
    CHECK_FALSE(check.ok);
    CHECK(check.first_bad_id == rows[3].id);
    CHECK_THAT(check.problem, Catch::Contains("deleted"));
  }
  SECTION("inserted, with a forged hash that continues nothing") {
    fresh.exec("UPDATE audit_logs SET id = id + 100 WHERE id > " + third);
    fresh.exec("INSERT INTO audit_logs (id, user_id, action, details, "
               "created_at, prev_hash, hash) SELECT id + 1, 'mallory', "
               "'user.create', details, created_at, hash, hash FROM "
               "audit_logs WHERE id = " +
               third);
    auto check = verify(*db);
    CHECK_FALSE(check.ok);
    CHECK(check.first_bad_id == rows[2].id + 1);
  }
  SECTION("the newest rows deleted") {
    fresh.exec("DELETE FROM audit_logs WHERE id >= " +
               std::to_string(rows[4].id));
    auto check = verify(*db);
    CHECK_FALSE(check.ok);
    CHECK_THAT(check.problem, Catch::Contains("newest rows were deleted"));
  }
}
