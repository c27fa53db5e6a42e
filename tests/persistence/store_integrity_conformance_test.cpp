// What the store promises about the integrity of what it keeps: a step's
// cost line and audit events commit with its checkpoint (once), a state
// change's audit events with it, every checkpoint is checked against its
// checksum on read, and the store knows who it is and how much it holds.
// Runs on both backends (conformance.hpp).

#include "tests/persistence/conformance.hpp"

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
