#include "persistence/store.hpp"

#include <chrono>
#include <ctime>
#include <iomanip>
#include <sstream>

#include "persistence/pg/pg_store.hpp"
#include "persistence/sqlite/sqlite_store.hpp"

namespace hishamos::persistence {

status check_workflow_query(const workflow_query& q) {
  if (q.page < 1)
    return {errc::invalid,
            "page must be 1 or more (got " + std::to_string(q.page) + ")"};
  if (q.limit < 1 || q.limit > 100)
    return {errc::invalid, "limit must be from 1 to 100 (got " +
                               std::to_string(q.limit) + ")"};
  return {};
}

namespace {

// Days since 1970-01-01 of a YYYY-MM-DD date, or nullopt.
std::optional<std::int64_t> day_number(const std::string& text) {
  std::tm tm{};
  std::istringstream in{text};
  in >> std::get_time(&tm, "%Y-%m-%d");
  if (in.fail() || text.size() != 10 || in.peek() != EOF)
    return std::nullopt;
  auto t = timegm(&tm);
  // timegm normalises 2026-02-30 to March: reject such dates.
  std::tm back{};
  gmtime_r(&t, &back);
  if (back.tm_mday != tm.tm_mday)
    return std::nullopt;
  return t / 86400;
}

} // namespace

std::optional<std::int64_t> day_start_ms(const std::string& day) {
  auto n = day_number(day);
  if (!n)
    return std::nullopt;
  return *n * 86400 * 1000;
}

status check_day_range(const std::string& from_day, const std::string& to_day) {
  auto from = day_number(from_day);
  auto to = day_number(to_day);
  if (!from || !to)
    return {errc::invalid, "dates must be YYYY-MM-DD (got from '" + from_day +
                               "', to '" + to_day + "')"};
  if (*to < *from)
    return {errc::invalid,
            "to (" + to_day + ") is before from (" + from_day + ")"};
  if (*to - *from > 365)
    return {errc::invalid, "the range spans more than 366 days; ask for a "
                           "year or less at a time"};
  return {};
}

namespace {
constexpr const char* cost_grouping_names[] = {
    "step", "execution", "agent", "workflow", "department", "day"};
}

const char* to_string(cost_grouping x) {
  return cost_grouping_names[static_cast<int>(x)];
}

std::optional<cost_grouping> parse_cost_grouping(const std::string& x) {
  for (int i = 0; i < 6; ++i)
    if (x == cost_grouping_names[i])
      return static_cast<cost_grouping>(i);
  return std::nullopt;
}

status check_cost_query(const cost_query& q) {
  if (q.limit < 1 || q.limit > 1000)
    return {errc::invalid,
            "limit must be 1..1000 (got " + std::to_string(q.limit) + ")"};
  if (q.from_ms < 0 || q.to_ms < 0 || (q.to_ms > 0 && q.to_ms < q.from_ms))
    return {errc::invalid, "the time range ends before it starts"};
  return {};
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
