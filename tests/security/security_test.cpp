// The security module's primitives: argon2id password hashes, access
// tokens and the attacks on them, TOTP against RFC 6238's vectors, and
// what each role may do.

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "security/crypto.hpp"
#include "security/passwords.hpp"
#include "security/permissions.hpp"
#include "security/secret_box.hpp"
#include "security/tokens.hpp"
#include "security/totp.hpp"

using namespace hishamos::security;
using nlohmann::json;

namespace {

const signing_key key{"k1", std::string(32, 'a')};
const token_settings settings{};
constexpr std::int64_t now = 1'800'000'000;

access_claims claims() { return {"u-1", "ada", "operator", "session-1"}; }

std::string hs256(const std::string& secret, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
       &len);
  return base64url_encode(std::string(reinterpret_cast<char*>(mac), len));
}

// A token put together by hand: any header, any payload, signed with
// `secret` by HMAC-SHA256 ("" = no signature).
std::string forged(const json& header, const json& payload,
                   const std::string& secret) {
  auto head =
      base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
  return head + "." + (secret.empty() ? "" : hs256(secret, head));
}

json payload_of(const std::string& token) {
  auto a = token.find('.');
  auto b = token.find('.', a + 1);
  return json::parse(*base64url_decode(token.substr(a + 1, b - a - 1)));
}

std::string problem(const std::string& token) {
  auto v = verify_access_token(token, {key}, settings, now);
  CHECK_FALSE(v.claims);
  return v.problem;
}

} // namespace

TEST_CASE("passwords are hashed with argon2id at m=19456, t=2, p=1 and a "
          "fresh salt, and verify only with the right password",
          "[unit][security]") {
  auto h = hash_password("correct horse battery");
  CHECK(h.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0) == 0);
  CHECK(h.find("correct") == std::string::npos);
  CHECK(verify_password("correct horse battery", h));
  CHECK_FALSE(verify_password("correct horse batterx", h));
  CHECK_FALSE(verify_password("correct horse battery", "plain text"));
  CHECK(hash_password("correct horse battery") != h); // salted
  CHECK_FALSE(password_problem("short").empty());
  CHECK(password_problem("twelve chars").empty());
  CHECK_FALSE(password_problem(std::string(257, 'x')).empty());
}

TEST_CASE("an access token verifies with its claims and the key it names, "
          "also after the key is rotated",
          "[unit][security]") {
  auto token = issue_access_token(key, settings, claims(), now);
  auto v = verify_access_token(token, {key}, settings, now + 10);
  REQUIRE(v.claims);
  CHECK(v.claims->user_id == "u-1");
  CHECK(v.claims->role == "operator");
  CHECK(v.claims->session == "session-1");
  CHECK(v.claims->expires_at_s == now + 900);
  CHECK_FALSE(v.claims->jti.empty());
  auto p = payload_of(token);
  for (const char* claim : {"iss", "aud", "exp", "iat", "jti", "sub"})
    CHECK(p.contains(claim));
  signing_key next{"k2", std::string(32, 'b')};
  CHECK(verify_access_token(token, {key, next}, settings, now).claims);
  auto newer = issue_access_token(next, settings, claims(), now);
  CHECK(verify_access_token(newer, {key, next}, settings, now).claims);
  CHECK_FALSE(verify_access_token(newer, {key}, settings, now).claims);
  CHECK(issue_access_token(key, settings, claims(), now) != token); // jti
}

TEST_CASE("forged, altered, expired and misaddressed tokens are refused",
          "[unit][security]") {
  auto good = issue_access_token(key, settings, claims(), now);
  auto payload = payload_of(good);
  SECTION("alg none") {
    CHECK(problem(forged({{"alg", "none"}, {"kid", "k1"}}, payload, "")) ==
          "the token's algorithm is not HS256");
  }
  SECTION("signed with another key under the same kid") {
    auto t = forged({{"alg", "HS256"}, {"kid", "k1"}, {"typ", "JWT"}}, payload,
                    std::string(32, 'z'));
    CHECK(problem(t) == "the token's signature does not verify");
  }
  SECTION("HS/RS confusion: an RS256 header signed with the shared key") {
    auto t = forged({{"alg", "RS256"}, {"kid", "k1"}}, payload, key.secret);
    CHECK(problem(t) == "the token's algorithm is not HS256");
  }
  SECTION("HS512 is not HS256 either") {
    auto t = forged({{"alg", "HS512"}, {"kid", "k1"}}, payload, key.secret);
    CHECK(problem(t) == "the token's algorithm is not HS256");
  }
  SECTION("an unknown kid") {
    auto t = forged({{"alg", "HS256"}, {"kid", "k9"}}, payload, key.secret);
    CHECK(problem(t) == "the token's signing key is unknown");
  }
  SECTION("a payload changed after signing (role raised)") {
    auto dot = good.find('.');
    auto sig = good.substr(good.rfind('.'));
    auto raised = payload;
    raised["role"] = "admin";
    auto t = good.substr(0, dot) + "." + base64url_encode(raised.dump()) + sig;
    CHECK(problem(t) == "the token's signature does not verify");
  }
  SECTION("a wrong audience or issuer, properly signed") {
    auto aud = payload;
    aud["aud"] = "another-api";
    CHECK(problem(forged({{"alg", "HS256"}, {"kid", "k1"}}, aud, key.secret)) ==
          "the token's audience is not hishamos-api");
    auto iss = payload;
    iss["iss"] = "someone-else";
    CHECK(problem(forged({{"alg", "HS256"}, {"kid", "k1"}}, iss, key.secret)) ==
          "the token's issuer is not hishamos");
  }
  SECTION("expired") {
    CHECK_FALSE(verify_access_token(good, {key}, settings, now + 900).claims);
    CHECK(verify_access_token(good, {key}, settings, now + 899).claims);
  }
  SECTION("issued in the future") {
    auto later = issue_access_token(key, settings, claims(), now + 3600);
    CHECK(problem(later) == "the token was issued in the future");
  }
  SECTION("missing a claim") {
    auto bare = payload;
    bare.erase("sid");
    CHECK(problem(forged({{"alg", "HS256"}, {"kid", "k1"}}, bare,
                         key.secret)) == "the token lacks a required claim");
  }
  SECTION("not a JWT at all") {
    CHECK(problem("hello") == "the token is not a JWT");
    CHECK(problem(std::string(5000, 'a')) ==
          "the token is longer than 4096 characters");
  }
}

TEST_CASE("TOTP codes follow RFC 6238 and are accepted one step either side",
          "[unit][security]") {
  // RFC 6238 appendix B: the ASCII secret "12345678901234567890".
  const std::string secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
  CHECK(totp_code(secret, 59) == "287082");
  CHECK(totp_code(secret, 1111111109) == "081804");
  CHECK(totp_step_of(secret, "287082", 59) == 1);
  CHECK(totp_step_of(secret, "287082", 89) == 1);     // a step later
  CHECK(totp_step_of(secret, "287082", 30 * 0) == 1); // a step earlier
  CHECK_FALSE(totp_step_of(secret, "287082", 59 + 90));
  CHECK_FALSE(totp_step_of(secret, "287083", 59));
  CHECK_FALSE(totp_step_of(secret, "28708", 59));
  CHECK_FALSE(totp_step_of(secret, "abcdef", 59));
  CHECK_FALSE(totp_step_of("not base32!", "287082", 59));
  auto fresh = new_totp_secret();
  CHECK(fresh.size() == 32);
  CHECK(totp_step_of(fresh, totp_code(fresh, now), now) == now / 30);
  CHECK(otpauth_uri("HishamOS", "ada@x", fresh) ==
        "otpauth://totp/HishamOS:ada%40x?secret=" + fresh +
            "&issuer=HishamOS&algorithm=SHA1&digits=6&period=30");
}

TEST_CASE("each role may do what the design grants it and nothing else — an "
          "undeclared permission is refused to all",
          "[unit][security]") {
  using p = permission;
  const std::vector<std::pair<std::string, std::vector<p>>> grants{
      {"viewer", {p::authenticated, p::read}},
      {"author", {p::authenticated, p::read, p::create_workflow}},
      {"operator",
       {p::authenticated, p::read, p::run_execution, p::approve_budget,
        p::rate_result}},
      {"admin",
       {p::authenticated, p::read, p::run_execution, p::approve_budget,
        p::rate_result, p::create_workflow, p::manage_users, p::read_audit}}};
  const std::vector<p> all{p::authenticated, p::read,
                           p::run_execution, p::approve_budget,
                           p::rate_result,   p::create_workflow,
                           p::manage_users,  p::read_audit};
  for (const auto& [role, granted] : grants)
    for (auto x : all) {
      INFO(role << " " << to_string(x));
      bool expected =
          std::find(granted.begin(), granted.end(), x) != granted.end();
      CHECK(role_permits(role, x) == expected);
    }
  for (const char* role : {"admin", "viewer", "nobody", ""})
    CHECK_FALSE(role_permits(role, p::undeclared));
  CHECK_FALSE(role_permits("superuser", p::read));
  CHECK(role_covers("admin", "operator"));
  CHECK(role_covers("operator", "viewer"));
  CHECK_FALSE(role_covers("operator", "author"));
  CHECK_FALSE(role_covers("viewer", "admin"));
}

TEST_CASE("base64url round-trips any bytes and refuses what is not it",
          "[unit][security]") {
  std::string bytes;
  for (int i = 0; i < 256; ++i)
    bytes += static_cast<char>(i);
  for (size_t n : {0, 1, 2, 3, 4, 255, 256})
    CHECK(base64url_decode(base64url_encode(bytes.substr(0, n))) ==
          bytes.substr(0, n));
  CHECK_FALSE(base64url_decode("a+b"));
  CHECK_FALSE(base64url_decode("abcde"));
}

TEST_CASE("a secret sealed with AES-256-GCM opens under its KEK — a tampered "
          "or moved row, or an unknown KEK, is refused naming the secret",
          "[unit][security][secrets]") {
  key_ring ring{{{"kek-1", std::string(32, 'k')}}};
  auto row = seal_secret(ring, "openai", "sk-live-123456");
  CHECK(row.kek_id == "kek-1");
  CHECK(row.ciphertext.find("sk-live") == std::string::npos);
  auto opened = open_secret(ring, row);
  REQUIRE(opened);
  CHECK(*opened == "sk-live-123456");
  CHECK(seal_secret(ring, "openai", "sk-live-123456").ciphertext !=
        row.ciphertext); // fresh data key and nonce

  auto tampered = row;
  tampered.ciphertext[20] = tampered.ciphertext[20] == 'A' ? 'B' : 'A';
  auto bad = open_secret(ring, tampered);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.errors()[0].to_string(),
             Catch::Contains("secret openai") && Catch::Contains("tampered"));
  auto moved = row;
  moved.name = "anthropic";
  CHECK_FALSE(open_secret(ring, moved));
  key_ring other{{{"kek-2", std::string(32, 'o')}}};
  auto unknown = open_secret(other, row);
  REQUIRE_FALSE(unknown);
  CHECK_THAT(unknown.errors()[0].to_string(), Catch::Contains("kek-1"));

  // Rotation: the new KEK first, the old one still in the ring.
  key_ring both{{other.keys[0], ring.keys[0]}};
  auto again = rewrap_secret(both, row);
  REQUIRE(again);
  CHECK(again->kek_id == "kek-2");
  CHECK(again->ciphertext == row.ciphertext);
  auto after = open_secret(other, *again);
  REQUIRE(after);
  CHECK(*after == "sk-live-123456");
}
