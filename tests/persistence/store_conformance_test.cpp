#include <catch2/catch.hpp>

// The store conformance suite: the same cases run against every backend
// (tests/persistence/conformance.hpp).

#include "tests/persistence/conformance.hpp"

using namespace conformance;

TEST_CASE("migrations apply once and are idempotent", ROLE("schema")) {
  fresh_store fresh;
  auto s = fresh.open();
  auto v = s->schema_version();
  REQUIRE(v);
  CHECK(v.value >= 1);
  CHECK(s->migrate());
  CHECK(s->schema_version().value == v.value);
}

TEST_CASE("creating an execution again is a no-op that keeps its state",
          ROLE("executions")) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->create_execution(sample("e1")));
  REQUIRE(s->change_state({"e1", 1, execution_state::completed, "{}", ""}));
  // A create retried after an unknown commit outcome.
  CHECK(s->create_execution(sample("e1")));
  CHECK(s->find_execution("e1").value->state == execution_state::completed);
  CHECK(s->list_executions({}).value.items.size() == 1);
}

TEST_CASE("the store keeps one row when a step is saved twice",
          ROLE("executions")) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->create_execution(sample("e1")));
  auto first = s->save_checkpoints({cp("e1", "a", 1, "first")});
  REQUIRE(first);
  CHECK(first.value.at(0));
  auto second = s->save_checkpoints({cp("e1", "a", 1, "second")});
  REQUIRE(second);
  auto rows = s->checkpoints("e1");
  REQUIRE(rows.value.size() == 1);
  CHECK(rows.value[0].output == "first");
}

TEST_CASE("a checkpoint with a stale epoch is rejected and nothing is written",
          ROLE("executions")) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->create_execution(sample("e1")));
  auto claimed = s->claim_unfinished("n2"); // epoch 1 -> 2
  REQUIRE(claimed);
  REQUIRE(claimed.value.size() == 1);
  CHECK(claimed.value[0].epoch == 2);
  CHECK(claimed.value[0].owner_node == "n2");
  auto saved = s->save_checkpoints({cp("e1", "a", 1), cp("e1", "b", 2)});
  REQUIRE(saved);
  CHECK(saved.value[0].code == errc::stale_epoch);
  CHECK(saved.value[1]);
  auto rows = s->checkpoints("e1").value;
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].step_id == "b");
  CHECK(s->change_state({"e1", 1, execution_state::completed, "{}", ""}).code ==
        errc::stale_epoch);
  CHECK(s->change_state({"e1", 2, execution_state::completed, "{}", ""}));
  CHECK(s->find_execution("e1").value->state == execution_state::completed);
}

TEST_CASE("state changes committed together: a stale one is refused, the "
          "others are stored with their audit events",
          ROLE("executions")) {
  fresh_store fresh;
  auto s = fresh.open();
  for (auto id : {"a", "b", "c"})
    REQUIRE(s->create_execution(sample(id)));
  REQUIRE(s->claim_unfinished("n2")); // every epoch 1 -> 2
  auto before = s->count_audit_events();
  REQUIRE(before);
  state_change done{"a", 2, execution_state::completed, "{}", ""};
  done.audit = {{"u1", "execution.finished", "{}", 1}};
  state_change stale{"b", 1, execution_state::failed, "{}", "x"};
  stale.audit = {{"u1", "execution.failed", "{}", 1}};
  state_change cancelled{"c", 2, execution_state::cancelled, "{}", "cancelled"};
  auto got = s->change_states({done, stale, cancelled});
  REQUIRE(got);
  REQUIRE(got.value.size() == 3);
  CHECK(got.value[0]);
  CHECK(got.value[1].code == errc::stale_epoch);
  CHECK(got.value[2]);
  CHECK(s->find_execution("a").value->state == execution_state::completed);
  CHECK(s->find_execution("b").value->state == execution_state::running);
  CHECK(s->find_execution("c").value->state == execution_state::cancelled);
  // The refused change's audit event is not stored; the kept one's is.
  CHECK(s->count_audit_events().value == before.value + 1);
}

TEST_CASE("finished executions are not claimed again", ROLE("executions")) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->create_execution(sample("done")));
  REQUIRE(s->create_execution(sample("open")));
  REQUIRE(s->change_state({"done", 1, execution_state::completed, "{}", ""}));
  auto claimed = s->claim_unfinished("n1");
  REQUIRE(claimed.value.size() == 1);
  CHECK(claimed.value[0].id == "open");
}

TEST_CASE("an unknown store URL scheme is a clear error", ROLE("schema")) {
  auto s = open_store("mysql://x");
  REQUIRE_FALSE(s);
  CHECK(s.st.code == errc::invalid);
  CHECK_THAT(s.st.message,
             Catch::Contains("unsupported store URL scheme 'mysql'"));
}

TEST_CASE("checkpoint outputs round-trip through msgpack", ROLE("executions")) {
  using namespace std::string_literals;
  std::string text = "line\n\0binary"s;
  auto bytes = encode_output(text);
  CHECK(decode_output(bytes) == text);
  CHECK_FALSE(decode_output("not msgpack"));
}

namespace {

std::int64_t utc_ms(int year, int month, int day, int hour, int minute = 0,
                    int second = 0, int ms = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

task_result_record result(const std::string& exec, const std::string& agent,
                          double quality, double cost, std::int64_t at_ms) {
  return {exec, "s", agent, quality, cost, 10, 20, 5, at_ms};
}

// As result(), taking 15 ms instead of 5.
task_result_record slow_result(const std::string& exec,
                               const std::string& agent, double quality,
                               double cost, std::int64_t at_ms) {
  auto r = result(exec, agent, quality, cost, at_ms);
  r.latency_ms = 15;
  return r;
}

} // namespace

TEST_CASE("the workflow list counts executions, filters and pages",
          ROLE("reports")) {
  fresh_store fresh;
  auto s = fresh.open();
  auto draft = [](std::string name, std::string dept, std::string def) {
    persistence::workflow_draft d;
    d.name = std::move(name);
    d.department = std::move(dept);
    d.definition = std::move(def);
    d.source = "catalog";
    return d;
  };
  REQUIRE(s->sync_workflows({draft("W1", "eng", "{}"), draft("W2", "eng", "{}"),
                             draft("W3", "sales", "{}")}));
  REQUIRE(s->archive_workflow("W2"));
  // A changed file becomes a new active version: still one row per name.
  REQUIRE(s->sync_workflows({draft("W3", "sales", R"({"v": 2})")}));
  for (auto [id, wf] : {std::pair{"e1", "W1"}, {"e2", "W1"}, {"e3", "W3"}}) {
    auto x = sample(id);
    x.workflow_name = wf;
    REQUIRE(s->create_execution(x));
  }
  auto all = s->list_workflows({});
  REQUIRE(all);
  CHECK(all.value.total == 3);
  std::map<std::string, workflow_summary> by_name;
  for (const auto& w : all.value.items)
    by_name[w.name] = w;
  REQUIRE(by_name.size() == 3);
  CHECK(by_name["W1"].execution_count == 2);
  CHECK(by_name["W1"].last_execution_ms > 0);
  CHECK(by_name["W2"].execution_count == 0);
  CHECK(by_name["W2"].last_execution_ms == 0);
  CHECK(by_name["W3"].execution_count == 1);
  CHECK(by_name["W3"].version == 2);

  auto active = s->list_workflows({"active", "", 1, 20});
  REQUIRE(active);
  CHECK(active.value.total == 2);
  for (const auto& w : active.value.items)
    CHECK(w.status == "active");
  auto eng = s->list_workflows({"", "eng", 1, 20});
  REQUIRE(eng);
  CHECK(eng.value.total == 2);
  auto active_eng = s->list_workflows({"active", "eng", 1, 20});
  REQUIRE(active_eng.value.items.size() == 1);
  CHECK(active_eng.value.items[0].name == "W1");

  std::set<std::string> seen;
  for (int page = 1; page <= 3; ++page) {
    auto one = s->list_workflows({"", "", page, 1});
    REQUIRE(one);
    CHECK(one.value.total == 3);
    REQUIRE(one.value.items.size() == 1);
    seen.insert(one.value.items[0].name);
  }
  CHECK(seen.size() == 3); // pages do not overlap
  auto past_end = s->list_workflows({"", "", 4, 1});
  CHECK(past_end.value.items.empty());
  CHECK(past_end.value.total == 3);
}

TEST_CASE("the workflow list rejects a page or limit out of range",
          ROLE("reports")) {
  fresh_store fresh;
  auto s = fresh.open();
  for (auto [page, limit] : {std::pair{0, 20}, {1, 0}, {1, 101}}) {
    auto got = s->list_workflows({"", "", page, limit});
    CHECK(got.st.code == errc::invalid);
  }
  CHECK(s->list_workflows({"", "", 1, 100}));
}

TEST_CASE("an agent's daily series fills days without results with zeros",
          ROLE("reports")) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->append_records({{
      result("e1", "a1", 0.5, 0.1, utc_ms(2026, 11, 1, 0)),
      slow_result("e1", "a1", 1.0, 0.1, utc_ms(2026, 11, 1, 23, 59, 59, 999)),
      result("e2", "a1", -1, 0.2, utc_ms(2026, 11, 3, 0)),        // not scored
      result("e3", "a2", 0.1, 5.0, utc_ms(2026, 11, 1, 12)),      // other agent
      result("e4", "a1", 0.9, 9.0, utc_ms(2026, 10, 30, 23, 59)), // before
  }}));
  auto got = s->agent_daily_series("a1", "2026-10-31", "2026-11-04");
  INFO(got.st.message);
  REQUIRE(got);
  REQUIRE(got.value.size() == 5);
  auto& d = got.value;
  CHECK(d[0].day == "2026-10-31");
  CHECK(d[0].tasks == 0);
  CHECK(d[0].cost == 0);
  CHECK(d[1].day == "2026-11-01");
  CHECK(d[1].executions == 1);
  CHECK(d[1].tasks == 2);
  CHECK(d[1].avg_quality == Approx(0.75));
  CHECK(d[1].cost == Approx(0.2));
  CHECK(d[1].avg_latency_ms == Approx(10)); // 5 and 15 ms
  CHECK(d[0].avg_latency_ms == 0);
  CHECK(d[2].day == "2026-11-02");
  CHECK(d[2].tasks == 0);
  CHECK(d[3].executions == 1);
  CHECK(d[3].avg_quality == 0); // no scored result that day
  CHECK(d[3].cost == Approx(0.2));
  CHECK(d[4].day == "2026-11-04");
  CHECK(d[4].tasks == 0);
}

TEST_CASE("an agent's daily series rejects a bad date range", ROLE("reports")) {
  fresh_store fresh;
  auto s = fresh.open();
  for (auto [from, to] : {std::pair{"2026-11-05", "2026-11-01"},
                          {"2026-13-01", "2026-12-01"},
                          {"yesterday", "2026-11-01"},
                          {"2025-01-01", "2026-11-01"}}) {
    auto got = s->agent_daily_series("a1", from, to);
    INFO(from << " .. " << to << ": " << got.st.message);
    CHECK(got.st.code == errc::invalid);
  }
}

TEST_CASE("optimize refreshes statistics and reports a missing index",
          ROLE("schema")) {
  fresh_store fresh;
  auto s = fresh.open();
  auto clean = s->optimize();
  INFO(clean.st.message);
  REQUIRE(clean);
  CHECK_FALSE(clean.value.analyzed.empty());
  CHECK(clean.value.missing_indexes.empty());
  fresh.drop_index("idx_task_results_created_agent_quality");
  auto after = s->optimize();
  REQUIRE(after);
  REQUIRE(after.value.missing_indexes.size() == 1);
  CHECK_THAT(after.value.missing_indexes[0],
             Catch::StartsWith("idx_task_results_created_agent_quality on "
                               "task_results"));
}

TEST_CASE("checkpoints of many executions are read in one call",
          ROLE("executions")) {
  fresh_store fresh;
  auto s = fresh.open();
  for (auto id : {"e1", "e2", "e3"})
    REQUIRE(s->create_execution(sample(id)));
  auto saved =
      s->save_checkpoints({cp("e1", "a", 1, "one-a"), cp("e1", "b", 1, "one-b"),
                           cp("e2", "a", 1, "two-a")});
  REQUIRE(saved);
  auto got = s->checkpoints_of({"e1", "e2", "e3", "missing"});
  INFO(got.st.message);
  REQUIRE(got);
  REQUIRE(got.value["e1"].size() == 2);
  CHECK(got.value["e1"][0].execution_id == "e1");
  CHECK(got.value["e2"].size() == 1);
  CHECK(got.value["e2"][0].output == "two-a");
  CHECK(got.value["e3"].empty());
  CHECK(got.value["missing"].empty());
  CHECK(s->checkpoints_of({}).value.empty());
}

TEST_CASE("task results and audit events are appended together or not at all",
          ROLE("records")) {
  fresh_store fresh;
  auto s = fresh.open();
  record_batch batch;
  batch.task_results.push_back({"e1", "a", "w", 0.5, 0.1, 1, 2, 3, now_ms()});
  batch.audit_events.push_back(
      {"", "execution.start", R"({"execution_id": "e1"})", now_ms()});
  batch.audit_events.push_back({"u1", "execution.cancel", "{}", now_ms()});
  REQUIRE(s->append_records(batch));
  CHECK(s->count_ledger_lines().value == 1);
  CHECK(s->count_audit_events().value == 2);
  // One bad row fails the whole batch: nothing of it is stored.
  record_batch bad;
  bad.task_results.push_back({"e2", "a", "w", -1, 0, 0, 0, 0, now_ms()});
  bad.audit_events.push_back({"", "x", "not json", now_ms()});
  auto st = s->append_records(bad);
#ifdef HISHAMOS_TEST_PG
  CHECK_FALSE(st); // details is JSONB: PostgreSQL checks it
  CHECK(s->count_ledger_lines().value == 1);
  CHECK(s->count_audit_events().value == 2);
#else
  (void)st; // SQLite stores details as text
#endif
}

TEST_CASE("learned agent quality is upserted with the batch, the newest "
          "record of a pair winning",
          ROLE("records")) {
  fresh_store fresh;
  auto s = fresh.open();
  record_batch batch;
  batch.agent_stats.push_back({"a1", "cat", 1.0, 0.0});
  batch.agent_stats.push_back({"a1", "cat", 2.0, 1.0}); // newer
  batch.agent_stats.push_back({"a2", "cat", 0.0, 3.0});
  REQUIRE(s->append_records(batch));
  record_batch later;
  later.agent_stats.push_back({"a2", "cat", 5.0, 0.5});
  REQUIRE(s->append_records(later));
  std::map<std::string, std::pair<double, double>> got;
  for (const auto& x : s->agent_stats().value)
    got[x.agent_id] = {x.successes, x.failures};
  CHECK(got.size() == 2);
  CHECK(got["a1"] == std::pair{2.0, 1.0});
  CHECK(got["a2"] == std::pair{5.0, 0.5});
}

TEST_CASE("learned agent quality is kept per node: one node's evidence "
          "never replaces another's",
          ROLE("records")) {
  fresh_store fresh;
  auto s = fresh.open();
  record_batch batch;
  batch.agent_stats.push_back({"a1", "cat", 1.0, 0.0, "n1"});
  batch.agent_stats.push_back({"a1", "cat", 0.0, 4.0, "n2"});
  REQUIRE(s->append_records(batch));
  record_batch later;
  later.agent_stats.push_back({"a1", "cat", 3.0, 0.0, "n1"});
  REQUIRE(s->append_records(later));
  std::map<std::string, std::pair<double, double>> by_node;
  for (const auto& x : s->agent_stats().value)
    by_node[x.node_id] = {x.successes, x.failures};
  CHECK(by_node.size() == 2);
  CHECK(by_node["n1"] == std::pair{3.0, 0.0});
  CHECK(by_node["n2"] == std::pair{0.0, 4.0});
}

TEST_CASE("a step's newest result keeps its routing decision and takes a "
          "person's rating",
          ROLE("records")) {
  fresh_store fresh;
  auto s = fresh.open();
  record_batch batch;
  batch.task_results.push_back(
      {"e1", "a", "w1", 1, 0, 0, 0, 0, now_ms(), R"({"chosen": "w1"})"});
  batch.task_results.push_back(
      {"e1", "a", "w2", 1, 0, 0, 0, 0, now_ms(), R"({"chosen": "w2"})", 3});
  batch.task_results.push_back({"e1", "b", "w1", 1, 0, 0, 0, 0, now_ms()});
  REQUIRE(s->append_records(batch));
  auto d = s->decisions_of("e1");
  REQUIRE(d);
  CHECK(d.value.size() == 2);
  CHECK(d.value["a"].decision == R"({"chosen": "w2"})");
  CHECK(d.value["a"].template_version == 3); // of the newest result
  CHECK(d.value["b"].decision.empty());      // b has none
  CHECK(d.value["b"].template_version == 0);
  CHECK(s->rate_result("e1", "a", 0.25));
  CHECK(s->rate_result("e1", "zz", 0.5).code == errc::not_found);
  CHECK(s->rate_result("e9", "a", 0.5).code == errc::not_found);
}

namespace {

task_result_record ledger_line(const std::string& exec, const std::string& step,
                               const std::string& agent,
                               const std::string& workflow,
                               const std::string& department, double cost,
                               double avoided, int cached, std::int64_t at_ms) {
  task_result_record r = result(exec, agent, -1, cost, at_ms);
  r.step_id = step;
  r.workflow = workflow;
  r.department = department;
  r.cost_avoided = avoided;
  r.tokens_cached = cached;
  r.provider = "p";
  r.model = "m";
  return r;
}

} // namespace

TEST_CASE("the cost ledger rolls up per step, execution, agent, workflow, "
          "department and day, within a time range",
          ROLE("reports")) {
  fresh_store fresh;
  auto s = fresh.open();
  auto nov1 = utc_ms(2026, 11, 1, 10);
  auto nov2 = utc_ms(2026, 11, 2, 10);
  REQUIRE(s->append_records(
      {{ledger_line("e1", "a", "x", "W1", "eng", 0.5, 0, 0, nov1),
        ledger_line("e1", "b", "y", "W1", "eng", 0.25, 0, 0, nov1),
        ledger_line("e2", "a", "x", "W1", "eng", 0, 0.5, 10, nov2), // a hit
        ledger_line("e3", "a", "y", "W2", "ops", 2.0, 0, 0, nov2)}}));
  auto by = [&](cost_grouping g, std::int64_t from = 0, std::int64_t to = 0) {
    cost_query q;
    q.by = g;
    q.from_ms = from;
    q.to_ms = to;
    auto got = s->cost_rollup(q);
    INFO(got.st.message);
    REQUIRE(got);
    return got.value;
  };
  auto wf = by(cost_grouping::workflow);
  REQUIRE(wf.size() == 2);
  CHECK(wf[0].key == "W2"); // the costliest first
  CHECK(wf[1].key == "W1");
  CHECK(wf[1].calls == 3);
  CHECK(wf[1].cost == Approx(0.75));
  CHECK(wf[1].cost_avoided == Approx(0.5));
  CHECK(wf[1].tokens_cached == 10);
  CHECK(wf[1].tokens_in == 30);
  CHECK(wf[1].tokens_out == 60);
  CHECK(wf[1].avg_latency_ms == Approx(5));
  auto dep = by(cost_grouping::department);
  REQUIRE(dep.size() == 2);
  CHECK(dep[1].key == "eng");
  auto agents = by(cost_grouping::agent);
  REQUIRE(agents.size() == 2);
  CHECK(agents[0].key == "y");
  CHECK(agents[0].cost == Approx(2.25));
  auto steps = by(cost_grouping::step);
  REQUIRE(steps.size() == 4);
  CHECK(steps[0].key == "e3/a");
  auto days = by(cost_grouping::day);
  REQUIRE(days.size() == 2);
  CHECK(days[0].key == "2026-11-01");
  CHECK(days[0].cost == Approx(0.75));
  CHECK(days[1].key == "2026-11-02");
  CHECK(days[1].cost == Approx(2.0));
  auto second_day = by(cost_grouping::execution, nov2 - 3600000);
  REQUIRE(second_day.size() == 2);
  CHECK(second_day[0].key == "e3");
  CHECK(second_day[1].key == "e2");
  auto first_day = by(cost_grouping::execution, 0, nov2 - 3600000);
  REQUIRE(first_day.size() == 1);
  CHECK(first_day[0].key == "e1");
  cost_query one;
  one.by = cost_grouping::step;
  one.execution_id = "e1";
  one.workflow = "W1'); DROP TABLE task_results; --"; // quoted, matches none
  CHECK(s->cost_rollup(one).value.empty());
  one.workflow = "W1";
  CHECK(s->cost_rollup(one).value.size() == 2);
  one.limit = 0;
  CHECK(s->cost_rollup(one).st.code == errc::invalid);
}

TEST_CASE("a checkpoint keeps its step's cost, and a state change can set "
          "what was approved beyond the budgets",
          ROLE("executions")) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->create_execution(sample("e1")));
  auto c = cp("e1", "a", 1);
  c.cost = 0.125;
  REQUIRE(s->save_checkpoints({c}));
  CHECK(s->checkpoints("e1").value.at(0).cost == Approx(0.125));
  state_change paused{"e1", 1, execution_state::paused, "", "paused: budget"};
  REQUIRE(s->change_state(paused));
  CHECK(s->find_execution("e1").value->budget_approved_until == 0);
  state_change approved{"e1", 1, execution_state::running, "", ""};
  approved.budget_approved_until = 1.5;
  REQUIRE(s->change_state(approved));
  auto x = s->find_execution("e1").value;
  CHECK(x->state == execution_state::running);
  CHECK(x->budget_approved_until == Approx(1.5));
  // A change that does not say keeps it.
  REQUIRE(s->change_state({"e1", 1, execution_state::paused, "", ""}));
  CHECK(s->find_execution("e1").value->budget_approved_until == Approx(1.5));
  // Another node that claims it resumes it paused, with the approval.
  auto claimed = s->claim_unfinished("n2");
  REQUIRE(claimed);
  REQUIRE(claimed.value.size() == 1);
  CHECK(claimed.value[0].state == execution_state::paused);
  CHECK(claimed.value[0].budget_approved_until == Approx(1.5));
}

TEST_CASE("executions a node released are unowned and pending, and another "
          "node claims them",
          ROLE("executions")) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->create_execution(sample("e1")));
  REQUIRE(s->create_execution(sample("e2")));
  if (auto* leases = s->leases()) // n1 is alive: only e2 is free
    REQUIRE(leases->heartbeat("n1", 60000));
  REQUIRE(s->claim_unfinished("n1"));
  REQUIRE(s->release_executions("n1", {"e2"}));
  REQUIRE(s->release_executions("n9", {"e1"})); // not n9's: unchanged
  auto e1 = s->find_execution("e1").value;
  CHECK(e1->owner_node == "n1");
  CHECK(e1->state == execution_state::running);
  auto e2 = s->find_execution("e2").value;
  CHECK(e2->owner_node.empty());
  CHECK(e2->state == execution_state::pending);
  auto taken = s->claim_expired("n2", 10);
  REQUIRE(taken);
  REQUIRE(taken.value.size() == 1);
  CHECK(taken.value[0].id == "e2");
  CHECK(taken.value[0].owner_node == "n2");
  CHECK(taken.value[0].state == execution_state::running);
}

#ifdef HISHAMOS_TEST_PG
TEST_CASE("a node's lease is renewed and released in database time, and "
          "the nodes table says where the node is",
          ROLE("leases")) {
  fresh_store fresh;
  auto s = fresh.open();
  auto* leases = s->leases();
  REQUIRE(leases != nullptr);
  REQUIRE(
      leases->register_node({"n1", "127.0.0.1:7101", "127.0.0.1:8080"}, 60000));
  REQUIRE(leases->heartbeat("n2", 60000));
  auto nodes = leases->nodes();
  REQUIRE(nodes);
  REQUIRE(nodes.value.size() == 2);
  CHECK(nodes.value[0].id == "n1");
  CHECK(nodes.value[0].address == "127.0.0.1:7101");
  CHECK(nodes.value[0].alive);
  REQUIRE(leases->release_lease("n1"));
  nodes = leases->nodes();
  CHECK_FALSE(nodes.value[0].alive);
  CHECK(nodes.value[1].alive);
}
#else
TEST_CASE("the embedded store is single-node: it has no lease role",
          ROLE("leases")) {
  fresh_store fresh;
  CHECK(fresh.open()->leases() == nullptr);
}
#endif

namespace {

attempt_record failed_attempt(const std::string& exec, const std::string& step,
                              std::int64_t epoch, int attempt,
                              std::int64_t started) {
  return {exec,   step,    epoch,       attempt,  "n1",
          "fast", started, started + 5, "failed", "upstream answered 503"};
}

} // namespace

TEST_CASE("attempts that ended without a result are stored with the next "
          "checkpoint or state change, once, and never by a stale owner",
          ROLE("executions")) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->create_execution(sample("e1")));
  // Attempt 1 of step a failed; attempt 2 succeeded: its checkpoint
  // carries attempt 1.
  auto ok = cp("e1", "a", 1);
  ok.attempt = 2;
  ok.attempts = {failed_attempt("e1", "a", 1, 1, 100)};
  REQUIRE(s->save_checkpoints({ok}).value.at(0));
  // A resend (commit outcome unknown) stores nothing twice.
  REQUIRE(s->save_checkpoints({ok}).value.at(0));
  auto h = s->attempts_of("e1");
  REQUIRE(h);
  REQUIRE(h.value.attempts.size() == 1);
  const auto& a = h.value.attempts[0];
  CHECK(a.step_id == "a");
  CHECK(a.attempt == 1);
  CHECK(a.epoch == 1);
  CHECK(a.node_id == "n1");
  CHECK(a.agent_id == "fast");
  CHECK(a.started_at_ms == 100);
  CHECK(a.finished_at_ms == 105);
  CHECK(a.outcome == "failed");
  CHECK(a.error == "upstream answered 503");

  // A final failure stores its attempts with the state change.
  state_change failed{"e1", 1, execution_state::failed, "", "step b failed"};
  failed.attempts = {failed_attempt("e1", "b", 1, 1, 200),
                     failed_attempt("e1", "b", 1, 2, 300)};
  REQUIRE(s->change_states({failed}).value.at(0));
  CHECK(s->attempts_of("e1").value.attempts.size() == 3);

  // A stale owner's checkpoint and state change store none of theirs.
  REQUIRE(s->create_execution(sample("e2")));
  REQUIRE(s->claim_unfinished("n2")); // e2: epoch 1 -> 2
  auto stale = cp("e2", "a", 1);
  stale.attempts = {failed_attempt("e2", "a", 1, 1, 100)};
  CHECK(s->save_checkpoints({stale}).value.at(0).code == errc::stale_epoch);
  state_change stale_change{"e2", 1, execution_state::failed, "", "x"};
  stale_change.attempts = {failed_attempt("e2", "b", 1, 1, 100)};
  CHECK(s->change_states({stale_change}).value.at(0).code == errc::stale_epoch);
  CHECK(s->attempts_of("e2").value.attempts.empty());
}

TEST_CASE("every change of owner is recorded with its epoch: a restart, a "
          "takeover, a queued claim and a retry",
          ROLE("executions")) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->create_execution(sample("e1"))); // owned by n1, epoch 1
  CHECK(s->attempts_of("e1").value.owners.empty());

  REQUIRE(s->claim_unfinished("n1").value.size() == 1); // n1 restarted
  auto owners = s->attempts_of("e1").value.owners;
  REQUIRE(owners.size() == 1);
  CHECK(owners[0].epoch == 2);
  CHECK(owners[0].node_id == "n1");
  CHECK(owners[0].previous_node == "n1");
  CHECK(owners[0].reason == "restart");
  CHECK(owners[0].at_ms > 0);

  // Another node takes it (on PostgreSQL only once n1's lease is gone:
  // n1 never held one here).
  REQUIRE(s->claim_unfinished("n2").value.size() == 1);
  owners = s->attempts_of("e1").value.owners;
  REQUIRE(owners.size() == 2);
  CHECK(owners[1].epoch == 3);
  CHECK(owners[1].node_id == "n2");
  CHECK(owners[1].previous_node == "n1");
  CHECK(owners[1].reason == "takeover");

  // Released by n2, queued unowned, claimed by n3.
  REQUIRE(s->release_executions("n2", {"e1"}));
  REQUIRE(s->claim_expired("n3", 10).value.size() == 1);
  owners = s->attempts_of("e1").value.owners;
  REQUIRE(owners.size() == 3);
  CHECK(owners[2].epoch == 4);
  CHECK(owners[2].node_id == "n3");
  CHECK(owners[2].previous_node.empty());
  CHECK(owners[2].reason == "queued");

  // Failed, then retried by request on n1.
  REQUIRE(s->change_state({"e1", 4, execution_state::failed, "", "boom"}));
  auto reopened = s->reopen_execution("e1", "n1");
  REQUIRE(reopened);
  CHECK(reopened.value.epoch == 5);
  owners = s->attempts_of("e1").value.owners;
  REQUIRE(owners.size() == 4);
  CHECK(owners[3].epoch == 5);
  CHECK(owners[3].node_id == "n1");
  CHECK(owners[3].previous_node == "n3");
  CHECK(owners[3].reason == "retry");

  // A retry that is refused (not failed now) records nothing.
  CHECK(s->reopen_execution("e1", "n2").st.code == errc::conflict);
  CHECK(s->attempts_of("e1").value.owners.size() == 4);
}

TEST_CASE("the execution list's quarantined state names the failed executions "
          "whose stored state is damaged, and no other",
          ROLE("reports")) {
  fresh_store fresh;
  auto s = fresh.open();
  for (auto id : {"damaged", "boom", "done"})
    REQUIRE(s->create_execution(sample(id)));
  REQUIRE(s->change_state({"damaged", 1, execution_state::failed, "",
                           "quarantined: checkpoint damaged/a fails its "
                           "checksum"}));
  REQUIRE(s->change_state(
      {"boom", 1, execution_state::failed, "", "step 'a' failed: boom"}));
  REQUIRE(s->change_state({"done", 1, execution_state::completed, "{}", ""}));
  model::execution_query q;
  q.state = "quarantined";
  auto got = s->list_executions(q);
  REQUIRE(got);
  CHECK(got.value.total == 1);
  REQUIRE(got.value.items.size() == 1);
  CHECK(got.value.items[0].id == "damaged");
  q.state = "failed";
  CHECK(s->list_executions(q).value.total == 2);
  q.state = "broken";
  CHECK(s->list_executions(q).st.code == errc::invalid);
}

TEST_CASE("one group of checkpoints answers each on its own — new, resent in "
          "the group, stored before, stale, of no execution — and writes "
          "the ledger line of each stored one once",
          ROLE("executions")) {
  fresh_store fresh;
  auto s = fresh.open();
  for (auto id : {"e1", "e2"})
    REQUIRE(s->create_execution(sample(id)));
  REQUIRE(s->save_checkpoints({cp("e1", "old", 1, "before")}).value.at(0));
  REQUIRE(s->claim_unfinished("n2")); // e2 (and e1) 1 -> 2
  auto with_line = [](checkpoint c) {
    c.ledger.push_back(ledger_line(c.execution_id, c.step_id, "fast", "W",
                                   "eng", 0.25, 0, 0, now_ms()));
    return c;
  };
  auto before = s->count_ledger_lines().value;
  auto saved = s->save_checkpoints({
      with_line(cp("e1", "new", 2, "first")),
      with_line(cp("e1", "new", 2, "resent")), // the same step again
      with_line(cp("e1", "old", 2, "again")),  // stored before the claim
      with_line(cp("e2", "stale", 1, "late")), // an epoch behind
      with_line(cp("nobody", "a", 2, "lost")), // no such execution
      with_line(cp("e2", "fresh", 2, "second")),
  });
  REQUIRE(saved);
  REQUIRE(saved.value.size() == 6);
  CHECK(saved.value[0]);
  CHECK(saved.value[1]);
  CHECK(saved.value[2]);
  CHECK(saved.value[3].code == errc::stale_epoch);
  CHECK(saved.value[4].code == errc::not_found);
  CHECK(saved.value[5]);
  auto e1 = s->checkpoints("e1").value;
  REQUIRE(e1.size() == 2);
  for (const auto& c : e1)
    CHECK(c.output == (c.step_id == "new" ? "first" : "before"));
  auto e2 = s->checkpoints("e2").value;
  REQUIRE(e2.size() == 1);
  CHECK(e2[0].output == "second");
  // Lines of the two checkpoints stored now, and of no other.
  CHECK(s->count_ledger_lines().value == before + 2);
}

TEST_CASE("a group of checkpoints larger than one statement's share is "
          "stored whole",
          ROLE("executions")) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->create_execution(sample("e1")));
  std::vector<checkpoint> group;
  for (int i = 0; i < 6; ++i) // 6 x 1.5 MiB: more than one 4 MiB statement
    group.push_back(cp("e1", "s" + std::to_string(i), 1,
                       std::string(1536 * 1024, static_cast<char>('a' + i))));
  auto saved = s->save_checkpoints(group);
  REQUIRE(saved);
  for (const auto& st : saved.value)
    CHECK(st);
  auto rows = s->checkpoints("e1").value;
  REQUIRE(rows.size() == 6);
  for (const auto& c : rows)
    CHECK(c.output == std::string(1536 * 1024, c.step_id[1] - '0' + 'a'));
}

TEST_CASE("changes of one execution committed together land in their order",
          ROLE("executions")) {
  fresh_store fresh;
  auto s = fresh.open();
  for (auto id : {"a", "b"})
    REQUIRE(s->create_execution(sample(id)));
  auto got = s->change_states({
      {"a", 1, execution_state::paused, "", "budget"},
      {"b", 1, execution_state::completed, "{\"b\":1}", ""},
      {"a", 1, execution_state::running, "", ""},
      {"a", 1, execution_state::completed, "{\"a\":3}", ""},
  });
  REQUIRE(got);
  REQUIRE(got.value.size() == 4);
  for (const auto& st : got.value)
    CHECK(st);
  auto a = s->find_execution("a").value;
  REQUIRE(a);
  CHECK(a->state == execution_state::completed);
  CHECK(a->output == "{\"a\":3}");
  CHECK(s->find_execution("b").value->output == "{\"b\":1}");
}

TEST_CASE("a writer's group of checkpoints and state changes is stored "
          "together, checkpoints first, each answered on its own",
          ROLE("executions")) {
  fresh_store fresh;
  auto s = fresh.open();
  for (auto id : {"e1", "e2", "e3"})
    REQUIRE(s->create_execution(sample(id)));
  REQUIRE(s->claim_unfinished("n2")); // all at epoch 2
  auto got = s->save_group(
      {cp("e1", "last", 2, "out"), cp("e2", "late", 1, "stale"),
       cp("e3", "a", 2, "three")},
      {{"e1", 2, execution_state::completed, "{\"e1\":1}", ""},
       {"e2", 1, execution_state::completed, "", ""}, // an epoch behind
       {"e3", 2, execution_state::failed, "", "step 'b' failed"}});
  REQUIRE(got.checkpoints);
  REQUIRE(got.changes);
  REQUIRE(got.checkpoints.value.size() == 3);
  REQUIRE(got.changes.value.size() == 3);
  CHECK(got.checkpoints.value[0]);
  CHECK(got.checkpoints.value[1].code == errc::stale_epoch);
  CHECK(got.checkpoints.value[2]);
  CHECK(got.changes.value[0]);
  CHECK(got.changes.value[1].code == errc::stale_epoch);
  CHECK(got.changes.value[2]);
  auto e1 = s->find_execution("e1").value;
  REQUIRE(e1);
  CHECK(e1->state == execution_state::completed);
  REQUIRE(s->checkpoints("e1").value.size() == 1);
  CHECK(s->checkpoints("e1").value[0].output == "out");
  auto e2 = s->find_execution("e2").value;
  CHECK(e2->state != execution_state::completed);
  CHECK(s->checkpoints("e2").value.empty());
  CHECK(s->find_execution("e3").value->state == execution_state::failed);
  CHECK(s->checkpoints("e3").value.size() == 1);
}

// PostgreSQL takes a group's rows as one array per column, in array text
// form: every character that form gives a meaning must come back as given.
TEST_CASE("text an array of a group's rows must escape is stored as given: "
          "quotes, backslashes, braces, commas, NULL, empty, non-ASCII, and up "
          "to a NUL",
          ROLE("executions")) {
  using namespace std::string_literals;
  fresh_store fresh;
  auto s = fresh.open();
  const std::string id = R"(e"1\{x},y)";
  auto made = sample(id);
  made.input = R"({"in":"\\ \" {} NULL,"})";
  made.definition = "{\"steps\": [\"\u00e9\", \"NULL\"]}";
  made.idempotency_key = R"(k"\{})";
  made.department = "NULL";
  made.trace_context = "a,b";
  REQUIRE(s->create_execution(made));
  auto created = s->find_execution(id).value;
  REQUIRE(created);
  CHECK(created->input == made.input);
  CHECK(created->definition == made.definition);
  CHECK(created->idempotency_key == made.idempotency_key);
  CHECK(created->department == "NULL");
  CHECK(created->trace_context == "a,b");
  auto odd = cp(id, "NULL", 1, "\"\\{}\0,NULL\xff"s);
  odd.agent_id = R"(a"g\e,n{t})";
  odd.cost = 0.125;
  task_result_record line = result(id, odd.agent_id, -1, 0.125, now_ms());
  line.step_id = "NULL";
  line.decision = R"({"why":"a \"quoted\" \\ reason, {braced}"})";
  line.template_version = 0; // stored as NULL
  line.provider = "NULL";
  line.model = "";
  line.workflow = "wörk, \"flow\"";
  line.department = R"(d\e{p})";
  odd.ledger.push_back(line);
  auto empty = cp(id, "", 1, "");
  auto saved = s->save_checkpoints({odd, empty});
  REQUIRE(saved);
  REQUIRE(saved.value.size() == 2);
  CHECK(saved.value[0]);
  CHECK(saved.value[1]);
  auto stored = s->checkpoints(id);
  REQUIRE(stored);
  REQUIRE(stored.value.size() == 2);
  for (const auto& c : stored.value) {
    INFO("step '" << c.step_id << "'");
    CHECK(c.output == (c.step_id == "NULL" ? odd.output : ""s));
    CHECK(c.agent_id == (c.step_id == "NULL" ? odd.agent_id : "fast"s));
    CHECK(c.cost == (c.step_id == "NULL" ? 0.125 : 0.0));
  }
  auto lines = s->results_of(id);
  REQUIRE(lines);
  REQUIRE(lines.value.size() == 1);
  const auto& got = lines.value[0];
  CHECK(got.step_id == "NULL");
  CHECK(got.agent_id == line.agent_id);
  CHECK(got.quality_score == -1); // NULL, not 0
  CHECK(got.decision == line.decision);
  CHECK(got.template_version == 0);
  CHECK(got.provider == "NULL");
  CHECK(got.model.empty());
  CHECK(got.workflow == line.workflow);
  CHECK(got.department == line.department);
  // An agent's error may carry any bytes; what precedes a NUL is kept.
  auto changed =
      s->change_states({{id, 1, execution_state::failed, R"({"o":"\\ \" {}"})",
                         "NULL, {x}\0after"s}});
  REQUIRE(changed);
  CHECK(changed.value.at(0));
  auto x = s->find_execution(id).value;
  REQUIRE(x);
  CHECK(x->state == execution_state::failed);
  CHECK(x->output == R"({"o":"\\ \" {}"})");
  CHECK(x->error.rfind("NULL, {x}", 0) == 0);
}
