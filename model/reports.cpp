#include "model/reports.hpp"

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <iterator>
#include <sstream>

namespace hishamos::model {

namespace {

constexpr const char* cost_grouping_names[] = {
    "step", "execution", "agent", "workflow", "department", "day"};

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

const char* to_string(cost_grouping x) {
  auto i = static_cast<unsigned>(x);
  return i < std::size(cost_grouping_names) ? cost_grouping_names[i]
                                            : "invalid";
}

std::optional<cost_grouping> parse_cost_grouping(const std::string& x) {
  for (size_t i = 0; i < std::size(cost_grouping_names); ++i)
    if (x == cost_grouping_names[i])
      return static_cast<cost_grouping>(i);
  return std::nullopt;
}

std::string check(const workflow_query& q) {
  if (q.page < 1)
    return "page must be 1 or more (got " + std::to_string(q.page) + ")";
  if (q.limit < 1 || q.limit > 100)
    return "limit must be from 1 to 100 (got " + std::to_string(q.limit) + ")";
  return {};
}

std::string check(const execution_query& q) {
  static const char* states[] = {"",          "pending",    "running",
                                 "paused",    "completed",  "failed",
                                 "cancelled", "quarantined"};
  if (std::find(std::begin(states), std::end(states), q.state) ==
      std::end(states))
    return "state must be pending, running, paused, completed, failed, "
           "cancelled or quarantined";
  if (q.page < 1 || q.page > 1000000)
    return "page must be from 1 to 1000000 (got " + std::to_string(q.page) +
           ")";
  if (q.limit < 1 || q.limit > 100)
    return "limit must be from 1 to 100 (got " + std::to_string(q.limit) + ")";
  if (q.from_ms < 0 || q.to_ms < 0 || (q.to_ms > 0 && q.to_ms < q.from_ms))
    return "the time range ends before it starts";
  return {};
}

std::string check(const cost_query& q) {
  if (q.limit < 1 || q.limit > 1000)
    return "limit must be 1..1000 (got " + std::to_string(q.limit) + ")";
  if (q.from_ms < 0 || q.to_ms < 0 || (q.to_ms > 0 && q.to_ms < q.from_ms))
    return "the time range ends before it starts";
  return {};
}

std::string check_day_range(const std::string& from_day,
                            const std::string& to_day) {
  auto from = day_number(from_day);
  auto to = day_number(to_day);
  if (!from || !to)
    return "dates must be YYYY-MM-DD (got from '" + from_day.substr(0, 32) +
           "', to '" + to_day.substr(0, 32) + "')";
  if (*to < *from)
    return "to (" + to_day + ") is before from (" + from_day + ")";
  if (*to - *from > 365)
    return "the range spans more than 366 days; ask for a year or less at a "
           "time";
  return {};
}

std::optional<std::int64_t> day_start_ms(const std::string& day) {
  auto n = day_number(day);
  if (!n)
    return std::nullopt;
  return *n * 86400 * 1000;
}

} // namespace hishamos::model
