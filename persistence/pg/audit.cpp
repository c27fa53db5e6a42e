// PostgreSQL: reading the audit log and its hash chain.

#include "persistence/pg/connection.hpp"

namespace hishamos::persistence::pg {

namespace {

constexpr const char* audit_columns =
    "id, COALESCE(user_id, ''), action, details::text, created_at_ms, "
    "prev_hash, hash";

audit_row read_audit(const pqxx::row& r) {
  return {r[0].as<std::int64_t>(),
          {r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].as<std::int64_t>()},
          r[5].c_str(),
          r[6].c_str()};
}

} // namespace

outcome<std::vector<audit_row>> pg_store::audit_rows(std::int64_t after_id,
                                                     int limit) {
  outcome<std::vector<audit_row>> out;
  out.st = guarded("reading the audit log", [&]() -> status {
    pqxx::nontransaction tx{*conn_};
    for (const auto& r : tx.exec_params(
             std::string{"SELECT "} + audit_columns +
                 " FROM audit_logs WHERE id > $1 AND hash <> '' ORDER BY id "
                 "LIMIT $2",
             after_id, limit))
      out.value.push_back(read_audit(r));
    return {};
  });
  return out;
}

outcome<audit_head> pg_store::audit_chain_head() {
  outcome<audit_head> out;
  out.st = guarded("reading the audit chain's head", [&]() -> status {
    pqxx::nontransaction tx{*conn_};
    auto r = tx.exec1("SELECT last_id, last_hash FROM audit_chain_head");
    out.value = {r[0].as<std::int64_t>(), r[1].c_str()};
    return {};
  });
  return out;
}

outcome<audit_page> pg_store::list_audit(const audit_query& q) {
  outcome<audit_page> out;
  out.st = guarded("listing the audit log", [&]() -> status {
    pqxx::nontransaction tx{*conn_};
    const std::string where =
        " FROM audit_logs WHERE ($1 = '' OR user_id = $1) AND ($2 = '' OR "
        "action = $2) AND ($3 = 0 OR created_at_ms >= $3) AND ($4 = 0 OR "
        "created_at_ms < $4)";
    out.value.total = tx.exec_params1("SELECT count(*)" + where, q.user_id,
                                      q.action, q.from_ms, q.to_ms)[0]
                          .as<std::int64_t>();
    for (const auto& r :
         tx.exec_params(std::string{"SELECT "} + audit_columns + where +
                            " ORDER BY id DESC LIMIT $5 OFFSET $6",
                        q.user_id, q.action, q.from_ms, q.to_ms, q.limit,
                        static_cast<std::int64_t>(q.page - 1) * q.limit))
      out.value.rows.push_back(read_audit(r));
    return {};
  });
  return out;
}

} // namespace hishamos::persistence::pg
