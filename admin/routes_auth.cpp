// Signing in and out, sessions, 2FA, the first admin, users and API keys.
// No answer or log line carries a password, token or key except the one
// that creates it (a new key, a new session's tokens, an enrolment's TOTP
// secret), and each of those only once.

#include "admin/audit.hpp"
#include "admin/errors.hpp"
#include "admin/internal/server_core.hpp"
#include "admin/params.hpp"
#include "admin/routes.hpp"
#include "security/crypto.hpp"

namespace hishamos::admin {

namespace {

using nlohmann::json;

response denied(const security::denial& d) {
  return error_response({d.status, d.code, d.message, {{"fix", d.fix}}});
}

std::string text(const json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

json user_json(const persistence::user_row& u) {
  return {{"id", u.id},
          {"username", u.username},
          {"role", u.role},
          {"disabled", u.disabled},
          {"totp_enabled", u.totp_confirmed},
          {"locked", u.locked_until_ms > persistence::now_ms()},
          {"created_at_ms", u.created_at_ms}};
}

json key_json(const persistence::api_key_row& k) {
  return {{"id", k.id},
          {"prefix", "hsk_" + k.prefix},
          {"name", k.name},
          {"role", k.role},
          {"user_id", k.user_id},
          {"created_at_ms", k.created_at_ms},
          {"expires_at_ms", k.expires_at_ms},
          {"last_used_ms", k.last_used_ms},
          {"revoked", k.revoked_at_ms != 0}};
}

json session_json(const security::session_tokens& t) {
  return {{"access_token", t.access_token},
          {"token_type", "Bearer"},
          {"expires_in", t.expires_in_s},
          {"refresh_token", t.refresh_token},
          {"user",
           {{"id", t.who.user_id},
            {"username", t.who.username},
            {"role", t.who.role},
            {"must_enrol_totp", t.who.must_enrol_totp}}}};
}

// Sign-in answers are never cached by anything in between.
response no_store(response res) {
  res.headers["Cache-Control"] = "no-store";
  return res;
}

response login(server_core& core, const request& req) {
  auto body = json_body(
      req, R"({"username": "ada", "password": "...", "totp": "123456"})");
  if (!body)
    return error_response(*body.error);
  auto username = text(body.value, "username");
  // Guessing is slowed per account and per client address, before any
  // password is checked.
  constexpr std::chrono::seconds quarter_hour{900};
  for (const auto& [key, limit] :
       {std::pair{"login:address:" + req.remote_addr,
                  core.limits.login_attempts_per_address},
        std::pair{"login:account:" + bounded(username, 128),
                  core.limits.login_attempts_per_account}}) {
    auto rate = core.rates.admit(key, limit, quarter_hour);
    if (!rate.allowed) {
      audit(core.n, req, "auth.login_rate_limited", {{"key", key}});
      return rate_limited(rate, "sign-in attempts");
    }
  }
  auto got = core.accounts.login(username, text(body.value, "password"),
                                 text(body.value, "totp"));
  request who = req;
  who.who.username = bounded(username, 64);
  if (!got) {
    audit(core.n, who, "auth.login_failed", {{"reason", got.error->code}});
    return denied(*got.error);
  }
  who.who = got.value.who;
  audit(core.n, who, "auth.login");
  return no_store(json_response(200, session_json(got.value)));
}

response refresh(server_core& core, const request& req) {
  auto body = json_body(req, R"({"refresh_token": "..."})");
  if (!body)
    return error_response(*body.error);
  auto got = core.accounts.refresh(text(body.value, "refresh_token"));
  if (!got) {
    audit(core.n, req, "auth.refresh_failed", {{"reason", got.error->message}});
    return denied(*got.error);
  }
  return no_store(json_response(200, session_json(got.value)));
}

response logout(server_core& core, const request& req) {
  auto done = core.accounts.logout(req.who);
  if (!done)
    return denied(*done.error);
  audit(core.n, req, "auth.logout");
  return json_response(200, {{"signed_out", true}});
}

response me(const request& req) {
  return json_response(
      200, {{"id", req.who.user_id},
            {"username", req.who.username},
            {"role", req.who.role},
            {"via", req.who.api_key_id.empty() ? "token" : "api_key"},
            {"must_enrol_totp", req.who.must_enrol_totp},
            {"permissions", security::permissions_of(req.who.role)}});
}

response enrol(server_core& core, const request& req) {
  auto got = core.accounts.enrol_totp(req.who);
  if (!got)
    return denied(*got.error);
  audit(core.n, req, "auth.totp_enrol_started");
  return no_store(json_response(
      200, {{"secret", got.value.secret}, {"otpauth_uri", got.value.uri}}));
}

response confirm(server_core& core, const request& req) {
  auto body = json_body(req, R"({"code": "123456"})");
  if (!body)
    return error_response(*body.error);
  auto got = core.accounts.confirm_totp(req.who, text(body.value, "code"));
  if (!got) {
    audit(core.n, req, "auth.totp_confirm_failed");
    return denied(*got.error);
  }
  audit(core.n, req, "auth.totp_enrolled");
  return json_response(
      200, {{"totp_enabled", true}, {"fix", "sign in again, now with a code"}});
}

// POST /api/v1/auth/setup {setup_secret, username, password}: the first
// admin, once, with the secret the node printed at its start.
response setup(server_core& core, const request& req) {
  auto body = json_body(
      req, R"({"setup_secret": "...", "username": "ada", "password": "..."})");
  if (!body)
    return error_response(*body.error);
  std::lock_guard lock{core.setup_mutex};
  auto users = core.accounts.user_count();
  if (!users)
    return denied(*users.error);
  if (users.value > 0)
    core.setup_secret.clear();
  if (core.setup_secret.empty() ||
      !security::constant_time_equal(core.setup_secret,
                                     text(body.value, "setup_secret"))) {
    audit(core.n, req, "auth.setup_failed");
    return error_response(
        {403,
         "setup_refused",
         "the setup secret is wrong, or the first admin exists already",
         {{"fix", "use the secret the node printed at its first start; "
                  "later, an admin adds users"}}});
  }
  auto got = core.accounts.add_user(text(body.value, "username"),
                                    text(body.value, "password"), "admin");
  if (!got)
    return denied(*got.error);
  core.setup_secret.clear();
  request who = req;
  who.who = {got.value.id, got.value.username, "admin"};
  audit(core.n, who, "user.create",
        {{"user", got.value.username}, {"role", "admin"}, {"via", "setup"}});
  return json_response(201, user_json(got.value));
}

response list_users(server_core& core) {
  auto got = core.accounts.users();
  if (!got)
    return denied(*got.error);
  auto out = json::array();
  for (const auto& u : got.value)
    out.push_back(user_json(u));
  return json_response(200, {{"users", out}});
}

response create_user(server_core& core, const request& req) {
  auto body = json_body(
      req, R"({"username": "ada", "password": "...", "role": "viewer"})");
  if (!body)
    return error_response(*body.error);
  auto role = text(body.value, "role");
  auto got = core.accounts.add_user(text(body.value, "username"),
                                    text(body.value, "password"),
                                    role.empty() ? "viewer" : role);
  if (!got)
    return denied(*got.error);
  audit(core.n, req, "user.create",
        {{"user", got.value.username}, {"role", got.value.role}});
  return json_response(201, user_json(got.value));
}

// PUT /api/v1/users/{username} {role?, disabled?, password?}
response change_user(server_core& core, const request& req) {
  auto body = json_body(req, R"({"role": "operator", "disabled": false})");
  if (!body)
    return error_response(*body.error);
  const auto& name = req.param("username");
  json changed = json::object();
  auto apply = [&](security::answer<bool> got, const char* what,
                   json value) -> std::optional<response> {
    if (!got)
      return denied(*got.error);
    changed[what] = std::move(value);
    return std::nullopt;
  };
  std::optional<response> failed;
  if (auto role = text(body.value, "role"); !role.empty())
    failed = apply(core.accounts.set_role(name, role), "role", role);
  if (!failed && body.value.contains("disabled")) {
    if (!body.value["disabled"].is_boolean())
      return error_response(
          {400, "invalid_request", "disabled is true or false"});
    bool off = body.value["disabled"].get<bool>();
    failed = apply(core.accounts.set_disabled(name, off), "disabled", off);
  }
  if (!failed && body.value.contains("password"))
    failed =
        apply(core.accounts.set_password(name, text(body.value, "password")),
              "password", "changed");
  if (failed)
    return *failed;
  if (changed.empty())
    return error_response(
        {400, "invalid_request",
         "nothing to change: give role, disabled or password"});
  audit(core.n, req, "user.update",
        {{"user", bounded(name)}, {"changed", changed}});
  return json_response(200, {{"username", name}, {"changed", changed}});
}

response list_keys(server_core& core, const request& req) {
  auto got = core.accounts.api_keys(req.who);
  if (!got)
    return denied(*got.error);
  auto out = json::array();
  for (const auto& k : got.value)
    out.push_back(key_json(k));
  return json_response(200, {{"api_keys", out}});
}

response create_key(server_core& core, const request& req) {
  auto body = json_body(
      req, R"({"name": "ci", "role": "operator", "expires_at_ms": 0})");
  if (!body)
    return error_response(*body.error);
  auto role = text(body.value, "role");
  std::int64_t expires = 0;
  if (auto it = body.value.find("expires_at_ms"); it != body.value.end()) {
    if (!it->is_number_integer())
      return error_response({400, "invalid_request",
                             "expires_at_ms is an integer (ms since 1970)"});
    expires = it->get<std::int64_t>();
  }
  auto got =
      core.accounts.create_api_key(req.who, text(body.value, "name"),
                                   role.empty() ? req.who.role : role, expires);
  if (!got)
    return denied(*got.error);
  audit(core.n, req, "api_key.create",
        {{"key_id", got.value.row.id}, {"role", got.value.row.role}});
  auto out = key_json(got.value.row);
  out["key"] = got.value.key;
  return no_store(json_response(201, out));
}

response revoke_key(server_core& core, const request& req) {
  auto got = core.accounts.revoke_api_key(req.who, req.param("id"));
  if (!got)
    return denied(*got.error);
  audit(core.n, req, "api_key.revoke", {{"key_id", bounded(req.param("id"))}});
  return json_response(200, {{"id", req.param("id")}, {"revoked", true}});
}

} // namespace

void add_auth_routes(router& r, server_core& core) {
  auto bind = [&core](response (*fn)(server_core&, const request&)) {
    return [&core, fn](const request& req) { return fn(core, req); };
  };
  r.add("POST", "/api/v1/auth/login", permission::sign_in, bind(login));
  r.add("POST", "/api/v1/auth/refresh", permission::sign_in, bind(refresh));
  r.add("POST", "/api/v1/auth/setup", permission::sign_in, bind(setup));
  r.add("POST", "/api/v1/auth/logout", permission::authenticated, bind(logout));
  r.add("GET", "/api/v1/auth/me", permission::authenticated, me);
  r.add("POST", "/api/v1/auth/totp/enrol", permission::authenticated,
        bind(enrol));
  r.add("POST", "/api/v1/auth/totp/confirm", permission::authenticated,
        bind(confirm));
  r.add("GET", "/api/v1/users", permission::manage_users,
        [&core](const request&) { return list_users(core); });
  r.add("POST", "/api/v1/users", permission::manage_users, bind(create_user));
  r.add("PUT", "/api/v1/users/{username}", permission::manage_users,
        bind(change_user));
  r.add("GET", "/api/v1/api-keys", permission::authenticated, bind(list_keys));
  r.add("POST", "/api/v1/api-keys", permission::authenticated,
        bind(create_key));
  r.add("DELETE", "/api/v1/api-keys/{id}", permission::authenticated,
        bind(revoke_key));
}

} // namespace hishamos::admin
