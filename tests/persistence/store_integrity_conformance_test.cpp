// What the store promises about the integrity of what it keeps: a step's
// cost line and audit events commit with its checkpoint (once), a state
// change's audit events with it, every checkpoint is checked against its
// checksum on read, and the store knows who it is and how much it holds.
// Runs on both backends (conformance.hpp).

#include "tests/persistence/conformance.hpp"
#include "tests/support/earlier_store.hpp"

namespace {

using conformance::cp;
using conformance::fresh_store;
using conformance::sample;

task_result_record line_of(const checkpoint& c, double cost) {
  task_result_record x;
  x.execution_id = c.execution_id;
  x.step_id = c.step_id;
  x.agent_id = c.agent_id;
  x.cost = cost;
  x.created_at_ms = now_ms();
  return x;
}

audit_event event(const std::string& action) {
  return {"", action, R"({"why": "test"})", now_ms()};
}

#ifdef HISHAMOS_TEST_PG
// The output is msgpack, not text: its bytes are edited as bytes.
constexpr const char* flip_output =
    "UPDATE execution_steps SET output = overlay(output PLACING "
    "'bEta'::bytea FROM position('beta'::bytea IN output) FOR 4) WHERE "
    "step_id = 'b'";
constexpr const char* garbage_output =
    "UPDATE execution_steps SET output = '\\x00ff'::bytea, checksum = NULL "
    "WHERE step_id = 'b'";
#else
constexpr const char* flip_output =
    "UPDATE execution_steps SET output = CAST(replace(CAST(output AS TEXT), "
    "'beta', 'bEta') AS BLOB) WHERE step_id = 'b'";
constexpr const char* garbage_output =
    "UPDATE execution_steps SET output = x'00ff', checksum = NULL WHERE "
    "step_id = 'b'";
#endif

} // namespace

TEST_CASE("a checkpoint commits its cost line and audit events in its own "
          "transaction, and a resent one adds none",
          ROLE("executions")) {
  fresh_store f;
  auto db = f.open();
  REQUIRE(db->create_execution(sample("e1")));
  auto c = cp("e1", "a", 1);
  c.cost = 0.125;
  c.ledger = {line_of(c, 0.125)};
  c.audit = {event("execution.budget_warn")};
  for (int sent = 1; sent <= 2; ++sent) { // the second is a resend
    INFO("sent " << sent << " time(s)");
    auto saved = db->save_checkpoints({c});
    REQUIRE(saved);
    REQUIRE(saved.value.at(0));
    auto lines = db->results_of("e1").value;
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].cost == Approx(0.125));
    CHECK(db->count_audit_events().value == 1);
  }
  status read;
  CHECK(verify_audit_chain(*db, read).ok);
  CHECK(read);
}

TEST_CASE("a checkpoint refused for its stale epoch writes no cost line",
          ROLE("executions")) {
  fresh_store f;
  auto db = f.open();
  REQUIRE(db->create_execution(sample("e1")));
  auto c = cp("e1", "a", 7); // the execution is at epoch 1
  c.ledger = {line_of(c, 1.0)};
  c.audit = {event("execution.budget_warn")};
  auto saved = db->save_checkpoints({c});
  REQUIRE(saved);
  CHECK(saved.value.at(0).code == errc::stale_epoch);
  CHECK(db->results_of("e1").value.empty());
  CHECK(db->count_audit_events().value == 0);
}

TEST_CASE("a state change commits its audit events with it, and a stale one "
          "none",
          ROLE("executions")) {
  fresh_store f;
  auto db = f.open();
  REQUIRE(db->create_execution(sample("e1")));
  state_change paused{"e1", 1, execution_state::paused};
  paused.audit = {event("execution.budget_pause")};
  REQUIRE(db->change_state(paused));
  CHECK(db->count_audit_events().value == 1);
  paused.epoch = 9;
  CHECK(db->change_state(paused).code == errc::stale_epoch);
  CHECK(db->count_audit_events().value == 1);
}

TEST_CASE("a checkpoint changed after its commit is read back damaged, naming "
          "it — the others of its execution are intact",
          ROLE("executions")) {
  fresh_store f;
  auto db = f.open();
  REQUIRE(db->create_execution(sample("e1")));
  REQUIRE(db->save_checkpoints(
      {cp("e1", "a", 1, "alpha"), cp("e1", "b", 1, "beta")}));
  f.exec(flip_output);
  auto read = db->checkpoints_of({"e1"});
  REQUIRE(read); // one damaged row does not fail the read of the others
  std::map<std::string, checkpoint> by_step;
  for (auto& c : read.value["e1"])
    by_step[c.step_id] = c;
  CHECK(by_step["a"].damage.empty());
  CHECK(by_step["a"].output == "alpha");
  CHECK_THAT(by_step["b"].damage,
             Catch::Contains("e1/b") && Catch::Contains("fails its checksum"));
  CHECK(by_step["b"].output.empty());
}

TEST_CASE("a checkpoint without a checksum is checked by decoding it",
          ROLE("executions")) {
  fresh_store f;
  auto db = f.open();
  REQUIRE(db->create_execution(sample("e1")));
  REQUIRE(db->save_checkpoints({cp("e1", "b", 1, "beta")}));
  f.exec("UPDATE execution_steps SET checksum = NULL");
  auto before = db->checkpoints("e1").value;
  REQUIRE(before.size() == 1);
  CHECK(before[0].damage.empty()); // as a row written before checksums
  CHECK(before[0].output == "beta");
  f.exec(garbage_output);
  auto after = db->checkpoints("e1").value;
  REQUIRE(after.size() == 1);
  CHECK_THAT(after[0].damage,
             Catch::Contains("e1/b") && Catch::Contains("no known encoding"));
}

TEST_CASE("a cost below a micro-USD's half rounds the same way written and "
          "read, so its checkpoint stays intact",
          ROLE("executions")) {
  fresh_store f;
  auto db = f.open();
  REQUIRE(db->create_execution(sample("e1")));
  std::vector<checkpoint> xs;
  for (double cost : {0.0000015, 0.0000125, 1.0 / 3, 12.3456785}) {
    xs.push_back(cp("e1", "s" + std::to_string(xs.size()), 1));
    xs.back().cost = cost;
  }
  REQUIRE(db->save_checkpoints(xs));
  for (const auto& c : db->checkpoints("e1").value) {
    INFO(c.step_id << " cost " << c.cost);
    CHECK(c.damage.empty());
  }
}

TEST_CASE("the store knows its identity and how much it holds",
          ROLE("schema")) {
  fresh_store f;
  std::string id;
  {
    auto db = f.open();
    auto empty = db->mark();
    REQUIRE(empty);
    id = empty.value.id;
    CHECK(id.size() >= 16);
    CHECK(empty.value.executions == 0);
    REQUIRE(db->create_execution(sample("e1")));
    REQUIRE(db->save_checkpoints({cp("e1", "a", 1), cp("e1", "b", 1)}));
  }
  auto again = f.open()->mark(); // made once, with the schema
  REQUIRE(again);
  CHECK(again.value.id == id);
  CHECK(again.value.executions == 1);
  CHECK(again.value.checkpoints == 2);
}

TEST_CASE("a store this release makes says to write definitions by hash, "
          "decisions compact and ledger lines with their checkpoints, one "
          "an earlier release made says to write the older forms until told",
          ROLE("schema")) {
  fresh_store f;
  auto both = [](const store_settings& x) {
    return x.definitions_by_hash && x.compact_decisions &&
           x.ledger_with_checkpoints;
  };
  auto neither = [](const store_settings& x) {
    return !x.definitions_by_hash && !x.compact_decisions &&
           !x.ledger_with_checkpoints;
  };
  {
    auto db = f.open();
    auto made = db->settings();
    INFO(made.st.message);
    REQUIRE(made);
    CHECK(both(made.value));
    REQUIRE(db->migrate()); // again: nothing changes
    CHECK(both(db->settings().value));
  }
  // The same store as a release before migration 18 left it (and undone
  // with it, the ones after it).
  f.exec(test::undo_migrations_from_18);
  auto db = f.open(); // migrates it to this release
  auto upgraded = db->settings();
  INFO(upgraded.st.message);
  REQUIRE(upgraded);
  CHECK(neither(upgraded.value));
  // Once every node runs this release (hishamos db finalize).
  REQUIRE(db->adopt_release_formats());
  CHECK(both(db->settings().value));
  REQUIRE(db->migrate());
  CHECK(both(f.open()->settings().value));
}

namespace {

constexpr const char* kept_definition =
    R"({"name":"W","steps":[{"id":"a","agent_id":"fast"}]})";

execution_record by_hash(const std::string& id) {
  auto x = sample(id);
  x.definition = kept_definition;
  x.definition_hash = definition_hash_of(x.definition);
  return x;
}

// Every read of an execution: by id, listed, claimed, reopened, and found
// again by a second create.
std::vector<execution_record> read_every_way(store& db) {
  std::vector<execution_record> out;
  out.push_back(*db.find_execution("e1").value);
  for (auto& x : db.list_executions({}).value.items)
    out.push_back(std::move(x));
  if (auto* leases = db.leases())
    REQUIRE(leases->heartbeat("n2", 60000));
  for (auto& x : db.claim_unfinished("n2").value)
    out.push_back(std::move(x));
  REQUIRE(db.release_executions("n2", {"e2"}));
  for (auto& x : db.claim_expired("n3", 10).value)
    out.push_back(std::move(x));
  REQUIRE(db.change_state({"e3", 2, execution_state::failed, "", "boom"}));
  auto reopened = db.reopen_execution("e3", "n2");
  INFO(reopened.st.message);
  REQUIRE(reopened);
  out.push_back(std::move(reopened.value));
  auto again = db.create_executions({by_hash("e1")});
  REQUIRE(again);
  REQUIRE(!again.value.at(0).created);
  out.push_back(again.value.at(0).stored);
  return out;
}

} // namespace

TEST_CASE("a definition kept by hash is stored once, and every read of its "
          "executions has it whole",
          ROLE("executions")) {
  fresh_store f;
  auto db = f.open();
  auto in_row = sample("e4");
  auto made = db->create_executions(
      {by_hash("e1"), by_hash("e2"), by_hash("e3"), in_row});
  INFO(made.st.message);
  REQUIRE(made);
  for (const auto& c : made.value)
    CHECK(c.created);
  CHECK(f.query("SELECT count(*) FROM execution_definitions") == "1");
  CHECK(f.query("SELECT count(*) FROM workflow_executions WHERE definition "
                "= '' AND definition_hash IS NOT NULL") == "3");
  REQUIRE(db->create_executions({by_hash("e5")})); // known: stored once
  CHECK(f.query("SELECT count(*) FROM execution_definitions") == "1");

  auto reads = read_every_way(*db);
  CHECK(reads.size() >= 10);
  for (const auto& x : reads) {
    INFO(x.id);
    if (x.id == "e4") { // kept in its row, as earlier releases wrote it
      CHECK(x.definition == "{}");
      CHECK(x.definition_hash.empty());
    } else {
      CHECK(x.definition == kept_definition);
      CHECK(x.definition_hash == definition_hash_of(kept_definition));
    }
    CHECK(definition_damage(x).empty());
  }
}

TEST_CASE("a definition kept by hash that is missing or altered is named on "
          "read, and a hash that is not the definition's is refused",
          ROLE("executions")) {
  fresh_store f;
  auto db = f.open();
  REQUIRE(db->create_executions({by_hash("e1"), sample("e2")}));

  f.exec("UPDATE execution_definitions SET definition = replace(definition, "
         "'fast', 'slow')");
  auto altered = db->find_execution("e1").value;
  CHECK_THAT(definition_damage(*altered),
             Catch::Contains("not the one kept under hash " +
                             altered->definition_hash.substr(0, 16)));

  f.exec("DELETE FROM execution_definitions");
  auto missing = db->find_execution("e1").value;
  CHECK(missing->definition.empty());
  CHECK_THAT(definition_damage(*missing),
             Catch::Contains("is missing from the store"));
  CHECK(definition_damage(*db->find_execution("e2").value).empty());

  auto forged = by_hash("e3");
  forged.definition = "{}"; // not what its hash names
  auto refused = db->create_executions({forged});
  CHECK(refused.st.code == errc::invalid);
  CHECK_THAT(refused.st.message, Catch::Contains("execution e3"));
  CHECK(!db->find_execution("e3").value);
}
