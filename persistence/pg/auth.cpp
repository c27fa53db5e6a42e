// PostgreSQL: users, API keys, refresh tokens, signing keys and per-person
// ratings (auth_store.hpp).

#include "persistence/pg/connection.hpp"

namespace hishamos::persistence::pg {

namespace {

constexpr const char* user_columns =
    "id, username, password_hash, role, disabled, totp_secret, "
    "totp_confirmed, totp_last_step, failed_logins, locked_until_ms, "
    "created_at_ms";

user_row read_user(const pqxx::row& r) {
  return {r[0].c_str(),
          r[1].c_str(),
          r[2].c_str(),
          r[3].c_str(),
          r[4].as<bool>(),
          r[5].c_str(),
          r[6].as<bool>(),
          r[7].as<std::int64_t>(),
          r[8].as<int>(),
          r[9].as<std::int64_t>(),
          r[10].as<std::int64_t>()};
}

constexpr const char* key_columns =
    "id, prefix, key_hash, user_id, name, role, created_at_ms, "
    "expires_at_ms, last_used_ms, revoked_at_ms";

api_key_row read_key(const pqxx::row& r) {
  return {r[0].c_str(),
          r[1].c_str(),
          r[2].c_str(),
          r[3].c_str(),
          r[4].c_str(),
          r[5].c_str(),
          r[6].as<std::int64_t>(),
          r[7].as<std::int64_t>(),
          r[8].as<std::int64_t>(),
          r[9].as<std::int64_t>()};
}

// The rows of a SELECT, read by `read`.
template <class Row, class Read, class... Args>
outcome<std::vector<Row>>
select_rows(pqxx::connection& c, const std::string& what,
            const std::string& sql, Read read, const Args&... args) {
  outcome<std::vector<Row>> out;
  out.st = guarded(what, [&]() -> status {
    pqxx::nontransaction tx{c};
    for (const auto& r : tx.exec_params(sql, args...))
      out.value.push_back(read(r));
    return {};
  });
  return out;
}

template <class Row>
outcome<std::optional<Row>> first_of(outcome<std::vector<Row>> rows) {
  if (!rows || rows.value.empty())
    return {rows.st, std::nullopt};
  return {{}, std::move(rows.value.front())};
}

// Runs one statement in its own transaction; its affected rows.
template <class... Args>
outcome<std::int64_t> change(pqxx::connection& c, const std::string& what,
                             const std::string& sql, const Args&... args) {
  outcome<std::int64_t> out{{}, 0};
  out.st = guarded(what, [&]() -> status {
    pqxx::work tx{c};
    out.value =
        static_cast<std::int64_t>(tx.exec_params(sql, args...).affected_rows());
    tx.commit();
    return {};
  });
  return out;
}

} // namespace

status pg_store::create_user(const user_row& u) {
  auto n = change(*conn_, "creating user " + u.username,
                  "INSERT INTO users (id, username, password_hash, role, "
                  "disabled, totp_secret, totp_confirmed, created_at_ms) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO "
                  "NOTHING",
                  u.id, u.username, u.password_hash, u.role, u.disabled,
                  u.totp_secret, u.totp_confirmed, u.created_at_ms);
  if (n && n.value == 0)
    return {errc::conflict, "user " + u.username + " exists"};
  return n.st;
}

outcome<std::optional<user_row>>
pg_store::find_user(const std::string& username) {
  return first_of(select_rows<user_row>(*conn_, "reading user " + username,
                                        std::string{"SELECT "} + user_columns +
                                            " FROM users WHERE username = $1",
                                        read_user, username));
}

outcome<std::optional<user_row>>
pg_store::find_user_by_id(const std::string& id) {
  return first_of(select_rows<user_row>(*conn_, "reading user " + id,
                                        std::string{"SELECT "} + user_columns +
                                            " FROM users WHERE id = $1",
                                        read_user, id));
}

status pg_store::update_user(const user_row& u) {
  auto n = change(*conn_, "updating user " + u.username,
                  "UPDATE users SET password_hash = $2, role = $3, disabled "
                  "= $4, totp_secret = $5, totp_confirmed = $6, "
                  "failed_logins = $7, locked_until_ms = $8 WHERE id = $1",
                  u.id, u.password_hash, u.role, u.disabled, u.totp_secret,
                  u.totp_confirmed, u.failed_logins, u.locked_until_ms);
  if (n && n.value == 0)
    return {errc::not_found, "no user " + u.id};
  return n.st;
}

outcome<std::vector<user_row>> pg_store::list_users() {
  return select_rows<user_row>(*conn_, "listing users",
                               std::string{"SELECT "} + user_columns +
                                   " FROM users ORDER BY username",
                               read_user);
}

outcome<std::int64_t> pg_store::count_users() {
  auto rows = select_rows<std::int64_t>(
      *conn_, "counting users", "SELECT count(*) FROM users",
      [](const pqxx::row& r) { return r[0].as<std::int64_t>(); });
  return {rows.st, rows ? rows.value.front() : 0};
}

outcome<bool> pg_store::use_totp_step(const std::string& user_id,
                                      std::int64_t step) {
  auto n = change(*conn_, "accepting a TOTP code",
                  "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND "
                  "totp_last_step < $2",
                  user_id, step);
  return {n.st, n && n.value == 1};
}

outcome<int> pg_store::count_login_failure(const std::string& user_id,
                                           int lock_at,
                                           std::int64_t locked_until_ms) {
  auto rows = select_rows<int>(
      *conn_, "counting a failed sign-in",
      "UPDATE users SET failed_logins = CASE WHEN failed_logins + 1 >= $2 "
      "THEN 0 ELSE failed_logins + 1 END, locked_until_ms = CASE WHEN "
      "failed_logins + 1 >= $2 THEN $3 ELSE locked_until_ms END WHERE id = "
      "$1 RETURNING failed_logins",
      [](const pqxx::row& r) { return r[0].as<int>(); }, user_id, lock_at,
      locked_until_ms);
  if (rows && rows.value.empty())
    return {{errc::not_found, "no user " + user_id}, 0};
  return {rows.st, rows ? rows.value.front() : 0};
}

status pg_store::create_api_key(const api_key_row& k) {
  auto n = change(*conn_, "creating an API key",
                  "INSERT INTO api_keys (id, prefix, key_hash, user_id, name, "
                  "role, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, "
                  "$4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                  k.id, k.prefix, k.key_hash, k.user_id, k.name, k.role,
                  k.created_at_ms, k.expires_at_ms);
  if (n && n.value == 0)
    return {errc::conflict, "an API key with prefix " + k.prefix + " exists"};
  return n.st;
}

outcome<std::optional<api_key_row>>
pg_store::find_api_key(const std::string& prefix) {
  return first_of(select_rows<api_key_row>(
      *conn_, "reading an API key",
      std::string{"SELECT "} + key_columns + " FROM api_keys WHERE prefix = $1",
      read_key, prefix));
}

outcome<std::vector<api_key_row>>
pg_store::list_api_keys(const std::string& user_id) {
  return select_rows<api_key_row>(
      *conn_, "listing API keys",
      std::string{"SELECT "} + key_columns +
          " FROM api_keys WHERE $1 = '' OR user_id = $1 ORDER BY "
          "created_at_ms DESC, id",
      read_key, user_id);
}

status pg_store::touch_api_key(const std::string& id, std::int64_t at_ms) {
  return change(*conn_, "noting an API key's use",
                "UPDATE api_keys SET last_used_ms = $2 WHERE id = $1", id,
                at_ms)
      .st;
}

outcome<bool> pg_store::revoke_api_key(const std::string& id,
                                       std::int64_t at_ms) {
  auto n = change(*conn_, "revoking API key " + id,
                  "UPDATE api_keys SET revoked_at_ms = $2 WHERE id = $1 AND "
                  "revoked_at_ms = 0",
                  id, at_ms);
  return {n.st, n && n.value == 1};
}

status pg_store::create_refresh_token(const refresh_token_row& t) {
  return change(*conn_, "storing a refresh token",
                "INSERT INTO refresh_tokens (token_hash, family, user_id, "
                "created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5)",
                t.token_hash, t.family, t.user_id, t.created_at_ms,
                t.expires_at_ms)
      .st;
}

outcome<std::optional<refresh_token_row>>
pg_store::consume_refresh_token(const std::string& token_hash,
                                std::int64_t at_ms) {
  outcome<std::optional<refresh_token_row>> out;
  out.st = guarded("using a refresh token", [&]() -> status {
    pqxx::work tx{*conn_};
    // The row lock makes one of two concurrent uses see the other's mark.
    auto r = tx.exec_params(
        "SELECT token_hash, family, user_id, created_at_ms, expires_at_ms, "
        "used_at_ms, revoked_at_ms FROM refresh_tokens WHERE token_hash = $1 "
        "FOR UPDATE",
        token_hash);
    if (r.empty())
      return {};
    out.value = refresh_token_row{r[0][0].c_str(),
                                  r[0][1].c_str(),
                                  r[0][2].c_str(),
                                  r[0][3].as<std::int64_t>(),
                                  r[0][4].as<std::int64_t>(),
                                  r[0][5].as<std::int64_t>(),
                                  r[0][6].as<std::int64_t>()};
    if (out.value->used_at_ms == 0)
      tx.exec_params0(
          "UPDATE refresh_tokens SET used_at_ms = $2 WHERE token_hash = $1",
          token_hash, at_ms);
    tx.commit();
    return {};
  });
  return out;
}

status pg_store::revoke_refresh_family(const std::string& family,
                                       std::int64_t at_ms) {
  return change(*conn_, "revoking a session",
                "UPDATE refresh_tokens SET revoked_at_ms = $2 WHERE family = "
                "$1 AND revoked_at_ms = 0",
                family, at_ms)
      .st;
}

status pg_store::revoke_user_sessions(const std::string& user_id,
                                      std::int64_t at_ms) {
  return change(*conn_, "revoking a user's sessions",
                "UPDATE refresh_tokens SET revoked_at_ms = $2 WHERE user_id = "
                "$1 AND revoked_at_ms = 0",
                user_id, at_ms)
      .st;
}

outcome<bool> pg_store::session_revoked(const std::string& family) {
  auto rows = select_rows<bool>(
      *conn_, "reading a session",
      "SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE family = $1 AND "
      "revoked_at_ms <> 0)",
      [](const pqxx::row& r) { return r[0].as<bool>(); }, family);
  return {rows.st, rows && rows.value.front()};
}

outcome<std::vector<signing_key_row>> pg_store::signing_keys() {
  return select_rows<signing_key_row>(
      *conn_, "reading signing keys",
      "SELECT kid, secret, created_at_ms FROM signing_keys ORDER BY "
      "created_at_ms, kid",
      [](const pqxx::row& r) {
        return signing_key_row{r[0].c_str(), r[1].c_str(),
                               r[2].as<std::int64_t>()};
      });
}

status pg_store::add_signing_key(const signing_key_row& k) {
  return change(*conn_, "adding a signing key",
                "INSERT INTO signing_keys (kid, secret, created_at_ms) VALUES "
                "($1, $2, $3) ON CONFLICT DO NOTHING",
                k.kid, k.secret, k.created_at_ms)
      .st;
}

status pg_store::put_secret(const secret_row& x) {
  return change(*conn_, "storing secret " + x.name,
                "INSERT INTO secrets (name, kek_id, wrapped_key, ciphertext, "
                "updated_at_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) "
                "DO UPDATE SET kek_id = EXCLUDED.kek_id, wrapped_key = "
                "EXCLUDED.wrapped_key, ciphertext = EXCLUDED.ciphertext, "
                "updated_at_ms = EXCLUDED.updated_at_ms",
                x.name, x.kek_id, x.wrapped_key, x.ciphertext, x.updated_at_ms)
      .st;
}

outcome<std::vector<secret_row>> pg_store::secrets() {
  return select_rows<secret_row>(
      *conn_, "reading secrets",
      "SELECT name, kek_id, wrapped_key, ciphertext, updated_at_ms FROM "
      "secrets ORDER BY name",
      [](const pqxx::row& r) {
        return secret_row{r[0].c_str(), r[1].c_str(), r[2].c_str(),
                          r[3].c_str(), r[4].as<std::int64_t>()};
      });
}

outcome<bool> pg_store::record_rating(const std::string& execution_id,
                                      const std::string& step_id,
                                      const std::string& user_id,
                                      double score) {
  auto rows = select_rows<bool>(
      *conn_, "recording a rating",
      "INSERT INTO result_ratings (execution_id, step_id, user_id, score, "
      "rated_at_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (execution_id, "
      "step_id, user_id) DO UPDATE SET score = EXCLUDED.score, rated_at_ms = "
      "EXCLUDED.rated_at_ms RETURNING (xmax = 0)",
      [](const pqxx::row& r) { return r[0].as<bool>(); }, execution_id, step_id,
      user_id, score, now_ms());
  return {rows.st, rows && !rows.value.empty() && rows.value.front()};
}

} // namespace hishamos::persistence::pg
