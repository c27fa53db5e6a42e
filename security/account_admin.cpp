// Users, their 2FA, API keys and signing keys (accounts.hpp).

#include <spdlog/spdlog.h>

#include "security/accounts.hpp"
#include "security/crypto.hpp"
#include "security/passwords.hpp"
#include "security/permissions.hpp"
#include "security/totp.hpp"

namespace hishamos::security {

namespace {

// An API key's last use is written at most this often.
constexpr std::int64_t touch_every_ms = 60000;
// hsk_<12 prefix characters>_<43 secret characters>
constexpr std::string_view key_mark = "hsk_";
constexpr size_t prefix_length = 12;

denial invalid(std::string message, std::string fix) {
  return {400, "invalid_request", std::move(message), std::move(fix)};
}

denial bad_key() {
  return {401, "unauthenticated", "the API key is unknown, revoked or expired",
          "create a key: POST /api/v1/api-keys"};
}

bool plain_name(const std::string& s) {
  if (s.empty() || s.size() > 64)
    return false;
  for (unsigned char c : s)
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-' && c != '@')
      return false;
  return true;
}

} // namespace

answer<principal> accounts::by_api_key(const std::string& key) {
  if (key.size() > 128 || key.compare(0, key_mark.size(), key_mark) != 0 ||
      key.size() < key_mark.size() + prefix_length + 2)
    return {{}, bad_key()};
  auto hash = sha256_hex(key);
  auto now = persistence::now_ms();
  {
    std::lock_guard lock{mutex_};
    if (auto it = key_cache_.find(hash);
        it != key_cache_.end() && now - it->second.checked_ms < cache_ms)
      return {it->second.who, {}};
  }
  auto prefix = key.substr(key_mark.size(), prefix_length);
  auto row = pool_.with("find_api_key", [&](persistence::store& db) {
    return db.find_api_key(prefix);
  });
  if (!row)
    return {{}, store_denial(row.st)};
  if (!row.value || !constant_time_equal(row.value->key_hash, hash) ||
      row.value->revoked_at_ms != 0 ||
      (row.value->expires_at_ms != 0 && row.value->expires_at_ms <= now))
    return {{}, bad_key()};
  auto owner = pool_.with("find_user_by_id", [&](persistence::store& db) {
    return db.find_user_by_id(row.value->user_id);
  });
  if (!owner)
    return {{}, store_denial(owner.st)};
  // A key never does more than its owner may do now.
  if (!owner.value || owner.value->disabled ||
      !role_covers(owner.value->role, row.value->role))
    return {{}, bad_key()};
  if (now - row.value->last_used_ms > touch_every_ms)
    (void)pool_.with("touch_api_key", [&](persistence::store& db) {
      return db.touch_api_key(row.value->id, now);
    });
  principal who{owner.value->id, owner.value->username,
                row.value->role, "",
                row.value->id,   false};
  std::lock_guard lock{mutex_};
  if (key_cache_.size() > cache_limit)
    key_cache_.clear();
  key_cache_[hash] = {who, now};
  return {who, {}};
}

void accounts::forget_cached(const std::string& user_id) {
  std::lock_guard lock{mutex_};
  for (auto it = key_cache_.begin(); it != key_cache_.end();)
    it = it->second.who.user_id == user_id ? key_cache_.erase(it) : ++it;
  live_sessions_.clear();
}

answer<persistence::user_row> accounts::add_user(const std::string& username,
                                                 const std::string& password,
                                                 const std::string& role) {
  if (!plain_name(username))
    return {{},
            invalid("a username is 1 to 64 letters, digits or . _ - @",
                    "pick another username")};
  if (!is_role(role))
    return {{},
            invalid("unknown role", "use admin, operator, author or "
                                    "viewer")};
  if (auto why = password_problem(password); !why.empty())
    return {{}, invalid(why, "pick a longer password")};
  persistence::user_row u;
  u.id = "u-" + random_token(9);
  u.username = username;
  u.password_hash = hash_password(password);
  u.role = role;
  u.created_at_ms = persistence::now_ms();
  auto st = pool_.with(
      "create_user", [&](persistence::store& db) { return db.create_user(u); });
  if (st.code == persistence::errc::conflict)
    return {{},
            denial{409, "user_exists", "user " + username + " exists",
                   "pick another username"}};
  if (!st)
    return {{}, store_denial(st)};
  return {u, {}};
}

answer<bool> accounts::signed_out(const persistence::user_row& u,
                                  const persistence::status& st) {
  if (!st)
    return {false, store_denial(st)};
  auto revoked =
      pool_.with("revoke_user_sessions", [&](persistence::store& db) {
        return db.revoke_user_sessions(u.id, persistence::now_ms());
      });
  forget_cached(u.id);
  if (!revoked)
    return {false, store_denial(revoked)};
  return {true, {}};
}

namespace {

// Applies `change` to the user named `username` and stores it.
template <class F>
answer<persistence::user_row> changed_user(persistence::store_pool& pool,
                                           const std::string& username,
                                           F change) {
  auto got = pool.with("find_user", [&](persistence::store& db) {
    return db.find_user(username);
  });
  if (!got)
    return {{}, store_denial(got.st)};
  if (!got.value)
    return {{},
            denial{404, "user_not_found", "no user " + username.substr(0, 64),
                   "GET /api/v1/users lists them"}};
  auto u = *got.value;
  if (auto why = change(u))
    return {{}, why};
  auto st = pool.with(
      "update_user", [&](persistence::store& db) { return db.update_user(u); });
  if (!st)
    return {{}, store_denial(st)};
  return {u, {}};
}

} // namespace

answer<bool> accounts::set_password(const std::string& username,
                                    const std::string& password) {
  auto u = changed_user(
      pool_, username, [&](persistence::user_row& r) -> std::optional<denial> {
        if (auto why = password_problem(password); !why.empty())
          return invalid(why, "pick a longer password");
        r.password_hash = hash_password(password);
        r.failed_logins = 0;
        r.locked_until_ms = 0;
        return std::nullopt;
      });
  if (!u)
    return {false, u.error};
  return signed_out(u.value, {});
}

answer<bool> accounts::set_role(const std::string& username,
                                const std::string& role) {
  auto u = changed_user(
      pool_, username, [&](persistence::user_row& r) -> std::optional<denial> {
        if (!is_role(role))
          return invalid("unknown role",
                         "use admin, operator, author or viewer");
        r.role = role;
        return std::nullopt;
      });
  if (!u)
    return {false, u.error};
  return signed_out(u.value, {});
}

answer<bool> accounts::set_disabled(const std::string& username,
                                    bool disabled) {
  auto u = changed_user(pool_, username,
                        [&](persistence::user_row& r) -> std::optional<denial> {
                          r.disabled = disabled;
                          if (!disabled)
                            r.locked_until_ms = 0;
                          return std::nullopt;
                        });
  if (!u)
    return {false, u.error};
  return signed_out(u.value, {});
}

answer<std::vector<persistence::user_row>> accounts::users() {
  auto got = pool_.with("list_users",
                        [](persistence::store& db) { return db.list_users(); });
  if (!got)
    return {{}, store_denial(got.st)};
  return {got.value, {}};
}

answer<std::int64_t> accounts::user_count() {
  auto got = pool_.with(
      "count_users", [](persistence::store& db) { return db.count_users(); });
  if (!got)
    return {0, store_denial(got.st)};
  return {got.value, {}};
}

answer<totp_enrolment> accounts::enrol_totp(const principal& who) {
  if (!who.api_key_id.empty())
    return {{},
            denial{400, "not_a_session", "an API key cannot enrol 2FA",
                   "sign in with the user's password"}};
  totp_enrolment out;
  auto u = changed_user(
      pool_, who.username,
      [&](persistence::user_row& r) -> std::optional<denial> {
        if (r.totp_confirmed)
          return denial{409, "totp_enrolled", "2FA is already on",
                        "ask an admin to reset it"};
        auto seed = new_totp_secret();
        r.totp_secret = at_rest("totp:" + r.id, seed);
        out = {seed, otpauth_uri(settings_.totp_issuer, r.username, seed)};
        return std::nullopt;
      });
  if (!u)
    return {{}, u.error};
  return {out, {}};
}

answer<bool> accounts::confirm_totp(const principal& who,
                                    const std::string& code) {
  auto u = changed_user(
      pool_, who.username,
      [&](persistence::user_row& r) -> std::optional<denial> {
        if (r.totp_secret.empty() || r.totp_confirmed)
          return denial{409, "totp_not_pending", "no 2FA enrolment is pending",
                        "POST /api/v1/auth/totp/enrol first"};
        auto seed = in_use("totp:" + r.id, r.totp_secret);
        if (!seed || !totp_step_of(*seed, code, persistence::now_ms() / 1000))
          return denial{401, "invalid_totp", "the TOTP code is wrong",
                        "use the current code of your authenticator"};
        r.totp_confirmed = true;
        return std::nullopt;
      });
  if (!u)
    return {false, u.error};
  // The confirming code is spent: it cannot sign in as well.
  if (auto step = totp_step_of(
          in_use("totp:" + u.value.id, u.value.totp_secret).value_or(""), code,
          persistence::now_ms() / 1000))
    (void)pool_.with("use_totp_step", [&](persistence::store& db) {
      return db.use_totp_step(u.value.id, *step);
    });
  // Sessions opened before 2FA (limited to enrolling) end.
  return signed_out(u.value, {});
}

answer<new_api_key> accounts::create_api_key(const principal& owner,
                                             const std::string& name,
                                             const std::string& role,
                                             std::int64_t expires_at_ms) {
  if (name.size() > 128)
    return {{},
            invalid("a key's name has at most 128 characters", "shorten it")};
  if (!is_role(role))
    return {{},
            invalid("unknown role", "use admin, operator, author or "
                                    "viewer")};
  if (!role_covers(owner.role, role))
    return {{},
            denial{403, "forbidden",
                   "a key cannot have a role above its owner's (" + owner.role +
                       ")",
                   "ask for a lower role"}};
  auto now = persistence::now_ms();
  if (expires_at_ms != 0 && expires_at_ms <= now)
    return {{}, invalid("expires_at is in the past", "give a later time")};
  new_api_key out;
  auto prefix = random_token(9); // 12 characters
  out.key = std::string{key_mark} + prefix + "_" + random_token(32);
  out.row = {"k-" + random_token(9),
             prefix,
             sha256_hex(out.key),
             owner.user_id,
             name,
             role,
             now,
             expires_at_ms};
  auto st = pool_.with("create_api_key", [&](persistence::store& db) {
    return db.create_api_key(out.row);
  });
  if (!st)
    return {{}, store_denial(st)};
  return {out, {}};
}

answer<std::vector<persistence::api_key_row>>
accounts::api_keys(const principal& who) {
  auto mine =
      role_permits(who.role, permission::manage_users) ? "" : who.user_id;
  auto got = pool_.with("list_api_keys", [&](persistence::store& db) {
    return db.list_api_keys(mine);
  });
  if (!got)
    return {{}, store_denial(got.st)};
  return {got.value, {}};
}

answer<bool> accounts::revoke_api_key(const principal& by,
                                      const std::string& id) {
  auto visible = api_keys(by);
  if (!visible)
    return {false, visible.error};
  bool found = false;
  for (const auto& k : visible.value)
    found = found || (k.id == id && k.revoked_at_ms == 0);
  if (!found)
    return {false, denial{404, "api_key_not_found",
                          "no API key " + id.substr(0, 64) + " in force",
                          "GET /api/v1/api-keys lists yours"}};
  auto done = pool_.with("revoke_api_key", [&](persistence::store& db) {
    return db.revoke_api_key(id, persistence::now_ms());
  });
  if (!done)
    return {false, store_denial(done.st)};
  std::lock_guard lock{mutex_};
  for (auto it = key_cache_.begin(); it != key_cache_.end();)
    it = it->second.who.api_key_id == id ? key_cache_.erase(it) : ++it;
  return {done.value, {}};
}

answer<std::string> accounts::rotate_signing_key() {
  auto kid = random_token(6);
  persistence::signing_key_row k{kid, at_rest("jwt:" + kid, random_token(32)),
                                 persistence::now_ms()};
  auto st = pool_.with("add_signing_key", [&](persistence::store& db) {
    return db.add_signing_key(k);
  });
  if (!st)
    return {{}, store_denial(st)};
  (void)keys(true);
  return {k.kid, {}};
}

} // namespace hishamos::security
