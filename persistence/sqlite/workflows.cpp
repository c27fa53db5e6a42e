// SQLite: the stored workflows.

#include "persistence/sqlite/connection.hpp"

namespace hishamos::persistence::sqlite {

status sqlite_store::sync_workflows(const std::vector<workflow_row>& xs) {
  return transaction([&]() -> status {
    for (const auto& w : xs) {
      statement up{db_.get(),
                   "INSERT INTO workflows (id, version, status, department, "
                   "definition, created_at) VALUES (?, ?, ?, ?, ?, ?) ON "
                   "CONFLICT (id) DO UPDATE SET version = excluded.version, "
                   "status = excluded.status, department = "
                   "excluded.department, definition = excluded.definition"};
      up.bind(w.name, w.version, w.status, w.department, w.definition,
              now_ms());
      if (int rc = up.step(); rc != SQLITE_DONE)
        return up.error("storing workflow " + w.name, rc);
    }
    return {};
  });
}

} // namespace hishamos::persistence::sqlite
