// Damaged state on a real node and a real SQLite store: an execution whose
// checkpoint or definition is damaged is quarantined and the others run
// on; an exception in an execution fails it instead of leaving it
// running; a store that is empty or younger than the one the node saw is
// refused unless the node is told to start afresh.

#include <catch2/catch.hpp>

#include <set>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <caf/all.hpp>

#include "actors/internal/exceptions.hpp"
#include "config/catalog_loader.hpp"
#include "config/node_config.hpp"
#include "model/routing.hpp"
#include "model/workflow.hpp"
#include "persistence/checkpoint_codec.hpp"
#include "persistence/effect_ledger.hpp"
#include "persistence/open_store.hpp"
#include "tests/support/gated_store.hpp"
#include "tests/support/invariants.hpp"
#include "tests/support/node_fixture.hpp"
#include "tests/support/small_disk.hpp"
#include "tests/support/sqlite_query.hpp"
#include "tests/support/store_reads.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;
using hishamos::test::wait_until;

namespace {

// One step of a workflow's YAML: agent `agent` echoes the step's id,
// after the step `after` ("" = none).
std::string step(const std::string& id, const std::string& after = "",
                 const std::string& agent = "fast",
                 const std::string& extra = "") {
  return "  - {id: " + id +
         (after.empty() ? "" : ", depends_on: [" + after + "]") +
         ", agent_id: " + agent +
         ", command_template_id: cmd_echo, params: "
         "{text: " +
         id + "}" + extra + "}\n";
}

const std::string two_steps = "name: Q\nsteps:\n" + step("a") + step("b", "a");

// Executions left running by node "test" with step a committed, as a
// crash leaves them.
// With `by_hash`, their definition is kept by hash (definitions_by_hash).
void leave_running(const std::string& url, const model::workflow_def& wf,
                   const std::vector<std::string>& ids,
                   const std::string& output = "alpha", bool by_hash = false) {
  auto s = persistence::open_store(url);
  REQUIRE(s);
  REQUIRE(s.value->migrate());
  for (const auto& id : ids) {
    persistence::execution_record x;
    x.id = id;
    x.workflow_name = wf.name;
    x.definition = model::to_json(wf).dump();
    if (by_hash)
      x.definition_hash = persistence::definition_hash_of(x.definition);
    x.input = "{}";
    x.state = persistence::execution_state::running;
    x.owner_node = "test";
    REQUIRE(s.value->create_execution(x));
    persistence::checkpoint cp{id, "a", 1, 1, output, "fast", 1, 2, 0.01};
    REQUIRE(s.value->save_checkpoints({cp}));
  }
}

std::optional<execution_status> status_of(node& n, const std::string& id) {
  auto x = n.execution(id);
  return x.value;
}

bool ended(node& n, const std::string& id, const std::string& state) {
  auto x = status_of(n, id);
  return x && x->state == state;
}

} // namespace

TEST_CASE("a node quarantines the executions whose checkpoint or definition "
          "is damaged, naming them, and resumes every other",
          "[actors][integrity][quarantine]") {
  test::temp_dir dir;
  auto options = test::test_options(dir);
  auto file = dir / "store.db";
  auto wf = test::workflow(two_steps);
  leave_running(options.config.store_url, *wf, {"e1", "e2", "e3"});
  test::sqlite_query(file,
                     "UPDATE execution_steps SET output = CAST(replace(CAST("
                     "output AS TEXT), 'alpha', 'alpHa') AS BLOB) WHERE "
                     "execution_id = 'e2'");
  test::sqlite_query(
      file, "UPDATE workflow_executions SET definition = '{' WHERE id = 'e3'");

  auto n = test::start_node(std::move(options));
  REQUIRE(wait_until([&] {
    return ended(*n, "e1", "completed") && ended(*n, "e2", "failed") &&
           ended(*n, "e3", "failed");
  }));
  auto e2 = *status_of(*n, "e2");
  CHECK_THAT(e2.error, Catch::StartsWith("quarantined: ") &&
                           Catch::Contains("e2/a") &&
                           Catch::Contains("fails its checksum"));
  REQUIRE(e2.steps.size() == 2);
  CHECK(e2.steps[0].state == "damaged");
  CHECK(e2.steps[1].state == "pending"); // never run on damaged input
  CHECK_THAT(status_of(*n, "e3")->error,
             Catch::Contains("definition does not parse"));
  CHECK(status_of(*n, "e1")->steps.at(1).state == "completed");
  auto metrics = n->metrics_text();
  CHECK_THAT(metrics,
             Catch::Contains("hishamos_executions_quarantined_total 2"));
  CHECK_THAT(metrics, Catch::Contains("hishamos_executions_running 0"));
  // Each quarantine is in the audit log, committed with its state change.
  auto s = persistence::open_store("sqlite:" + file);
  REQUIRE(s);
  int quarantines = 0;
  for (const auto& r : s.value->audit_rows(0, 100).value)
    quarantines += r.event.action == "execution.quarantine";
  CHECK(quarantines == 2);
  // The store lists them, for every node's overview to count: the two
  // quarantined, not the completed one (nor any other failed one).
  model::execution_query q;
  q.state = "quarantined";
  auto listed = s.value->list_executions(q);
  REQUIRE(listed);
  CHECK(listed.value.total == 2);
  std::set<std::string> ids;
  for (const auto& x : listed.value.items)
    ids.insert(x.id);
  CHECK(ids == std::set<std::string>{"e2", "e3"});
  q.state = "failed";
  CHECK(s.value->list_executions(q).value.total == 2);
}

TEST_CASE("with definitions kept by hash a node runs new executions and "
          "resumes others on them, and quarantines those whose definition is "
          "missing or altered",
          "[actors][integrity][quarantine]") {
  test::temp_dir dir;
  auto options = test::test_options(dir);
  options.config.definitions_by_hash = true;
  auto file = dir / "store.db";
  const auto& url = options.config.store_url;
  leave_running(url, *test::workflow(two_steps), {"e1"}, "alpha", true);
  auto named = [](const std::string& name) {
    return test::workflow("name: " + name + "\nsteps:\n" + step("a") +
                          step("b", "a"));
  };
  leave_running(url, *named("Gone"), {"e2"}, "alpha", true);
  leave_running(url, *named("Altered"), {"e3"}, "alpha", true);
  test::sqlite_query(file,
                     "DELETE FROM execution_definitions WHERE definition LIKE "
                     "'%\"name\":\"Gone\"%'");
  test::sqlite_query(
      file, "UPDATE execution_definitions SET definition = replace("
            "definition, 'cmd_echo', 'cmd_echO') WHERE definition LIKE "
            "'%\"name\":\"Altered\"%'");

  auto n = test::start_node(std::move(options));
  REQUIRE(wait_until([&] {
    return ended(*n, "e1", "completed") && ended(*n, "e2", "failed") &&
           ended(*n, "e3", "failed");
  }));
  CHECK_THAT(status_of(*n, "e2")->error,
             Catch::StartsWith("quarantined: ") &&
                 Catch::Contains("is missing from the store"));
  CHECK_THAT(status_of(*n, "e3")->error,
             Catch::Contains("not the one kept under hash"));
  CHECK(status_of(*n, "e1")->steps.at(1).state == "completed");

  test::event_log log;
  auto id = n->submit(test::workflow("name: Fresh\nsteps:\n" + step("a")), {},
                      log.observer());
  REQUIRE(id);
  REQUIRE(wait_until([&] { return log.finished(); }));
  CHECK(ended(*n, *id, "completed"));
  auto s = persistence::open_store("sqlite:" + file);
  REQUIRE(s);
  auto fresh = s.value->find_execution(*id).value;
  REQUIRE(fresh);
  CHECK(fresh->definition_hash ==
        persistence::definition_hash_of(fresh->definition));
  CHECK_THAT(fresh->definition, Catch::Contains("\"Fresh\""));
}

TEST_CASE("an exception inside an execution fails it with the error instead "
          "of leaving it running",
          "[actors][integrity]") {
  test::temp_dir dir;
  auto options = test::test_options(dir);
  auto wf = test::workflow("name: One\nsteps:\n" + step("a"));
  // Written before checksums (none), its output is not valid UTF-8: the
  // execution's JSON of its outputs throws when it completes.
  leave_running(options.config.store_url, *wf, {"e1"}, "\xff\xfe");
  test::sqlite_query(dir / "store.db",
                     "UPDATE execution_steps SET checksum = NULL");
  auto n = test::start_node(std::move(options));
  REQUIRE(wait_until([&] { return ended(*n, "e1", "failed"); }));
  CHECK_THAT(status_of(*n, "e1")->error, Catch::StartsWith("internal error"));
  CHECK(wait_until([&] {
    return n->metrics_text().find("hishamos_executions_running 0") !=
           std::string::npos;
  }));
}

namespace {

// Runs `count` executions of a one-step workflow to completion.
void run_some(node& n, int count) {
  auto wf = test::workflow("name: Some\nsteps:\n" + step("a"));
  for (int i = 0; i < count; ++i) {
    test::event_log log;
    REQUIRE(n.submit(wf, {}, log.observer()));
    REQUIRE(wait_until([&] { return log.finished(); }));
  }
}

std::string start_problem(node_options options) {
  auto started = node::start(std::move(options));
  return started ? std::string{} : model::to_string(started.errors());
}

} // namespace

TEST_CASE("a node refuses a store emptied under it, and starts afresh on it "
          "only when told",
          "[actors][integrity][identity]") {
  test::temp_dir dir;
  auto file = dir / "store.db";
  run_some(*test::start_node(test::test_options(dir)), 3);
  REQUIRE(std::filesystem::exists(file + ".seen"));
  std::filesystem::resize_file(file, 0); // truncated, as a lost disk leaves it
  std::filesystem::remove(file + "-wal");
  std::filesystem::remove(file + "-shm");

  auto problem = start_problem(test::test_options(dir));
  CHECK_THAT(problem, Catch::Contains("refusing to start") &&
                          Catch::Contains("the store is empty") &&
                          Catch::Contains("3 execution(s)") &&
                          Catch::Contains("--start-afresh"));
  auto afresh = test::test_options(dir);
  afresh.start_afresh = true;
  REQUIRE(start_problem(std::move(afresh)).empty());
  CHECK(start_problem(test::test_options(dir)).empty()); // accepted now
}

TEST_CASE("a node refuses a store younger than the one it saw, as an older "
          "backup restored in its place is",
          "[actors][integrity][identity]") {
  test::temp_dir dir;
  auto file = dir / "store.db";
  run_some(*test::start_node(test::test_options(dir)), 2);
  std::filesystem::copy_file(file, dir / "backup.db"); // stopped: no -wal
  run_some(*test::start_node(test::test_options(dir)), 3);
  std::filesystem::copy_file(dir / "backup.db", file,
                             std::filesystem::copy_options::overwrite_existing);

  CHECK_THAT(start_problem(test::test_options(dir)),
             Catch::Contains("holds 2 execution(s)") &&
                 Catch::Contains("fewer than the 5 execution(s)"));
}

TEST_CASE("a node refuses a store that is another one than it saw",
          "[actors][integrity][identity]") {
  test::temp_dir dir, other;
  run_some(*test::start_node(test::test_options(dir)), 1);
  run_some(*test::start_node(test::test_options(other)), 1);
  std::filesystem::copy_file(other / "store.db", dir / "store.db",
                             std::filesystem::copy_options::overwrite_existing);
  CHECK_THAT(start_problem(test::test_options(dir)),
             Catch::Contains("is another one"));
}

TEST_CASE("an input over limits.max_payload_bytes is refused with a typed "
          "error and nothing is stored",
          "[actors][integrity][limits]") {
  test::temp_dir dir;
  auto options = test::test_options(dir);
  options.config.limits.max_payload_bytes = 4096;
  auto n = test::start_node(std::move(options));
  auto wf = test::workflow(
      "name: In\ninputs: {text: {type: string}}\nsteps:\n" + step("a"));
  auto refused = n->submit(wf, {{"text", std::string(5000, 'x')}});
  REQUIRE_FALSE(refused);
  CHECK_THAT(model::to_string(refused.errors()),
             Catch::Contains("input_too_large") &&
                 Catch::Contains("limits.max_payload_bytes"));
  CHECK(n->executions(10).value.empty());
  CHECK(n->submit(wf, {{"text", std::string(3000, 'x')}})); // under it
}

TEST_CASE("a step output over limits.max_payload_bytes fails its step without "
          "a retry, and nothing of it is stored",
          "[actors][integrity][limits]") {
  test::temp_dir dir;
  auto options = test::test_options(dir);
  options.config.limits.max_payload_bytes = 4096;
  auto n = test::start_node(std::move(options));
  std::atomic<int> calls{0};
  model::agent_def big;
  big.id = "big";
  big.capacity = 1;
  n->register_agent(big, [&](const model::task_request&) {
    ++calls;
    model::task_reply r;
    r.ok = true;
    r.output = std::string(5000, 'y');
    return r;
  });
  test::event_log log;
  auto wf = test::workflow(
      "name: Out\nsteps:\n" +
      step("a", "", "big", ", retry: {max_attempts: 3, backoff_ms: 10}"));
  auto id = n->submit(wf, {}, log.observer());
  REQUIRE(id);
  REQUIRE(wait_until([&] { return log.finished(); }));
  CHECK(log.outcome().state == "failed");
  CHECK_THAT(log.outcome().error, Catch::Contains("output_too_large"));
  CHECK(calls == 1);
  auto s = persistence::open_store("sqlite:" + (dir / "store.db"));
  REQUIRE(s);
  CHECK(s.value->checkpoints(*id).value.empty());
  CHECK(s.value->results_of(*id).value.empty());
}

namespace {

// The seed of a seeded fault run: HISHAMOS_FAULT_SEED replays one.
std::uint64_t fault_seed() {
  const char* env = std::getenv("HISHAMOS_FAULT_SEED");
  return env ? std::stoull(env) : 20261203;
}

} // namespace

TEST_CASE("an execution whose creation committed but whose answer was lost "
          "runs: the submission that stored it knows it as its own",
          "[actors][integrity][faults]") {
  test::temp_dir dir;
  auto cat = test::make_catalog();
  cat->workflows["Chain"] =
      test::workflow("name: Chain\nsteps:\n" + step("a") + step("b", "a"));
  auto g = std::make_shared<test::gate>();
  auto options = test::test_options(dir, cat);
  options.store_factory = test::gated_factory(options.config.store_url, g);
  auto n = test::start_node(options);
  for (std::string client_id : {"", "chosen-by-client"}) {
    INFO("execution id: '" << client_id << "'");
    // The writer commits the row, answers as a lost connection would and
    // restarts; the submission tries again and finds the row.
    g->lose_create_answers = 1;
    auto made =
        n->submit(submission{"Chain", nlohmann::json::object(), client_id});
    REQUIRE(made);
    CHECK(g->count(&test::gate::lose_create_answers) == 0);
    CHECK_FALSE(made.value.existed);
    REQUIRE(wait_until([&] { return ended(*n, made.value.id, "completed"); }));
    // The same id submitted again is another request: it finds the
    // execution and runs nothing.
    if (!client_id.empty()) {
      auto again =
          n->submit(submission{"Chain", nlohmann::json::object(), client_id});
      REQUIRE(again);
      CHECK(again.value.existed);
    }
  }
}

TEST_CASE("seeded transient store errors on 5% of store calls lose no work "
          "and repeat no committed step",
          "[actors][integrity][faults]") {
  auto seed = fault_seed();
  INFO("replay with HISHAMOS_FAULT_SEED=" << seed);
  test::temp_dir dir;
  auto cat = test::make_catalog();
  cat->workflows["Chain"] = test::workflow("name: Chain\nsteps:\n" + step("a") +
                                           step("b", "a") + step("c", "b"));
  auto g = std::make_shared<test::gate>();
  g->rng.seed(seed);
  auto options = test::test_options(dir, cat);
  options.store_factory = test::gated_factory(options.config.store_url, g);
  options.effect_ledger = "sqlite:" + (dir / "effects.db");
  constexpr int executions = 200;
  {
    auto n = test::start_node(options);
    g->fault_rate = 0.05; // from here on; a start that fails is retried by
                          // whoever runs the node, not by the node
    for (int i = 0; i < executions; ++i) {
      submission x{"Chain", nlohmann::json::object(), "x" + std::to_string(i)};
      // A client retries under the same id: a create whose commit it did
      // not hear about answers the stored execution.
      REQUIRE(wait_until([&] { return static_cast<bool>(n->submit(x)); }));
    }
    // Half of them run, then the node stops (faults go on meanwhile).
    REQUIRE(wait_until([&] {
      auto s = persistence::open_store(options.config.store_url);
      return s && test::committed_steps(*s.value) >= executions * 3 / 2;
    }));
    g->fault_rate = 0;
  }
  auto n = test::start_node(options); // resumes the rest
  g->fault_rate = 0.05;
  auto store = persistence::open_store(options.config.store_url);
  REQUIRE(store);
  REQUIRE(wait_until([&] { return test::all_completed(*store.value); },
                     std::chrono::seconds{60}));
  g->fault_rate = 0;
  CHECK(g->count(&test::gate::faults) > 20);
  WARN("seed " << seed << ": " << g->count(&test::gate::faults)
               << " faults injected");
  auto ledger = persistence::open_effect_ledger(options.effect_ledger);
  REQUIRE(ledger);
  auto violations =
      test::check_invariants(*store.value, ledger.value->all().value, 3);
  for (const auto& v : violations)
    FAIL_CHECK(v);
  CHECK(test::all_executions(*store.value).size() == executions);
}

TEST_CASE("a store the previous release wrote (golden) is read by this one: "
          "its checkpoints decode and its unfinished execution resumes",
          "[actors][integrity][golden]") {
  test::temp_dir dir;
  auto sql = config::read_file(std::string{HISHAMOS_SOURCE_DIR} +
                               "/tests/persistence/golden/store_release14.sql");
  REQUIRE(sql);
  test::sqlite_query(dir / "store.db", *sql);
  const std::string running = "939e3a609b34547c8665730aa4d5221b";
  std::map<std::string, std::string> outputs; // "execution/step" -> output
  {
    auto s = persistence::open_store("sqlite:" + (dir / "store.db"));
    REQUIRE(s);
    REQUIRE(s.value->migrate()); // 12 -> this release's schema
    for (const auto& x : test::all_executions(*s.value))
      for (const auto& cp : s.value->checkpoints(x.id).value) {
        INFO(x.id << "/" << cp.step_id << ": " << cp.damage);
        CHECK(cp.damage.empty());
        CHECK_THAT(cp.output, Catch::Contains("built-in local provider"));
        outputs[x.id + "/" + cp.step_id] = cp.output;
      }
  }
  REQUIRE(outputs.size() == 13); // 5 + 5 + 3
  auto options = test::test_options(dir);
  auto catalog = config::load_catalog({config::builtin_catalog_path()});
  REQUIRE(catalog);
  options.catalog = std::move(*catalog);
  auto n = test::start_node(std::move(options));
  REQUIRE(wait_until([&] { return ended(*n, running, "completed"); }));
  auto s = persistence::open_store("sqlite:" + (dir / "store.db"));
  for (const auto& x : test::all_executions(*s.value)) {
    CHECK(x.state == persistence::execution_state::completed);
    for (const auto& cp : s.value->checkpoints(x.id).value)
      if (auto old = outputs.find(x.id + "/" + cp.step_id);
          old != outputs.end())
        CHECK(cp.output == old->second); // never recomputed
  }
  CHECK(s.value->checkpoints(running).value.size() == 5);
}

namespace {

// A node started with `options` (on SQLite) that ran a new execution of
// one step to its end, and its store.
struct one_new_execution {
  explicit one_new_execution(node_options options)
      : url{options.config.store_url}, n{test::start_node(std::move(options))} {
    auto submitted = n->submit(
        test::workflow("name: New\nsteps:\n" + step("a")), {}, log.observer());
    REQUIRE(submitted);
    id = *submitted;
    REQUIRE(wait_until([&] { return log.finished(); }));
  }
  std::unique_ptr<persistence::store> store() const {
    auto s = persistence::open_store(url);
    REQUIRE(s);
    return std::move(s.value);
  }
  test::event_log log; // outlives the node, which reports to it
  std::string url;
  std::unique_ptr<node> n;
  std::string id;
};

// What a node started with `options` keeps of a new execution's
// definition: its hash, or "" when the text is in the row.
std::string hash_kept_for_a_new_execution(node_options options) {
  one_new_execution run{std::move(options)};
  auto x = run.store()->find_execution(run.id).value;
  REQUIRE(x);
  CHECK_THAT(x->definition, Catch::Contains("\"New\"")); // read whole
  if (!x->definition_hash.empty())
    CHECK(x->definition_hash == persistence::definition_hash_of(x->definition));
  return x->definition_hash;
}

} // namespace

TEST_CASE("a node keeps definitions by hash in a store this release made, in "
          "the row in one an earlier release made, and as its configuration "
          "says where it says",
          "[actors][integrity]") {
  {
    test::temp_dir dir;
    CHECK_FALSE(hash_kept_for_a_new_execution(test::test_options(dir)).empty());
  }
  {
    test::temp_dir dir;
    auto options = test::test_options(dir);
    options.config.definitions_by_hash = false;
    CHECK(hash_kept_for_a_new_execution(options).empty());
  }
  test::temp_dir dir;
  auto sql = config::read_file(std::string{HISHAMOS_SOURCE_DIR} +
                               "/tests/persistence/golden/store_release14.sql");
  REQUIRE(sql);
  test::sqlite_query(dir / "store.db", *sql);
  auto options = test::test_options(dir);
  REQUIRE(options.config.store_url == "sqlite:" + (dir / "store.db"));
  CHECK(hash_kept_for_a_new_execution(options).empty());
  options.config.definitions_by_hash = true; // every node runs this release
  CHECK_FALSE(hash_kept_for_a_new_execution(options).empty());
}

namespace {

// The routing decision a node started with `options` (on SQLite) stores
// with a new execution's ledger line, and the one its API shows.
struct kept_decision {
  std::string stored;
  nlohmann::json shown;
};

kept_decision decision_kept_for_a_new_execution(node_options options) {
  one_new_execution run{std::move(options)};
  kept_decision out;
  auto lines = run.store()->results_of(run.id);
  REQUIRE(lines);
  REQUIRE(lines.value.size() == 1);
  out.stored = lines.value[0].decision;
  auto x = run.n->execution(run.id);
  REQUIRE(x.value);
  out.shown = x.value->steps.at(0).decision;
  return out;
}

// The keys of an object and of the objects in its arrays, as paths.
std::set<std::string> key_paths(const nlohmann::json& j,
                                const std::string& at = "") {
  std::set<std::string> out;
  for (const auto& [k, v] : j.items()) {
    auto path = at + "/" + (j.is_array() ? "*" : k);
    if (j.is_object())
      out.insert(path);
    if (v.is_structured())
      out.merge(key_paths(v, path));
  }
  return out;
}

} // namespace

TEST_CASE("a node keeps routing decisions compact in a store this release "
          "made and as objects in one an earlier release made, and shows "
          "both as the same object",
          "[actors][integrity]") {
  kept_decision compact, object;
  {
    test::temp_dir dir;
    compact = decision_kept_for_a_new_execution(test::test_options(dir));
  }
  {
    test::temp_dir dir;
    auto sql =
        config::read_file(std::string{HISHAMOS_SOURCE_DIR} +
                          "/tests/persistence/golden/store_release14.sql");
    REQUIRE(sql);
    test::sqlite_query(dir / "store.db", *sql);
    object = decision_kept_for_a_new_execution(test::test_options(dir));
  }
  INFO(compact.stored << "\n" << object.stored);
  REQUIRE_FALSE(compact.stored.empty());
  REQUIRE_FALSE(object.stored.empty());
  CHECK(compact.stored.front() == '[');
  CHECK(object.stored.front() == '{');
  CHECK(compact.stored.size() * 2 < object.stored.size());
  for (const auto* k : {&compact, &object}) {
    CHECK(k->shown == model::parse_decision(k->stored));
    CHECK(k->shown["chosen"] == "fast");
    CHECK(k->shown["candidates"].at(0)["agent"] == "fast");
  }
  CHECK(key_paths(compact.shown) == key_paths(object.shown));
  CHECK(key_paths(compact.shown).count("/candidates/*/quality_sample") == 1);
}

TEST_CASE("on a full disk a node refuses new work as unavailable, keeps "
          "what it stored, and goes on once there is room again",
          "[actors][integrity][disk]") {
  test::temp_dir dir, elsewhere;
  test::small_disk disk{dir.path(), "6m"};
  auto cat = test::make_catalog();
  cat->workflows["Some"] =
      test::workflow("name: Some\nsteps:\n" + step("a") + step("b", "a"));
  auto options = test::test_options(dir, cat);
  options.effect_ledger = "sqlite:" + (elsewhere / "effects.db");
  auto n = test::start_node(options);
  int next = 0;
  auto submit = [&] {
    return n->submit(submission{"Some", nlohmann::json::object(),
                                "d" + std::to_string(next)});
  };
  for (; next < 5; ++next)
    REQUIRE(submit());
  REQUIRE(test::fill_disk(dir / "filler"));
  // New work is refused as the store's, retryable: an API client gets 503.
  status refused;
  for (int tries = 0; tries < 5000 && refused; ++tries) {
    auto got = submit();
    refused = got.st;
    if (got)
      ++next; // there was room left in the store's own pages
  }
  INFO(refused.message);
  REQUIRE_FALSE(refused);
  CHECK(refused.code == errc::unavailable);
  std::filesystem::remove(dir / "filler"); // the fault is lifted
  REQUIRE(wait_until([&] { return static_cast<bool>(submit()); }));
  ++next;
  auto store = persistence::open_store(options.config.store_url);
  REQUIRE(store);
  REQUIRE(wait_until([&] { return test::all_completed(*store.value); },
                     std::chrono::seconds{30}));
  auto ledger = persistence::open_effect_ledger(options.effect_ledger);
  REQUIRE(ledger);
  for (const auto& v :
       test::check_invariants(*store.value, ledger.value->all().value, 2))
    FAIL_CHECK(v);
  CHECK(test::all_executions(*store.value).size() == static_cast<size_t>(next));
}

TEST_CASE("an exception escaping a node-wide actor ends it with its name and "
          "what was thrown, never as an anonymous unhandled exception",
          "[actors][integrity]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto thrower = sys.spawn([](caf::event_based_actor* self) -> caf::behavior {
    actors::log_exceptions(self, "test actor");
    return {[](const std::string& what) { throw std::runtime_error(what); }};
  });
  caf::scoped_actor watcher{sys};
  watcher->monitor(thrower);
  caf::anon_send(thrower, std::string{"boom"});
  caf::error reason;
  watcher->receive([&](caf::down_msg& d) { reason = d.reason; },
                   caf::after(std::chrono::seconds{10}) >> [] {});
  CHECK(reason == caf::sec::runtime_error);
  CHECK_THAT(sys.render(reason), Catch::Contains("test actor: boom"));
}
