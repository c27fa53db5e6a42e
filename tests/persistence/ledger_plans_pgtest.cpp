#include <catch2/catch.hpp>

// How PostgreSQL reads a large cost ledger. The budget keeper sums each
// workflow's and each department's spend since the start of the UTC day
// or month; the ledger keeps no index by department (migration 0019), so
// these roll-ups must find the period through the created_at index. An
// execution's lines, its decisions and a rating find their rows through
// the ledger's key, (execution_id, step_id, id) since migration 0021.
// Since migration 0022 a step's line may be kept in its checkpoint's row
// instead, and every reader reads both tables (ledger_lines): the same
// holds of the lines there, through the checkpoints' key and the partial
// indexes of lines.

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

// A year of ledger lines of 20 departments and 50 workflows, one day
// apart in turn; execution e<g> has one line, of step s: in task_results
// for odd g, kept with its checkpoint for even g.
void fill_ledger(const test::pg_database& db) {
  auto lines = std::to_string(ledger_rows);
  auto days = std::to_string(days_back);
  db.query("INSERT INTO task_results (execution_id, step_id, agent_id, cost, "
           "workflow, department, created_at) SELECT 'e' || g, 's', 'a', "
           "0.001 * (g % 7), 'W' || (g % 50), 'd' || (g % 20), now() - "
           "(g % " +
           days + ") * interval '1 day' FROM generate_series(1, " + lines +
           ", 2) g");
  db.query("INSERT INTO workflow_executions (id, workflow_id, definition, "
           "input, state) SELECT 'e' || g, 'W', '{}', '{}', 'completed' FROM "
           "generate_series(2, " +
           lines + ", 2) g");
  db.query("INSERT INTO execution_steps (execution_id, step_id, attempt, "
           "epoch, output, agent_id, started_at, finished_at, cost, line_at, "
           "tokens_in, tokens_out, tokens_cached, cost_avoided, provider, "
           "model, workflow, department) SELECT 'e' || g, 's', 1, 1, "
           "'\\x00'::bytea, 'a', 0, 5, 0.001 * (g % 7), now() - (g % " +
           days +
           ") * interval '1 day', 0, 0, 0, 0, '', '', 'W' || (g % 50), 'd' "
           "|| (g % 20) FROM generate_series(2, " +
           lines + ", 2) g");
  db.query("ANALYZE task_results");
  db.query("ANALYZE execution_steps");
}

// Waits until each table of the ledger counts `scans` scans (a session
// reports its counts all at once, at the latest as it ends), then says how
// many lines sequential scans read of both.
std::int64_t lines_read_whole(const test::pg_database& db, int scans) {
  auto scanned = [&](const char* table) {
    return stat_of(db, "pg_stat_user_tables", "seq_scan + idx_scan", table) >=
           scans;
  };
  REQUIRE(test::wait_until(
      [&] { return scanned("task_results") && scanned("execution_steps"); },
      30s));
  return stat_of(db, "pg_stat_user_tables", "seq_tup_read", "task_results") +
         stat_of(db, "pg_stat_user_tables", "seq_tup_read", "execution_steps");
}

} // namespace

TEST_CASE("the budget keeper's roll-ups of a period's spend by department "
          "and by workflow, and an agent's daily series, read the ledger "
          "through its created_at indexes, not whole",
          "[pg][persistence]") {
  test::pg_database db;
  fill_ledger(db);
  auto month_start = std::stoll(
      db.query("SELECT (extract(epoch FROM date_trunc('month', now() AT TIME "
               "ZONE 'UTC') AT TIME ZONE 'UTC') * 1000)::bigint"));
  auto expected = [&](const std::string& column) {
    return db.query("SELECT count(DISTINCT " + column +
                    ") FROM ledger_lines WHERE created_at >= "
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
  }
  // The agents report: a's lines of the last five days, day by day.
  {
    auto day = [&](int back) {
      return db.query("SELECT to_char(now() AT TIME ZONE 'UTC' - interval '" +
                      std::to_string(back) + " days', 'YYYY-MM-DD')");
    };
    auto opened = open_store(db.url());
    REQUIRE(opened);
    auto series = opened.value->agent_daily_series("a", day(4), day(0));
    INFO(series.st.message);
    REQUIRE(series);
    REQUIRE(series.value.size() == 5);
    std::int64_t tasks = 0;
    for (const auto& p : series.value)
      tasks += p.tasks;
    CHECK(std::to_string(tasks) ==
          db.query("SELECT count(*) FROM ledger_lines WHERE created_at >= "
                   "(date_trunc('day', now() AT TIME ZONE 'UTC') - interval "
                   "'4 days') AT TIME ZONE 'UTC'"));
  }
  auto read_whole = lines_read_whole(db, 3);
  INFO(read_whole << " ledger lines read by sequential scans");
  CHECK(read_whole < ledger_rows / 2); // each table holds half
  CHECK(stat_of(db, "pg_stat_user_indexes", "idx_scan",
                "idx_task_results_created_agent_quality") >= 2);
  CHECK(stat_of(db, "pg_stat_user_indexes", "idx_scan",
                "idx_execution_steps_line_agent_quality") >= 2);
  // What 0019 dropped: no plan may lean on it again.
  CHECK(db.query("SELECT count(*) FROM pg_indexes WHERE tablename = "
                 "'task_results' AND indexdef LIKE '%(department%'") == "0");
}

TEST_CASE("an execution's ledger lines, decisions and a rating of its "
          "result find their rows by the ledger's key, not by reading the "
          "ledger whole",
          "[pg][persistence]") {
  test::pg_database db;
  fill_ledger(db);
  // The key is the only index by execution: one entry a line (0021).
  CHECK(db.query("SELECT indexdef FROM pg_indexes WHERE indexname = "
                 "'task_results_pkey'") ==
        "CREATE UNIQUE INDEX task_results_pkey ON public.task_results USING "
        "btree (execution_id, step_id, id)");
  CHECK(db.query("SELECT count(*) FROM pg_indexes WHERE tablename = "
                 "'task_results' AND indexdef LIKE '%(execution_id%'") == "1");
  {
    auto opened = open_store(db.url());
    INFO(opened.st.message);
    REQUIRE(opened);
    auto& s = *opened.value;
    // A second line of e7's step s, newer than the one fill_ledger made.
    task_result_record again{"e7", "s", "b",      -1,   0.5, 10,
                             20,   5,   now_ms(), "{}", 1};
    REQUIRE(s.append_records({{again}}));
    REQUIRE(s.rate_result("e7", "s", 0.25));
    auto lines = s.results_of("e7");
    REQUIRE(lines);
    REQUIRE(lines.value.size() == 2);
    CHECK(lines.value[0].quality_score == -1); // the older line, unrated
    CHECK(lines.value[1].quality_score == 0.25);
    CHECK(lines.value[1].agent_id == "b");
    REQUIRE(s.decisions_of("e7"));
    CHECK(s.rate_result("e7", "none", 1).code == errc::not_found);
    // e8's line is kept with its checkpoint.
    REQUIRE(s.rate_result("e8", "s", 0.75));
    auto kept = s.results_of("e8");
    REQUIRE(kept);
    REQUIRE(kept.value.size() == 1);
    CHECK(kept.value[0].quality_score == 0.75);
    CHECK(kept.value[0].latency_ms == 5);
  }
  auto read_whole = lines_read_whole(db, 6);
  INFO(read_whole << " ledger lines read by sequential scans");
  CHECK(read_whole < ledger_rows / 2); // each table holds half
}
