#include <catch2/catch.hpp>

// How PostgreSQL reads the cost ledger for budgets: the budget keeper sums
// each workflow's and each department's spend since the start of the UTC
// day or month. The ledger keeps no index by department (migration 0019):
// these roll-ups must find the period through the created_at index.

#include "tests/persistence/conformance.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;

namespace {

constexpr int ledger_rows = 60000;
constexpr int days_back = 400; // the period holds a few days of these

std::int64_t stat_of(const test::pg_database& db, const std::string& view,
                     const std::string& column, const std::string& name) {
  auto key = view == "pg_stat_user_indexes" ? "indexrelname" : "relname";
  auto v = db.query("SELECT " + column + " FROM " + view + " WHERE " + key +
                    " = '" + name + "'");
  return v.empty() ? 0 : std::stoll(v);
}

} // namespace

TEST_CASE("the budget keeper's roll-ups of a period's spend by department "
          "and by workflow read the ledger through its created_at index, "
          "not whole",
          "[pg][persistence]") {
  test::pg_database db;
  // A year of ledger lines of 20 departments and 50 workflows, one day
  // apart in turn.
  db.query("INSERT INTO task_results (execution_id, step_id, agent_id, cost, "
           "workflow, department, created_at) SELECT 'e' || g, 's', 'a', "
           "0.001 * (g % 7), 'W' || (g % 50), 'd' || (g % 20), now() - "
           "(g % " +
           std::to_string(days_back) +
           ") * interval '1 day' FROM generate_series(1, " +
           std::to_string(ledger_rows) + ") g");
  db.query("ANALYZE task_results");
  auto month_start = std::stoll(
      db.query("SELECT (extract(epoch FROM date_trunc('month', now() AT TIME "
               "ZONE 'UTC') AT TIME ZONE 'UTC') * 1000)::bigint"));
  auto expected = [&](const std::string& column) {
    return db.query("SELECT count(DISTINCT " + column +
                    ") FROM task_results WHERE created_at >= "
                    "to_timestamp(" +
                    std::to_string(month_start) + " / 1000.0)");
  };
  {
    auto opened = open_store(db.url());
    INFO(opened.st.message);
    REQUIRE(opened);
    for (auto by : {cost_grouping::department, cost_grouping::workflow}) {
      cost_query q;
      q.by = by;
      q.from_ms = month_start;
      q.limit = 1000; // as the budget keeper asks
      auto rows = opened.value->cost_rollup(q);
      INFO(rows.st.message);
      REQUIRE(rows);
      CHECK(std::to_string(rows.value.size()) ==
            expected(by == cost_grouping::department ? "department"
                                                     : "workflow"));
    }
  } // A session reports its counts all at once, at the latest as it ends.
  REQUIRE(test::wait_until(
      [&] {
        return stat_of(db, "pg_stat_user_tables", "seq_scan + idx_scan",
                       "task_results") >= 2;
      },
      30s));
  auto read_whole =
      stat_of(db, "pg_stat_user_tables", "seq_tup_read", "task_results");
  INFO(read_whole << " ledger rows read by sequential scans");
  CHECK(read_whole < ledger_rows);
  CHECK(stat_of(db, "pg_stat_user_indexes", "idx_scan",
                "idx_task_results_created_agent_quality") >= 2);
  // What 0019 dropped: no plan may lean on it again.
  CHECK(db.query("SELECT count(*) FROM pg_indexes WHERE tablename = "
                 "'task_results' AND indexdef LIKE '%(department%'") == "0");
}
