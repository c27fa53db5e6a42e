// Signing in, sessions and authentication (accounts.hpp); users, 2FA and
// keys are administered in account_admin.cpp.

#include "security/accounts.hpp"

#include <spdlog/spdlog.h>

#include "security/crypto.hpp"
#include "security/passwords.hpp"
#include "security/permissions.hpp"
#include "security/totp.hpp"

namespace hishamos::security {

namespace {

std::int64_t now_s() { return persistence::now_ms() / 1000; }

denial unauthenticated(std::string message) {
  return {401, "unauthenticated", std::move(message),
          "send Authorization: Bearer <access token from POST "
          "/api/v1/auth/login> or X-API-Key: <key>"};
}

denial bad_credentials() {
  return {401, "invalid_credentials", "the username or password is wrong",
          "check them; after 5 failures in a row the account is locked for "
          "15 minutes"};
}

// Verifying against this when there is no such user takes as long as a
// real check, so that timing does not tell which usernames exist.
const std::string& decoy_hash() {
  static const std::string h = hash_password(random_token(16));
  return h;
}

} // namespace

denial store_denial(const persistence::status& st) {
  return {503, "store_unavailable", "the store cannot be reached",
          "retry later; /ready says when the store is back"};
}

accounts::accounts(persistence::store_pool& pool, auth_settings s,
                   std::optional<key_ring> ring)
    : pool_(pool), settings_(std::move(s)), ring_(std::move(ring)) {}

namespace {
constexpr std::string_view sealed_mark = "enc1:";
} // namespace

std::string accounts::at_rest(const std::string& name,
                              const std::string& value) const {
  if (!ring_ || value.empty())
    return value;
  auto row = seal_secret(*ring_, name, value);
  return std::string{sealed_mark} + row.kek_id + "." + row.wrapped_key + "." +
         row.ciphertext;
}

std::optional<std::string> accounts::in_use(const std::string& name,
                                            const std::string& stored) const {
  if (stored.compare(0, sealed_mark.size(), sealed_mark) != 0)
    return stored;
  auto body = stored.substr(sealed_mark.size());
  auto a = body.find('.');
  auto b = body.find('.', a == std::string::npos ? a : a + 1);
  if (a == std::string::npos || b == std::string::npos || !ring_) {
    spdlog::error("{} is stored encrypted, and {}", name,
                  ring_ ? "malformed" : "no key-encryption key is configured");
    return std::nullopt;
  }
  persistence::secret_row row{name, body.substr(0, a),
                              body.substr(a + 1, b - a - 1),
                              body.substr(b + 1)};
  auto value = open_secret(*ring_, row);
  if (!value) {
    spdlog::error("{}", value.errors()[0].to_string());
    return std::nullopt;
  }
  return *value;
}

std::vector<signing_key> accounts::keys(bool reload) {
  auto now = persistence::now_ms();
  {
    std::lock_guard lock{mutex_};
    // A token with an unknown kid reloads at most once a second.
    if (!keys_.empty() && (!reload || now - keys_loaded_ms_ < 1000))
      return keys_;
  }
  auto rows = pool_.with(
      "signing_keys", [](persistence::store& db) { return db.signing_keys(); });
  if (rows && rows.value.empty()) {
    auto kid = random_token(6);
    persistence::signing_key_row k{kid, at_rest("jwt:" + kid, random_token(32)),
                                   now};
    if (pool_.with("add_signing_key", [&](persistence::store& db) {
          return db.add_signing_key(k);
        }))
      rows = pool_.with("signing_keys", [](persistence::store& db) {
        return db.signing_keys();
      });
  }
  std::lock_guard lock{mutex_};
  if (rows) {
    keys_.clear();
    for (const auto& r : rows.value) {
      auto secret = in_use("jwt:" + r.kid, r.secret);
      if (!secret)
        continue;
      if (auto raw = base64url_decode(*secret); raw && raw->size() >= 32)
        keys_.push_back({r.kid, *raw});
    }
    keys_loaded_ms_ = now;
  }
  return keys_;
}

answer<std::optional<persistence::user_row>>
accounts::find_user(const std::string& username) {
  auto got = pool_.with("find_user", [&](persistence::store& db) {
    return db.find_user(username);
  });
  if (!got)
    return {{}, store_denial(got.st)};
  return {got.value, {}};
}

denial accounts::failed_sign_in(const persistence::user_row& u,
                                const char* code, const std::string& message) {
  auto lock_until = persistence::now_ms() + settings_.lockout_s * 1000;
  auto count = pool_.with("count_login_failure", [&](persistence::store& db) {
    return db.count_login_failure(u.id, settings_.lockout_after, lock_until);
  });
  if (count && count.value == 0) {
    spdlog::warn("security alert: account '{}' locked for {} s after {} "
                 "failed sign-ins in a row",
                 u.username, settings_.lockout_s, settings_.lockout_after);
    return {423, "account_locked",
            "the account is locked after " +
                std::to_string(settings_.lockout_after) +
                " failed sign-ins in a row",
            "wait " + std::to_string(settings_.lockout_s / 60) +
                " minutes, or ask an admin"};
  }
  if (std::string{code} == "invalid_credentials")
    return bad_credentials();
  return {401, code, message, "use the current code of your authenticator"};
}

answer<session_tokens> accounts::login(const std::string& username,
                                       const std::string& password,
                                       const std::string& totp_code) {
  if (username.empty() || username.size() > 128 ||
      password.size() > max_password_length)
    return {{}, bad_credentials()};
  auto found = find_user(username);
  if (!found)
    return {{}, found.error};
  if (!found.value) {
    (void)verify_password(password, decoy_hash());
    return {{}, bad_credentials()};
  }
  const auto& u = *found.value;
  if (u.locked_until_ms > persistence::now_ms())
    return {{},
            denial{423, "account_locked",
                   "the account is locked after repeated failed sign-ins",
                   "wait until the lockout ends, or ask an admin"}};
  if (!verify_password(password, u.password_hash))
    return {{}, failed_sign_in(u, "invalid_credentials", "")};
  if (u.disabled)
    return {{},
            denial{403, "account_disabled", "the account is disabled",
                   "ask an admin to enable it"}};
  if (u.totp_confirmed) {
    if (totp_code.empty())
      return {{},
              denial{401, "totp_required",
                     "this account signs in with a TOTP code",
                     "send \"totp\" with the code of your authenticator"}};
    auto seed = in_use("totp:" + u.id, u.totp_secret);
    if (!seed)
      return {{},
              denial{503, "totp_unavailable",
                     "the account's TOTP seed cannot be decrypted",
                     "configure the key-encryption key it was stored "
                     "under (secrets.kek_file or HISHAMOS_KEK)"}};
    auto step = totp_step_of(*seed, totp_code, now_s());
    if (!step)
      return {{}, failed_sign_in(u, "invalid_totp", "the TOTP code is wrong")};
    auto fresh = pool_.with("use_totp_step", [&](persistence::store& db) {
      return db.use_totp_step(u.id, *step);
    });
    if (!fresh)
      return {{}, store_denial(fresh.st)};
    if (!fresh.value)
      return {{},
              failed_sign_in(u, "totp_replayed",
                             "this TOTP code was used already")};
  }
  if (u.failed_logins > 0) {
    auto reset = u;
    reset.failed_logins = 0;
    (void)pool_.with("update_user", [&](persistence::store& db) {
      return db.update_user(reset);
    });
  }
  return open_session(u, random_token(16));
}

answer<session_tokens> accounts::open_session(const persistence::user_row& u,
                                              const std::string& family) {
  auto ks = keys(false);
  if (ks.empty())
    return {{}, store_denial({})};
  auto refresh = random_token(32);
  auto now = persistence::now_ms();
  persistence::refresh_token_row row{sha256_hex(refresh), family, u.id, now,
                                     now + settings_.refresh_ttl_s * 1000};
  auto st = pool_.with("create_refresh_token", [&](persistence::store& db) {
    return db.create_refresh_token(row);
  });
  if (!st)
    return {{}, store_denial(st)};
  principal who{u.id,   u.username, u.role,
                family, "",         u.role == "admin" && !u.totp_confirmed};
  access_claims claims{u.id, u.username, u.role, family};
  claims.must_enrol_totp = who.must_enrol_totp;
  session_tokens out{
      issue_access_token(ks.back(), settings_.tokens, claims, now / 1000),
      settings_.tokens.access_ttl_s, refresh, who};
  return {out, {}};
}

answer<session_tokens> accounts::refresh(const std::string& token) {
  if (token.empty() || token.size() > 256)
    return {{}, unauthenticated("the refresh token is missing or malformed")};
  auto now = persistence::now_ms();
  auto used = pool_.with("consume_refresh_token", [&](persistence::store& db) {
    return db.consume_refresh_token(sha256_hex(token), now);
  });
  if (!used)
    return {{}, store_denial(used.st)};
  if (!used.value)
    return {{}, unauthenticated("the refresh token is unknown")};
  const auto& row = *used.value;
  if (row.used_at_ms != 0 || row.revoked_at_ms != 0) {
    // A rotated token used again: whoever holds the family may have stolen
    // it, so the whole sign-in ends.
    if (row.revoked_at_ms == 0)
      spdlog::warn("security alert: a used refresh token of user {} was "
                   "presented again; its session is revoked",
                   row.user_id);
    (void)pool_.with("revoke_refresh_family", [&](persistence::store& db) {
      return db.revoke_refresh_family(row.family, now);
    });
    std::lock_guard lock{mutex_};
    live_sessions_.erase(row.family);
    return {{},
            unauthenticated("the refresh token was used already or "
                            "revoked; its session is ended")};
  }
  if (row.expires_at_ms <= now)
    return {{}, unauthenticated("the refresh token has expired")};
  auto user = pool_.with("find_user_by_id", [&](persistence::store& db) {
    return db.find_user_by_id(row.user_id);
  });
  if (!user)
    return {{}, store_denial(user.st)};
  if (!user.value || user.value->disabled)
    return {{}, unauthenticated("the account is gone or disabled")};
  return open_session(*user.value, row.family);
}

answer<bool> accounts::logout(const principal& who) {
  if (who.session.empty())
    return {false, denial{400, "no_session", "an API key has no session to end",
                          "revoke the key: DELETE /api/v1/api-keys/{id}"}};
  auto st = pool_.with("revoke_refresh_family", [&](persistence::store& db) {
    return db.revoke_refresh_family(who.session, persistence::now_ms());
  });
  if (!st)
    return {false, store_denial(st)};
  std::lock_guard lock{mutex_};
  live_sessions_.erase(who.session);
  return {true, {}};
}

answer<principal> accounts::authenticate(const std::string& authorization,
                                         const std::string& api_key) {
  if (!api_key.empty())
    return by_api_key(api_key);
  if (authorization.empty())
    return {{}, unauthenticated("this route needs a credential")};
  constexpr std::string_view bearer = "Bearer ";
  if (authorization.compare(0, bearer.size(), bearer) != 0)
    return {{},
            unauthenticated("the Authorization header is not a Bearer "
                            "token")};
  auto token = authorization.substr(bearer.size());
  // An API key may come as a bearer token too: scrapers such as
  // Prometheus send Authorization only.
  if (token.rfind("hsk_", 0) == 0)
    return by_api_key(token);
  return by_token(token);
}

answer<principal> accounts::by_token(const std::string& token) {
  auto checked =
      verify_access_token(token, keys(false), settings_.tokens, now_s());
  if (!checked.claims &&
      checked.problem == "the token's signing key is unknown")
    checked = verify_access_token(token, keys(true), settings_.tokens, now_s());
  if (!checked.claims)
    return {{}, unauthenticated(checked.problem)};
  const auto& c = *checked.claims;
  auto now = persistence::now_ms();
  bool fresh;
  {
    std::lock_guard lock{mutex_};
    auto it = live_sessions_.find(c.session);
    fresh = it != live_sessions_.end() && now - it->second < cache_ms;
  }
  if (!fresh) {
    auto revoked = pool_.with("session_revoked", [&](persistence::store& db) {
      return db.session_revoked(c.session);
    });
    if (!revoked)
      return {{}, store_denial(revoked.st)};
    if (revoked.value)
      return {{}, unauthenticated("the token's session was signed out")};
    std::lock_guard lock{mutex_};
    if (live_sessions_.size() > cache_limit)
      live_sessions_.clear();
    live_sessions_[c.session] = now;
  }
  principal who{c.user_id, c.username, c.role,
                c.session, "",         c.must_enrol_totp};
  return {who, {}};
}

} // namespace hishamos::security
