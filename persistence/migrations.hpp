#pragma once

#include <vector>

namespace hishamos::persistence {

/// One forward-only schema migration, embedded from migrations/<backend>/.
struct migration {
  int version;
  const char* name;
  const char* sql;
};

/// The SQLite migrations in version order.
[[nodiscard]] const std::vector<migration>& sqlite_migrations();

} // namespace hishamos::persistence
