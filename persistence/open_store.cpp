#include "persistence/open_store.hpp"

#include "model/redaction.hpp"

#include "persistence/pg/pg_store.hpp"
#include "persistence/sqlite/sqlite_store.hpp"

namespace hishamos::persistence {

std::string redact_url(const std::string& url) {
  return model::redact_url(url);
}

outcome<std::unique_ptr<store>> open_store(const std::string& url) {
  const std::string sqlite_prefix = "sqlite:";
  if (url.rfind(sqlite_prefix, 0) == 0)
    return sqlite::open(url.substr(sqlite_prefix.size()));
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0)
    return pg::open(url);
  auto scheme = url.substr(0, std::min<size_t>(url.find(':'), 32));
  return {{errc::invalid,
           "unsupported store URL scheme '" + scheme +
               "'; fix: use sqlite:PATH or postgresql://USER@HOST/DB"},
          nullptr};
}

} // namespace hishamos::persistence
