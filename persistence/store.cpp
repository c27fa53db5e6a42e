#include "persistence/store.hpp"

#include <chrono>

#include "persistence/pg/pg_store.hpp"
#include "persistence/sqlite/sqlite_store.hpp"

namespace hishamos::persistence {

namespace {
constexpr const char* state_names[] = {"pending",   "running", "paused",
                                       "completed", "failed",  "cancelled"};
} // namespace

const char* to_string(execution_state x) {
  return state_names[static_cast<int>(x)];
}

std::optional<execution_state> parse_execution_state(const std::string& x) {
  for (int i = 0; i < 6; ++i)
    if (x == state_names[i])
      return static_cast<execution_state>(i);
  return std::nullopt;
}

bool is_terminal(execution_state x) {
  return x == execution_state::completed || x == execution_state::failed ||
         x == execution_state::cancelled;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

std::string redact_url(const std::string& url) {
  auto scheme = url.find("://");
  auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos)
    return url;
  auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at)
    return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

outcome<std::unique_ptr<store>> open_store(const std::string& url) {
  const std::string sqlite_prefix = "sqlite:";
  if (url.rfind(sqlite_prefix, 0) == 0)
    return sqlite::open(url.substr(sqlite_prefix.size()));
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0)
    return pg::open(url);
  auto scheme = url.substr(0, url.find(':'));
  return {{errc::invalid,
           "unsupported store URL scheme '" + scheme +
               "'; fix: use sqlite:PATH or postgresql://USER@HOST/DB"},
          nullptr};
}

} // namespace hishamos::persistence
