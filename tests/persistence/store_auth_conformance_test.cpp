// The store conformance suite, continued: the identities role (users, API
// keys, refresh tokens, signing keys, per-person ratings), on every
// backend.

#include "tests/persistence/conformance.hpp"

using namespace conformance;

namespace {

user_row person(const std::string& id, const std::string& name) {
  user_row u;
  u.id = id;
  u.username = name;
  u.password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
  u.role = "operator";
  u.created_at_ms = 1000;
  return u;
}

} // namespace

TEST_CASE("users are unique by name, found by name and id, and updated "
          "whole",
          ROLE("auth")) {
  fresh_store fresh;
  auto db = fresh.open();
  REQUIRE(db->create_user(person("u1", "ada")));
  CHECK(db->create_user(person("u2", "ada")).code == errc::conflict);
  CHECK(db->count_users().value == 1);
  auto found = db->find_user("ada");
  REQUIRE(found.value);
  CHECK(found.value->id == "u1");
  CHECK(found.value->role == "operator");
  CHECK_FALSE(found.value->disabled);
  auto u = *found.value;
  u.role = "admin";
  u.disabled = true;
  u.totp_secret = "JBSWY3DPEHPK3PXP";
  u.totp_confirmed = true;
  REQUIRE(db->update_user(u));
  auto again = db->find_user_by_id("u1").value;
  REQUIRE(again);
  CHECK(again->role == "admin");
  CHECK(again->disabled);
  CHECK(again->totp_secret == "JBSWY3DPEHPK3PXP");
  CHECK(again->totp_confirmed);
  CHECK(db->update_user(person("nobody", "x")).code == errc::not_found);
  CHECK_FALSE(db->find_user("nobody").value);
  CHECK(db->list_users().value.size() == 1);
}

TEST_CASE("a TOTP step is accepted once and only when later than the last",
          ROLE("auth")) {
  fresh_store fresh;
  auto db = fresh.open();
  REQUIRE(db->create_user(person("u1", "ada")));
  CHECK(db->use_totp_step("u1", 100).value);
  CHECK_FALSE(db->use_totp_step("u1", 100).value); // replayed
  CHECK_FALSE(db->use_totp_step("u1", 99).value);  // older
  CHECK(db->use_totp_step("u1", 101).value);
}

TEST_CASE("failed sign-ins count up to a lockout, which starts the count "
          "again",
          ROLE("auth")) {
  fresh_store fresh;
  auto db = fresh.open();
  REQUIRE(db->create_user(person("u1", "ada")));
  for (int i = 1; i < 5; ++i)
    CHECK(db->count_login_failure("u1", 5, 9999).value == i);
  CHECK(db->find_user("ada").value->locked_until_ms == 0);
  CHECK(db->count_login_failure("u1", 5, 9999).value == 0);
  CHECK(db->find_user("ada").value->locked_until_ms == 9999);
  CHECK(db->count_login_failure("nobody", 5, 1).st.code == errc::not_found);
}

TEST_CASE("API keys are found by prefix, noted when used and revoked once",
          ROLE("auth")) {
  fresh_store fresh;
  auto db = fresh.open();
  api_key_row k{"k1", "prefix123456", "hash", "u1", "ci", "viewer", 10, 0};
  REQUIRE(db->create_api_key(k));
  CHECK(db->create_api_key(k).code == errc::conflict);
  auto found = db->find_api_key("prefix123456").value;
  REQUIRE(found);
  CHECK(found->key_hash == "hash");
  CHECK(found->role == "viewer");
  REQUIRE(db->touch_api_key("k1", 77));
  CHECK(db->find_api_key("prefix123456").value->last_used_ms == 77);
  api_key_row other{"k2", "prefix999999", "h2", "u2", "", "admin", 20, 0};
  REQUIRE(db->create_api_key(other));
  CHECK(db->list_api_keys("").value.size() == 2);
  auto mine = db->list_api_keys("u1").value;
  REQUIRE(mine.size() == 1);
  CHECK(mine[0].id == "k1");
  CHECK(db->revoke_api_key("k1", 88).value);
  CHECK_FALSE(db->revoke_api_key("k1", 99).value);
  CHECK(db->find_api_key("prefix123456").value->revoked_at_ms == 88);
}

TEST_CASE("a refresh token is consumed once — a family and a user's sessions "
          "are revoked",
          ROLE("auth")) {
  fresh_store fresh;
  auto db = fresh.open();
  REQUIRE(db->create_refresh_token({"t1", "fam", "u1", 1, 5000}));
  REQUIRE(db->create_refresh_token({"t2", "fam", "u1", 2, 5000}));
  REQUIRE(db->create_refresh_token({"t3", "other", "u1", 3, 5000}));
  auto first = db->consume_refresh_token("t1", 10).value;
  REQUIRE(first);
  CHECK(first->used_at_ms == 0); // fresh when consumed
  CHECK(first->family == "fam");
  auto second = db->consume_refresh_token("t1", 11).value;
  REQUIRE(second);
  CHECK(second->used_at_ms == 10); // the reuse shows
  CHECK_FALSE(db->consume_refresh_token("unknown", 12).value);
  CHECK_FALSE(db->session_revoked("fam").value);
  REQUIRE(db->revoke_refresh_family("fam", 20));
  CHECK(db->session_revoked("fam").value);
  CHECK(db->consume_refresh_token("t2", 21).value->revoked_at_ms == 20);
  CHECK_FALSE(db->session_revoked("other").value);
  REQUIRE(db->revoke_user_sessions("u1", 30));
  CHECK(db->session_revoked("other").value);
}

TEST_CASE("signing keys are kept oldest first and added once", ROLE("auth")) {
  fresh_store fresh;
  auto db = fresh.open();
  CHECK(db->signing_keys().value.empty());
  REQUIRE(db->add_signing_key({"b", "s2", 20}));
  REQUIRE(db->add_signing_key({"a", "s1", 10}));
  REQUIRE(db->add_signing_key({"a", "other", 30})); // known kid: kept
  auto keys = db->signing_keys().value;
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].kid == "a");
  CHECK(keys[0].secret == "s1");
  CHECK(keys[1].kid == "b");
}

TEST_CASE("a person's second rating of a result replaces the first",
          ROLE("auth")) {
  fresh_store fresh;
  auto db = fresh.open();
  CHECK(db->record_rating("e1", "s1", "u1", 0.2).value);
  CHECK_FALSE(db->record_rating("e1", "s1", "u1", 0.9).value);
  CHECK(db->record_rating("e1", "s1", "u2", 0.5).value);
  CHECK(db->record_rating("e1", "s2", "u1", 0.5).value);
}

TEST_CASE("secrets are stored by name and replaced whole", ROLE("auth")) {
  fresh_store fresh;
  auto db = fresh.open();
  REQUIRE(db->put_secret({"openai", "kek-1", "wrapped", "sealed", 10}));
  REQUIRE(db->put_secret({"anthropic", "kek-1", "w2", "s2", 11}));
  REQUIRE(db->put_secret({"openai", "kek-2", "wrapped2", "sealed2", 12}));
  auto rows = db->secrets().value;
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].name == "anthropic");
  CHECK(rows[1].name == "openai");
  CHECK(rows[1].kek_id == "kek-2");
  CHECK(rows[1].wrapped_key == "wrapped2");
  CHECK(rows[1].ciphertext == "sealed2");
  CHECK(rows[1].updated_at_ms == 12);
}
