// PostgreSQL: the stored workflows.

#include "persistence/pg/connection.hpp"

namespace hishamos::persistence::pg {

status pg_store::sync_workflows(const std::vector<workflow_row>& xs) {
  return guarded("storing catalog workflows", [&]() -> status {
    pqxx::work tx{*conn_};
    for (const auto& w : xs)
      tx.exec_params0(
          "INSERT INTO workflows (id, version, status, department, "
          "definition) VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (id) "
          "DO UPDATE SET version = EXCLUDED.version, status = "
          "EXCLUDED.status, department = EXCLUDED.department, definition = "
          "EXCLUDED.definition",
          w.name, w.version, w.status, w.department, w.definition);
    tx.commit();
    return {};
  });
}

} // namespace hishamos::persistence::pg
