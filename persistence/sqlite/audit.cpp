// SQLite: reading the audit log and its hash chain.

#include "persistence/sqlite/connection.hpp"

namespace hishamos::persistence::sqlite {

namespace {

constexpr const char* audit_columns =
    "id, COALESCE(user_id, ''), action, details, created_at, prev_hash, hash";

audit_row read_audit(const statement& s) {
  return {s.integer(0),
          {s.text(1), s.text(2), s.text(3), s.integer(4)},
          s.text(5),
          s.text(6)};
}

template <class Row>
status read_all(statement& s, std::vector<Row>& out, const char* what) {
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.push_back(read_audit(s));
  return rc == SQLITE_DONE ? status{} : s.error(what, rc);
}

} // namespace

outcome<std::vector<audit_row>> sqlite_store::audit_rows(std::int64_t after_id,
                                                         int limit) {
  statement s{db_.get(), (std::string{"SELECT "} + audit_columns +
                          " FROM audit_logs WHERE id > ? AND hash <> '' "
                          "ORDER BY id LIMIT ?")
                             .c_str()};
  s.bind(after_id, limit);
  outcome<std::vector<audit_row>> out;
  out.st = read_all(s, out.value, "reading the audit log");
  return out;
}

outcome<audit_head> sqlite_store::audit_chain_head() {
  statement s{db_.get(), "SELECT last_id, last_hash FROM audit_chain_head"};
  if (int rc = s.step(); rc != SQLITE_ROW)
    return {s.error("reading the audit chain's head", rc), {}};
  return {{}, {s.integer(0), s.text(1)}};
}

outcome<audit_page> sqlite_store::list_audit(const audit_query& q) {
  const std::string where =
      " FROM audit_logs WHERE (?1 = '' OR user_id = ?1) AND (?2 = '' OR "
      "action = ?2) AND (?3 = 0 OR created_at >= ?3) AND (?4 = 0 OR "
      "created_at < ?4)";
  outcome<audit_page> out;
  statement count{db_.get(), ("SELECT count(*)" + where).c_str()};
  count.bind(q.user_id, q.action, q.from_ms, q.to_ms);
  if (int rc = count.step(); rc != SQLITE_ROW)
    return {count.error("counting the audit log", rc), {}};
  out.value.total = count.integer(0);
  statement s{db_.get(), (std::string{"SELECT "} + audit_columns + where +
                          " ORDER BY id DESC LIMIT ?5 OFFSET ?6")
                             .c_str()};
  s.bind(q.user_id, q.action, q.from_ms, q.to_ms, q.limit,
         static_cast<std::int64_t>(q.page - 1) * q.limit);
  out.st = read_all(s, out.value.rows, "listing the audit log");
  return out;
}

} // namespace hishamos::persistence::sqlite
