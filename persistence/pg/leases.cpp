// PostgreSQL: node leases, in database time so that every node compares
// against the same clock.

#include "persistence/pg/connection.hpp"

namespace hishamos::persistence::pg {

status pg_store::heartbeat(const std::string& node_id, std::int64_t lease_ms) {
  return guarded("renewing the lease of " + node_id, [&]() -> status {
    pqxx::work tx{*conn_};
    tx.exec_params0(
        "INSERT INTO nodes (id, lease_expires_at) VALUES "
        "($1, now() + $2 * interval '1 millisecond') ON CONFLICT (id) DO "
        "UPDATE SET lease_expires_at = EXCLUDED.lease_expires_at, "
        "heartbeat_at = now()",
        node_id, lease_ms);
    tx.commit();
    return {};
  });
}

status pg_store::register_node(const node_row& x, std::int64_t lease_ms) {
  return guarded("registering node " + x.id, [&]() -> status {
    pqxx::work tx{*conn_};
    tx.exec_params0(
        "INSERT INTO nodes (id, lease_expires_at, address, http_address) "
        "VALUES ($1, now() + $2 * interval '1 millisecond', $3, $4) ON "
        "CONFLICT (id) DO UPDATE SET lease_expires_at = "
        "EXCLUDED.lease_expires_at, address = EXCLUDED.address, "
        "http_address = EXCLUDED.http_address, heartbeat_at = now(), "
        "started_at = now()",
        x.id, lease_ms, x.address, x.http_address);
    tx.commit();
    return {};
  });
}

outcome<std::vector<node_row>> pg_store::nodes() {
  outcome<std::vector<node_row>> out;
  out.st = guarded("listing nodes", [&]() -> status {
    pqxx::work tx{*conn_};
    for (const auto& r :
         tx.exec("SELECT id, address, http_address, (extract(epoch FROM "
                 "lease_expires_at) * 1000)::bigint, (extract(epoch FROM "
                 "started_at) * 1000)::bigint, lease_expires_at > now() FROM "
                 "nodes ORDER BY id"))
      out.value.push_back({r[0].c_str(), r[1].c_str(), r[2].c_str(),
                           r[3].as<std::int64_t>(), r[4].as<std::int64_t>(),
                           r[5].as<bool>()});
    return {};
  });
  return out;
}

status pg_store::release_lease(const std::string& node_id) {
  return guarded("releasing the lease of " + node_id, [&]() -> status {
    pqxx::work tx{*conn_};
    tx.exec_params0(
        "UPDATE nodes SET lease_expires_at = now() - interval '1 second' "
        "WHERE id = $1",
        node_id);
    tx.commit();
    return {};
  });
}

} // namespace hishamos::persistence::pg
