// SQLite: users, API keys, refresh tokens, signing keys and per-person
// ratings (auth_store.hpp).

#include "persistence/sqlite/connection.hpp"

namespace hishamos::persistence::sqlite {

namespace {

constexpr const char* user_columns =
    "id, username, password_hash, role, disabled, totp_secret, "
    "totp_confirmed, totp_last_step, failed_logins, locked_until_ms, "
    "created_at_ms";

user_row read_user(const statement& s) {
  return {s.text(0),         s.text(1),         s.text(2),
          s.text(3),         s.integer(4) != 0, s.text(5),
          s.integer(6) != 0, s.integer(7),      static_cast<int>(s.integer(8)),
          s.integer(9),      s.integer(10)};
}

constexpr const char* key_columns =
    "id, prefix, key_hash, user_id, name, role, created_at_ms, "
    "expires_at_ms, last_used_ms, revoked_at_ms";

api_key_row read_key(const statement& s) {
  return {s.text(0), s.text(1),    s.text(2),    s.text(3),    s.text(4),
          s.text(5), s.integer(6), s.integer(7), s.integer(8), s.integer(9)};
}

refresh_token_row read_refresh(const statement& s) {
  return {s.text(0),    s.text(1),    s.text(2),   s.integer(3),
          s.integer(4), s.integer(5), s.integer(6)};
}

// Every row of a bound statement, read by `read`.
template <class Row, class Read>
outcome<std::vector<Row>> all_rows(statement& s, const std::string& what,
                                   Read read) {
  outcome<std::vector<Row>> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.value.push_back(read(s));
  if (rc != SQLITE_DONE)
    out.st = s.error(what, rc);
  return out;
}

template <class Row>
outcome<std::optional<Row>> first_of(outcome<std::vector<Row>> rows) {
  if (!rows || rows.value.empty())
    return {rows.st, std::nullopt};
  return {{}, std::move(rows.value.front())};
}

// Steps a bound write; its changed rows.
outcome<std::int64_t> run(sqlite3* db, statement& s, const std::string& what) {
  if (int rc = s.step(); rc != SQLITE_DONE)
    return {s.error(what, rc), 0};
  return {{}, sqlite3_changes(db)};
}

} // namespace

status sqlite_store::create_user(const user_row& u) {
  statement s{db_.get(),
              "INSERT OR IGNORE INTO users (id, username, password_hash, "
              "role, disabled, totp_secret, totp_confirmed, created_at_ms) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"};
  s.bind(u.id, u.username, u.password_hash, u.role, int{u.disabled},
         u.totp_secret, int{u.totp_confirmed}, u.created_at_ms);
  auto n = run(db_.get(), s, "creating user " + u.username);
  if (n && n.value == 0)
    return {errc::conflict, "user " + u.username + " exists"};
  return n.st;
}

outcome<std::optional<user_row>>
sqlite_store::find_user(const std::string& username) {
  statement s{db_.get(), (std::string{"SELECT "} + user_columns +
                          " FROM users WHERE username = ?")
                             .c_str()};
  s.bind(username);
  return first_of(all_rows<user_row>(s, "reading user", read_user));
}

outcome<std::optional<user_row>>
sqlite_store::find_user_by_id(const std::string& id) {
  statement s{db_.get(), (std::string{"SELECT "} + user_columns +
                          " FROM users WHERE id = ?")
                             .c_str()};
  s.bind(id);
  return first_of(all_rows<user_row>(s, "reading user", read_user));
}

status sqlite_store::update_user(const user_row& u) {
  statement s{db_.get(), "UPDATE users SET password_hash = ?2, role = ?3, "
                         "disabled = ?4, totp_secret = ?5, totp_confirmed = "
                         "?6, failed_logins = ?7, locked_until_ms = ?8 WHERE "
                         "id = ?1"};
  s.bind(u.id, u.password_hash, u.role, int{u.disabled}, u.totp_secret,
         int{u.totp_confirmed}, u.failed_logins, u.locked_until_ms);
  auto n = run(db_.get(), s, "updating user " + u.username);
  if (n && n.value == 0)
    return {errc::not_found, "no user " + u.id};
  return n.st;
}

outcome<std::vector<user_row>> sqlite_store::list_users() {
  statement s{db_.get(), (std::string{"SELECT "} + user_columns +
                          " FROM users ORDER BY username")
                             .c_str()};
  return all_rows<user_row>(s, "listing users", read_user);
}

outcome<std::int64_t> sqlite_store::count_users() {
  statement s{db_.get(), "SELECT count(*) FROM users"};
  auto rows = all_rows<std::int64_t>(
      s, "counting users", [](const statement& r) { return r.integer(0); });
  return {rows.st, rows ? rows.value.front() : 0};
}

outcome<bool> sqlite_store::use_totp_step(const std::string& user_id,
                                          std::int64_t step) {
  statement s{db_.get(), "UPDATE users SET totp_last_step = ?2 WHERE id = ?1 "
                         "AND totp_last_step < ?2"};
  s.bind(user_id, step);
  auto n = run(db_.get(), s, "accepting a TOTP code");
  return {n.st, n && n.value == 1};
}

outcome<int> sqlite_store::count_login_failure(const std::string& user_id,
                                               int lock_at,
                                               std::int64_t locked_until_ms) {
  statement s{db_.get(),
              "UPDATE users SET failed_logins = CASE WHEN failed_logins + 1 "
              ">= ?2 THEN 0 ELSE failed_logins + 1 END, locked_until_ms = "
              "CASE WHEN failed_logins + 1 >= ?2 THEN ?3 ELSE "
              "locked_until_ms END WHERE id = ?1 RETURNING failed_logins"};
  s.bind(user_id, lock_at, locked_until_ms);
  auto rows = all_rows<int>(s, "counting a failed sign-in", [](auto& r) {
    return static_cast<int>(r.integer(0));
  });
  if (rows && rows.value.empty())
    return {{errc::not_found, "no user " + user_id}, 0};
  return {rows.st, rows ? rows.value.front() : 0};
}

status sqlite_store::create_api_key(const api_key_row& k) {
  statement s{db_.get(), "INSERT OR IGNORE INTO api_keys (id, prefix, "
                         "key_hash, user_id, name, role, created_at_ms, "
                         "expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"};
  s.bind(k.id, k.prefix, k.key_hash, k.user_id, k.name, k.role, k.created_at_ms,
         k.expires_at_ms);
  auto n = run(db_.get(), s, "creating an API key");
  if (n && n.value == 0)
    return {errc::conflict, "an API key with prefix " + k.prefix + " exists"};
  return n.st;
}

outcome<std::optional<api_key_row>>
sqlite_store::find_api_key(const std::string& prefix) {
  statement s{db_.get(), (std::string{"SELECT "} + key_columns +
                          " FROM api_keys WHERE prefix = ?")
                             .c_str()};
  s.bind(prefix);
  return first_of(all_rows<api_key_row>(s, "reading an API key", read_key));
}

outcome<std::vector<api_key_row>>
sqlite_store::list_api_keys(const std::string& user_id) {
  statement s{db_.get(), (std::string{"SELECT "} + key_columns +
                          " FROM api_keys WHERE ?1 = '' OR user_id = ?1 "
                          "ORDER BY created_at_ms DESC, id")
                             .c_str()};
  s.bind(user_id);
  return all_rows<api_key_row>(s, "listing API keys", read_key);
}

status sqlite_store::touch_api_key(const std::string& id, std::int64_t at_ms) {
  statement s{db_.get(), "UPDATE api_keys SET last_used_ms = ? WHERE id = ?"};
  s.bind(at_ms, id);
  return run(db_.get(), s, "noting an API key's use").st;
}

outcome<bool> sqlite_store::revoke_api_key(const std::string& id,
                                           std::int64_t at_ms) {
  statement s{db_.get(), "UPDATE api_keys SET revoked_at_ms = ? WHERE id = ? "
                         "AND revoked_at_ms = 0"};
  s.bind(at_ms, id);
  auto n = run(db_.get(), s, "revoking API key " + id);
  return {n.st, n && n.value == 1};
}

status sqlite_store::create_refresh_token(const refresh_token_row& t) {
  statement s{db_.get(), "INSERT INTO refresh_tokens (token_hash, family, "
                         "user_id, created_at_ms, expires_at_ms) VALUES (?, "
                         "?, ?, ?, ?)"};
  s.bind(t.token_hash, t.family, t.user_id, t.created_at_ms, t.expires_at_ms);
  return run(db_.get(), s, "storing a refresh token").st;
}

outcome<std::optional<refresh_token_row>>
sqlite_store::consume_refresh_token(const std::string& token_hash,
                                    std::int64_t at_ms) {
  outcome<std::optional<refresh_token_row>> out;
  // In one write transaction, so two uses at once see each other's mark.
  out.st = transaction([&]() -> status {
    statement s{db_.get(), "SELECT token_hash, family, user_id, "
                           "created_at_ms, expires_at_ms, used_at_ms, "
                           "revoked_at_ms FROM refresh_tokens WHERE "
                           "token_hash = ?"};
    s.bind(token_hash);
    auto found = first_of(
        all_rows<refresh_token_row>(s, "using a refresh token", read_refresh));
    if (!found || !found.value)
      return found.st;
    out.value = found.value;
    if (out.value->used_at_ms != 0)
      return {};
    statement mark{db_.get(), "UPDATE refresh_tokens SET used_at_ms = ? WHERE "
                              "token_hash = ?"};
    mark.bind(at_ms, token_hash);
    return run(db_.get(), mark, "using a refresh token").st;
  });
  return out;
}

status sqlite_store::revoke_refresh_family(const std::string& family,
                                           std::int64_t at_ms) {
  statement s{db_.get(), "UPDATE refresh_tokens SET revoked_at_ms = ? WHERE "
                         "family = ? AND revoked_at_ms = 0"};
  s.bind(at_ms, family);
  return run(db_.get(), s, "revoking a session").st;
}

status sqlite_store::revoke_user_sessions(const std::string& user_id,
                                          std::int64_t at_ms) {
  statement s{db_.get(), "UPDATE refresh_tokens SET revoked_at_ms = ? WHERE "
                         "user_id = ? AND revoked_at_ms = 0"};
  s.bind(at_ms, user_id);
  return run(db_.get(), s, "revoking a user's sessions").st;
}

outcome<bool> sqlite_store::session_revoked(const std::string& family) {
  statement s{db_.get(), "SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE "
                         "family = ? AND revoked_at_ms <> 0)"};
  s.bind(family);
  auto rows = all_rows<bool>(s, "reading a session",
                             [](auto& r) { return r.integer(0) != 0; });
  return {rows.st, rows && rows.value.front()};
}

outcome<std::vector<signing_key_row>> sqlite_store::signing_keys() {
  statement s{db_.get(), "SELECT kid, secret, created_at_ms FROM "
                         "signing_keys ORDER BY created_at_ms, kid"};
  return all_rows<signing_key_row>(s, "reading signing keys", [](auto& r) {
    return signing_key_row{r.text(0), r.text(1), r.integer(2)};
  });
}

status sqlite_store::add_signing_key(const signing_key_row& k) {
  statement s{db_.get(), "INSERT OR IGNORE INTO signing_keys (kid, secret, "
                         "created_at_ms) VALUES (?, ?, ?)"};
  s.bind(k.kid, k.secret, k.created_at_ms);
  return run(db_.get(), s, "adding a signing key").st;
}

status sqlite_store::put_secret(const secret_row& x) {
  statement s{db_.get(),
              "INSERT INTO secrets (name, kek_id, wrapped_key, ciphertext, "
              "updated_at_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO "
              "UPDATE SET kek_id = excluded.kek_id, wrapped_key = "
              "excluded.wrapped_key, ciphertext = excluded.ciphertext, "
              "updated_at_ms = excluded.updated_at_ms"};
  s.bind(x.name, x.kek_id, x.wrapped_key, x.ciphertext, x.updated_at_ms);
  return run(db_.get(), s, "storing secret " + x.name).st;
}

outcome<std::vector<secret_row>> sqlite_store::secrets() {
  statement s{db_.get(), "SELECT name, kek_id, wrapped_key, ciphertext, "
                         "updated_at_ms FROM secrets ORDER BY name"};
  return all_rows<secret_row>(s, "reading secrets", [](auto& r) {
    return secret_row{r.text(0), r.text(1), r.text(2), r.text(3), r.integer(4)};
  });
}

outcome<bool> sqlite_store::record_rating(const std::string& execution_id,
                                          const std::string& step_id,
                                          const std::string& user_id,
                                          double score) {
  outcome<bool> out{{}, false};
  out.st = transaction([&]() -> status {
    statement upd{db_.get(),
                  "UPDATE result_ratings SET score = ?, rated_at_ms = ? WHERE "
                  "execution_id = ? AND step_id = ? AND user_id = ?"};
    upd.bind(score, now_ms(), execution_id, step_id, user_id);
    auto n = run(db_.get(), upd, "recording a rating");
    if (!n || n.value == 1)
      return n.st;
    statement ins{db_.get(), "INSERT INTO result_ratings (execution_id, "
                             "step_id, user_id, score, rated_at_ms) VALUES "
                             "(?, ?, ?, ?, ?)"};
    ins.bind(execution_id, step_id, user_id, score, now_ms());
    out.value = true;
    return run(db_.get(), ins, "recording a rating").st;
  });
  return out;
}

} // namespace hishamos::persistence::sqlite
