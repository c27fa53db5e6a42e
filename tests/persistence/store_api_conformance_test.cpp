// The store conformance suite, continued: what the REST API needs of a
// store (batch creation with idempotency, reopening, results, paged and
// filtered execution lists, workflow versions and templates), on every
// backend.

#include "tests/persistence/conformance.hpp"

#include <nlohmann/json.hpp>

using namespace conformance;

namespace {

execution_record keyed(const std::string& id, const std::string& key) {
  auto x = sample(id);
  x.idempotency_key = key;
  return x;
}

workflow_draft draft(const std::string& name, const std::string& def,
                     const std::string& source = "api") {
  workflow_draft d;
  d.name = name;
  d.definition = def;
  d.department = "eng";
  d.source = source;
  return d;
}

// PostgreSQL stores JSON as jsonb, which respaces it.
bool same_json(const std::string& a, const std::string& b) {
  return nlohmann::json::parse(a) == nlohmann::json::parse(b);
}

} // namespace

TEST_CASE("a batch creates each execution once: an id or idempotency key "
          "stored before, or earlier in the batch, finds that execution",
          ROLE("executions")) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->create_execution(keyed("old", "k-old")));
  auto got = s->create_executions({keyed("a", "k-a"), sample("old"),
                                   keyed("b", "k-old"), sample("a"),
                                   keyed("c", "k-a"), sample("d")});
  REQUIRE(got);
  REQUIRE(got.value.size() == 6);
  std::vector<bool> created;
  std::vector<std::string> ids;
  for (const auto& c : got.value) {
    created.push_back(c.created);
    ids.push_back(c.stored.id);
  }
  CHECK(created == std::vector<bool>{true, false, false, false, false, true});
  CHECK(ids == std::vector<std::string>{"a", "old", "old", "a", "a", "d"});
  auto all = s->list_executions({});
  REQUIRE(all);
  CHECK(all.value.total == 3); // old, a, d
  CHECK(s->create_executions({}).value.empty());
}

TEST_CASE("a failed or cancelled execution reopens running on the asking "
          "node with a new epoch and its checkpoints kept",
          ROLE("executions")) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->create_execution(sample("e1")));
  REQUIRE(s->save_checkpoints({cp("e1", "a", 1)}));
  CHECK(s->reopen_execution("e1", "n2").st.code == errc::conflict);
  REQUIRE(s->change_state({"e1", 1, execution_state::cancelled, "{}", ""}));
  auto again = s->reopen_execution("e1", "n2");
  REQUIRE(again);
  CHECK(again.value.state == execution_state::running);
  CHECK(again.value.owner_node == "n2");
  CHECK(again.value.epoch == 2);
  CHECK(s->checkpoints("e1").value.size() == 1);
  // The old epoch is fenced off.
  auto stale = s->save_checkpoints({cp("e1", "b", 1)});
  REQUIRE(stale);
  CHECK(stale.value[0].code == errc::stale_epoch);
  CHECK(s->reopen_execution("nope", "n2").st.code == errc::not_found);
}

TEST_CASE("an execution's results come back oldest first", ROLE("records")) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->create_execution(sample("e1")));
  record_batch b;
  for (const char* step : {"x", "y", "z"}) {
    task_result_record r;
    r.execution_id = "e1";
    r.step_id = step;
    r.agent_id = "ag";
    r.cost = 0.5;
    b.task_results.push_back(r);
  }
  REQUIRE(s->append_records(b));
  auto got = s->results_of("e1");
  REQUIRE(got);
  REQUIRE(got.value.size() == 3);
  CHECK(got.value[0].step_id == "x");
  CHECK(got.value[2].step_id == "z");
  CHECK(got.value[1].cost == 0.5);
  CHECK(s->results_of("none").value.empty());
}

TEST_CASE("the execution list filters by state and workflow, pages without "
          "overlap and rejects a query out of range",
          ROLE("reports")) {
  fresh_store fresh;
  auto s = fresh.open();
  for (int i = 0; i < 5; ++i) {
    auto x = sample("e" + std::to_string(i));
    x.workflow_name = i % 2 ? "Odd" : "Even";
    REQUIRE(s->create_execution(x));
  }
  REQUIRE(s->change_state({"e0", 1, execution_state::completed, "{}", ""}));
  model::execution_query q;
  q.workflow = "Even";
  CHECK(s->list_executions(q).value.total == 3);
  q.state = "completed";
  auto done = s->list_executions(q);
  REQUIRE(done.value.items.size() == 1);
  CHECK(done.value.items[0].id == "e0");

  std::set<std::string> seen;
  model::execution_query page;
  page.limit = 2;
  for (page.page = 1; page.page <= 3; ++page.page)
    for (const auto& x : s->list_executions(page).value.items)
      seen.insert(x.id);
  CHECK(seen.size() == 5);
  page.limit = 101;
  CHECK(s->list_executions(page).st.code == errc::invalid);
  page.limit = 10;
  page.state = "nonsense";
  CHECK(s->list_executions(page).st.code == errc::invalid);
}

TEST_CASE("workflow statistics count executions by state per workflow",
          ROLE("reports")) {
  fresh_store fresh;
  auto s = fresh.open();
  for (const char* id : {"a", "b", "c"})
    REQUIRE(s->create_execution(sample(id)));
  REQUIRE(s->change_state({"a", 1, execution_state::completed, "{}", ""}));
  REQUIRE(s->change_state({"b", 1, execution_state::failed, "{}", "x"}));
  auto got = s->workflow_stats(0, 0);
  REQUIRE(got);
  REQUIRE(got.value.size() == 1);
  const auto& w = got.value[0];
  CHECK(w.workflow == "W");
  CHECK(w.executions == 3);
  CHECK(w.completed == 1);
  CHECK(w.failed == 1);
  CHECK(w.unfinished == 1);
  CHECK(w.avg_duration_ms >= 0);
}

TEST_CASE("a workflow is created as a draft, gains versions, activates one "
          "and is archived, its versions kept",
          ROLE("workflows")) {
  fresh_store fresh;
  auto s = fresh.open();
  auto made = s->create_workflow(draft("Flow", R"({"v":1})"));
  REQUIRE(made);
  CHECK(made.value.status == "draft");
  CHECK(made.value.version == 1);
  CHECK(s->create_workflow(draft("Flow", "{}")).st.code == errc::conflict);
  auto v2 = s->add_workflow_version(draft("Flow", R"({"v":2})"));
  REQUIRE(v2);
  CHECK(v2.value.version == 2);
  CHECK(s->add_workflow_version(draft("Nope", "{}")).st.code ==
        errc::not_found);
  auto active = s->activate_workflow("Flow", 0); // the latest
  REQUIRE(active);
  CHECK(active.value.status == "active");
  CHECK(active.value.version == 2);
  CHECK(same_json(active.value.definition, R"({"v":2})"));
  REQUIRE(s->activate_workflow("Flow", 1));
  CHECK(s->find_workflow("Flow").value->version == 1);
  CHECK(s->activate_workflow("Flow", 9).st.code == errc::not_found);
  auto archived = s->archive_workflow("Flow");
  REQUIRE(archived);
  CHECK(archived.value.status == "archived");
  CHECK(s->add_workflow_version(draft("Flow", "{}")).st.code == errc::conflict);
  auto versions = s->workflow_versions("Flow");
  REQUIRE(versions.value.size() == 2);
  CHECK(versions.value[0].version == 1);
  CHECK(same_json(s->find_workflow_version("Flow", 2).value->definition,
                  R"({"v":2})"));
  CHECK(!s->find_workflow_version("Flow", 3).value);
  CHECK(!s->find_workflow("Other").value);
}

TEST_CASE("catalog seeding adds and updates catalog workflows and leaves "
          "those authored through the API",
          ROLE("workflows")) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->create_workflow(draft("Mine", R"({"api":1})")));
  auto ignored = s->sync_workflows({draft("Cat", "{}", "catalog"),
                                    draft("Mine", R"({"file":1})", "catalog")});
  REQUIRE(ignored);
  CHECK(ignored.value == std::vector<std::string>{"Mine"});
  CHECK(same_json(s->find_workflow("Mine").value->definition, R"({"api":1})"));
  CHECK(s->find_workflow("Cat").value->status == "active");
  // Unchanged: no new version; changed: a new active one.
  REQUIRE(s->sync_workflows({draft("Cat", "{}", "catalog")}));
  CHECK(s->workflow_versions("Cat").value.size() == 1);
  REQUIRE(s->sync_workflows({draft("Cat", R"({"x":2})", "catalog")}));
  CHECK(s->find_workflow("Cat").value->version == 2);
}

TEST_CASE("templates are stored by id and version, known versions kept",
          ROLE("workflows")) {
  fresh_store fresh;
  auto s = fresh.open();
  REQUIRE(s->sync_templates(
      {{"t1", 1, "One", "dev", R"({"a":1})"}, {"t2", 1, "Two", "dev", "{}"}}));
  REQUIRE(s->sync_templates({{"t1", 1, "One", "dev", R"({"changed":1})"},
                             {"t1", 2, "One", "dev", R"({"a":2})"}}));
  auto newest = s->list_templates();
  REQUIRE(newest.value.size() == 2);
  CHECK(newest.value[0].id == "t1");
  CHECK(newest.value[0].version == 2);
  auto t1 = s->template_versions("t1");
  REQUIRE(t1.value.size() == 2);
  CHECK(same_json(t1.value[0].definition,
                  R"({"a":1})")); // version 1 kept as it was
  CHECK(s->template_versions("none").value.empty());
}
