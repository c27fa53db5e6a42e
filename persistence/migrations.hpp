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

/// The PostgreSQL migrations in version order. One whose text contains
/// "hishamos:no-transaction" runs statement by statement outside a
/// transaction (for CREATE INDEX CONCURRENTLY).
[[nodiscard]] const std::vector<migration>& pg_migrations();

} // namespace hishamos::persistence
