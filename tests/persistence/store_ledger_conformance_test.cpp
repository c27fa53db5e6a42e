#include <catch2/catch.hpp>

// The cost ledger's lines kept with their checkpoints (store_identity.
// ledger_with_checkpoints): a step's line written in its checkpoint's own
// row, and read, rolled up and rated with the lines of task_results by
// every reader.

#include "tests/persistence/conformance.hpp"
#include "tests/support/earlier_store.hpp"

using namespace conformance;

namespace {

constexpr std::int64_t nov1_10h = 1793527200000; // 2026-11-01T10:00Z

// A checkpoint of `step` with its ledger line, as an execution sends it:
// the line names the row's execution, step, agent, cost and latency.
checkpoint with_line(const std::string& exec, const std::string& step,
                     std::int64_t at_ms, double cost) {
  auto c = cp(exec, step, 1, "out of " + step);
  c.cost = cost;
  task_result_record x;
  x.execution_id = exec;
  x.step_id = step;
  x.agent_id = c.agent_id;
  x.cost = cost;
  x.tokens_in = 10;
  x.tokens_out = 20;
  x.latency_ms = c.finished_at_ms - c.started_at_ms;
  x.created_at_ms = at_ms;
  x.decision = R"({"chosen":"fast"})";
  x.template_version = 2;
  x.tokens_cached = 4;
  x.cost_avoided = 0.125;
  x.provider = "p";
  x.model = "m";
  x.workflow = "W";
  x.department = "eng";
  c.ledger.push_back(x);
  return c;
}

std::vector<cost_row> rollup(store& s, cost_grouping by,
                             std::int64_t from_ms = 0,
                             const std::string& workflow = "") {
  cost_query q;
  q.by = by;
  q.from_ms = from_ms;
  q.workflow = workflow;
  auto got = s.cost_rollup(q);
  INFO(got.st.message);
  REQUIRE(got);
  return got.value;
}

} // namespace

TEST_CASE("a step's ledger line is kept in its checkpoint's row, once, and "
          "is read, rolled up and rated as every other line",
          ROLE("records")) {
  fresh_store f;
  auto s = f.open();
  REQUIRE(s->settings().value.ledger_with_checkpoints);
  REQUIRE(s->create_execution(sample("e1")));
  auto a = with_line("e1", "a", nov1_10h, 0.5);
  auto saved = s->save_checkpoints({a, a}); // sent twice in one group
  REQUIRE(saved);
  CHECK(saved.value.at(0));
  CHECK(saved.value.at(1));
  REQUIRE(s->save_checkpoints({a}).value.at(0)); // and once more, later
  CHECK(f.query("SELECT count(*) FROM task_results") == "0");
  CHECK(f.query("SELECT count(*) FROM execution_steps WHERE line_at IS NOT "
                "NULL") == "1");
  CHECK(s->count_ledger_lines().value == 1);

  auto lines = s->results_of("e1");
  INFO(lines.st.message);
  REQUIRE(lines);
  REQUIRE(lines.value.size() == 1);
  const auto& line = lines.value[0];
  const auto& sent = a.ledger[0];
  CHECK(line.execution_id == "e1");
  CHECK(line.step_id == "a");
  CHECK(line.agent_id == sent.agent_id);
  CHECK(line.quality_score == -1);
  CHECK(line.cost == Approx(0.5));
  CHECK(line.tokens_in == 10);
  CHECK(line.tokens_out == 20);
  CHECK(line.latency_ms == sent.latency_ms);
  CHECK(line.created_at_ms == nov1_10h);
  CHECK(line.decision == sent.decision);
  CHECK(line.template_version == 2);
  CHECK(line.tokens_cached == 4);
  CHECK(line.cost_avoided == Approx(0.125));
  CHECK(line.provider == "p");
  CHECK(line.model == "m");
  CHECK(line.workflow == "W");
  CHECK(line.department == "eng");

  auto decisions = s->decisions_of("e1");
  REQUIRE(decisions);
  CHECK(decisions.value["a"].decision == sent.decision);
  CHECK(decisions.value["a"].template_version == 2);

  // A budget's sum of the workflow's spend since a period start.
  auto spend = rollup(*s, cost_grouping::workflow, nov1_10h, "W");
  REQUIRE(spend.size() == 1);
  CHECK(spend[0].calls == 1);
  CHECK(spend[0].cost == Approx(0.5));
  CHECK(spend[0].cost_avoided == Approx(0.125));
  CHECK(spend[0].tokens_cached == 4);
  CHECK(rollup(*s, cost_grouping::workflow, nov1_10h + 1).empty());
  auto days = rollup(*s, cost_grouping::day);
  REQUIRE(days.size() == 1);
  CHECK(days[0].key == "2026-11-01");

  REQUIRE(s->rate_result("e1", "a", 0.75));
  CHECK(s->results_of("e1").value.at(0).quality_score == 0.75);
  auto series = s->agent_daily_series("fast", "2026-11-01", "2026-11-01");
  INFO(series.st.message);
  REQUIRE(series);
  REQUIRE(series.value.size() == 1);
  CHECK(series.value[0].executions == 1);
  CHECK(series.value[0].tasks == 1);
  CHECK(series.value[0].avg_quality == Approx(0.75));
  CHECK(series.value[0].cost == Approx(0.5));
  CHECK(s->rate_result("e1", "zz", 0.5).code == errc::not_found);
}

TEST_CASE("a ledger line that says another agent, cost or latency than its "
          "checkpoint gets a row of its own, and is read with the others",
          ROLE("records")) {
  fresh_store f;
  auto s = f.open();
  REQUIRE(s->create_execution(sample("e1")));
  auto other_agent = with_line("e1", "a", nov1_10h, 0.5);
  other_agent.ledger[0].agent_id = "other";
  auto other_cost = with_line("e1", "b", nov1_10h + 1, 0.5);
  other_cost.ledger[0].cost = 0.25;
  auto other_latency = with_line("e1", "c", nov1_10h + 2, 0.5);
  other_latency.ledger[0].latency_ms += 7;
  auto kept = with_line("e1", "d", nov1_10h + 3, 0.5);
  auto saved =
      s->save_checkpoints({other_agent, other_cost, other_latency, kept});
  REQUIRE(saved);
  for (const auto& st : saved.value)
    CHECK(st);
  CHECK(f.query("SELECT count(*) FROM task_results") == "3");
  CHECK(s->count_ledger_lines().value == 4);
  auto lines = s->results_of("e1").value;
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].agent_id == "other");
  CHECK(lines[1].cost == Approx(0.25));
  CHECK(lines[2].latency_ms == other_latency.ledger[0].latency_ms);
  CHECK(lines[3].step_id == "d");
}

TEST_CASE("a store an earlier release made keeps ledger lines in "
          "task_results until finalized, then with their checkpoints, and "
          "reads the lines of both as one ledger",
          ROLE("records")) {
  fresh_store f;
  f.open();
  f.exec(test::undo_migrations_from_18);
  auto s = f.open(); // migrated, not made, by this release
  REQUIRE_FALSE(s->settings().value.ledger_with_checkpoints);
  REQUIRE(s->create_execution(sample("e1")));
  REQUIRE(
      s->save_checkpoints({with_line("e1", "a", nov1_10h, 0.5)}).value.at(0));
  CHECK(f.query("SELECT count(*) FROM task_results") == "1");

  REQUIRE(s->adopt_release_formats()); // hishamos db finalize
  REQUIRE(s->save_checkpoints({with_line("e1", "b", nov1_10h + 1000, 0.25)})
              .value.at(0));
  CHECK(f.query("SELECT count(*) FROM task_results") == "1");
  CHECK(s->count_ledger_lines().value == 2);

  auto lines = s->results_of("e1").value;
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].step_id == "a"); // oldest first
  CHECK(lines[1].step_id == "b");
  auto spend = rollup(*s, cost_grouping::workflow, nov1_10h, "W");
  REQUIRE(spend.size() == 1);
  CHECK(spend[0].calls == 2);
  CHECK(spend[0].cost == Approx(0.75));
  CHECK(s->decisions_of("e1").value.size() == 2);
  CHECK(s->rate_result("e1", "a", 0.5));
  CHECK(s->rate_result("e1", "b", 1.0));
  auto rated = s->results_of("e1").value;
  CHECK(rated[0].quality_score == 0.5);
  CHECK(rated[1].quality_score == 1.0);
}
