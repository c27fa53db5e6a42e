#include <catch2/catch.hpp>

// How PostgreSQL runs the writer's prepared group statements once the
// executions table has grown from empty under a connection that planned
// them while it was small (a new deployment, or a node that came up first).

#include "tests/persistence/conformance.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;

namespace {

constexpr int group_size = 25;
constexpr int grown_by = 20000;

// One writer flush's worth: `group_size` new executions, a checkpoint of
// each, then each completed.
void run_groups(store& s, int& made, int rounds) {
  for (int round = 0; round < rounds; ++round) {
    std::vector<execution_record> xs;
    std::vector<checkpoint> cps;
    std::vector<state_change> changes;
    for (int i = 0; i < group_size; ++i) {
      auto x = conformance::sample("e" + std::to_string(made++));
      xs.push_back(x);
      cps.push_back(conformance::cp(x.id, "s", 1));
      changes.push_back({x.id, 1, execution_state::completed, "{}", ""});
    }
    auto created = s.create_executions(xs);
    REQUIRE(created);
    auto saved = s.save_group(cps, changes);
    REQUIRE(saved.checkpoints);
    REQUIRE(saved.changes);
    for (const auto& st : saved.checkpoints.value)
      REQUIRE(st);
    for (const auto& st : saved.changes.value)
      REQUIRE(st);
  }
}

std::int64_t stat_of(const test::pg_database& db, const std::string& column,
                     const std::string& table) {
  auto v =
      db.query("SELECT " + column +
               " FROM pg_stat_user_tables WHERE relname = '" + table + "'");
  return v.empty() ? 0 : std::stoll(v);
}

} // namespace

TEST_CASE("the writer's group statements find executions by key after the "
          "table grew from empty under them: none reads workflow_executions "
          "whole",
          "[pg][persistence]") {
  test::pg_database db;
  // Statistics stay those of the empty table, as until autovacuum's
  // first analyze: nothing but the connection's own plans decides.
  db.query("ALTER TABLE workflow_executions SET (autovacuum_enabled = false)");
  auto opened = open_store(db.url());
  INFO(opened.st.message);
  REQUIRE(opened);
  int made = 0;
  run_groups(*opened.value, made, 8); // past the 5 a generic plan waits for
  // Executions of other nodes, behind this connection's back.
  db.query("INSERT INTO workflow_executions (id, workflow_id, definition, "
           "input, state, epoch) SELECT 'other' || g, 'W', '{}', '{}', "
           "'completed', 1 FROM generate_series(1, " +
           std::to_string(grown_by) + ") g");
  run_groups(*opened.value, made, 8);
  // A session reports its counts all at once, at the latest as it ends.
  opened.value.reset();
  REQUIRE(test::wait_until(
      [&] { return stat_of(db, "n_tup_ins", "execution_steps") == made; },
      30s));
  auto read_by_scans = stat_of(db, "seq_tup_read", "workflow_executions");
  INFO(read_by_scans << " execution rows read by sequential scans");
  CHECK(read_by_scans < grown_by);
}
