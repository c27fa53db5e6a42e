#include "security/tokens.hpp"

#include <memory>

#include <jwt.h>
#include <nlohmann/json.hpp>

#include "security/crypto.hpp"

namespace hishamos::security {

namespace {

struct jwt_deleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;

const unsigned char* key_bytes(const signing_key& k) {
  return reinterpret_cast<const unsigned char*>(k.secret.data());
}

std::string grant(jwt_t* j, const char* name) {
  const char* v = jwt_get_grant(j, name);
  return v ? v : "";
}

// The token's header, decoded without trusting it: only to refuse any
// algorithm but HS256 and to find the key.
std::optional<nlohmann::json> header_of(const std::string& token) {
  auto dot = token.find('.');
  if (dot == std::string::npos)
    return std::nullopt;
  auto raw = base64url_decode(token.substr(0, dot));
  if (!raw)
    return std::nullopt;
  auto j = nlohmann::json::parse(*raw, nullptr, false);
  if (!j.is_object())
    return std::nullopt;
  return j;
}

} // namespace

std::string issue_access_token(const signing_key& key, const token_settings& s,
                               access_claims c, std::int64_t now_s) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0)
    throw std::runtime_error("jwt_new failed");
  jwt_ptr j{raw};
  c.jti = random_token(16);
  c.issued_at_s = now_s;
  c.expires_at_s = now_s + s.access_ttl_s;
  jwt_add_grant(j.get(), "iss", s.issuer.c_str());
  jwt_add_grant(j.get(), "aud", s.audience.c_str());
  jwt_add_grant(j.get(), "sub", c.user_id.c_str());
  jwt_add_grant(j.get(), "name", c.username.c_str());
  jwt_add_grant(j.get(), "role", c.role.c_str());
  jwt_add_grant(j.get(), "sid", c.session.c_str());
  jwt_add_grant(j.get(), "jti", c.jti.c_str());
  jwt_add_grant_int(j.get(), "iat", static_cast<long>(c.issued_at_s));
  jwt_add_grant_int(j.get(), "exp", static_cast<long>(c.expires_at_s));
  if (c.must_enrol_totp)
    jwt_add_grant_bool(j.get(), "enrol_2fa", 1);
  jwt_add_header(j.get(), "kid", key.kid.c_str());
  jwt_set_alg(j.get(), JWT_ALG_HS256, key_bytes(key),
              static_cast<int>(key.secret.size()));
  char* text = jwt_encode_str(j.get());
  if (!text)
    throw std::runtime_error("jwt_encode_str failed");
  std::string out{text};
  free(text);
  return out;
}

verified_token verify_access_token(const std::string& token,
                                   const std::vector<signing_key>& keys,
                                   const token_settings& s,
                                   std::int64_t now_s) {
  auto fail = [](std::string why) {
    return verified_token{{}, std::move(why)};
  };
  if (token.size() > 4096)
    return fail("the token is longer than 4096 characters");
  auto header = header_of(token);
  if (!header)
    return fail("the token is not a JWT");
  if (header->value("alg", "") != "HS256")
    return fail("the token's algorithm is not HS256");
  auto kid = header->value("kid", "");
  const signing_key* key = nullptr;
  for (const auto& k : keys)
    key = k.kid == kid ? &k : key;
  if (!key)
    return fail("the token's signing key is unknown");
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, token.c_str(), key_bytes(*key),
                 static_cast<int>(key->secret.size())) != 0 ||
      !raw)
    return fail("the token's signature does not verify");
  jwt_ptr j{raw};
  if (jwt_get_alg(j.get()) != JWT_ALG_HS256)
    return fail("the token's algorithm is not HS256");
  if (grant(j.get(), "iss") != s.issuer)
    return fail("the token's issuer is not " + s.issuer);
  if (grant(j.get(), "aud") != s.audience)
    return fail("the token's audience is not " + s.audience);
  access_claims c{grant(j.get(), "sub"),
                  grant(j.get(), "name"),
                  grant(j.get(), "role"),
                  grant(j.get(), "sid"),
                  grant(j.get(), "jti"),
                  jwt_get_grant_int(j.get(), "iat"),
                  jwt_get_grant_int(j.get(), "exp"),
                  jwt_get_grant_bool(j.get(), "enrol_2fa") == 1};
  if (c.user_id.empty() || c.role.empty() || c.session.empty() ||
      c.jti.empty() || c.issued_at_s <= 0 || c.expires_at_s <= 0)
    return fail("the token lacks a required claim");
  if (now_s >= c.expires_at_s)
    return fail("the token has expired");
  if (c.issued_at_s > now_s + s.leeway_s)
    return fail("the token was issued in the future");
  return {std::move(c), {}};
}

} // namespace hishamos::security
