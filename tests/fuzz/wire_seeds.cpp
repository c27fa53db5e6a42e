// Writes the wire fuzzer's seed corpus: real messages of each kind that
// crosses nodes, framed as BASP frames them (tests/fuzz/wire_input.hpp).
// Usage: hishamos_wire_seeds SEED_DIR [WORK_DIR]: both are created; the
// fuzzer adds what it finds to WORK_DIR, never to the seeds.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <caf/all.hpp>

#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "tests/fuzz/wire_input.hpp"

using namespace hishamos;

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: hishamos_wire_seeds SEED_DIR [WORK_DIR]\n";
    return 2;
  }
  std::error_code ec;
  for (int i = 1; i < argc; ++i)
    std::filesystem::create_directories(argv[i], ec);
  caf::actor_system_config cfg;
  actors::add_message_types(cfg);
  caf::actor_system sys{cfg};
  model::agent_def def;
  def.id = "a1";
  def.department = "engineering";
  def.capabilities = {"backend"};
  def.capacity = 4;
  model::task_request task;
  task.task_id = "t1";
  task.execution_id = "e1";
  task.step_id = "s1";
  task.attempt = 1;
  task.params = R"({"feature":"search"})";
  model::task_reply reply;
  reply.task_id = "t1";
  reply.ok = true;
  reply.output = "done";
  persistence::execution_record record;
  record.id = "e1";
  record.workflow_name = "wf";
  record.definition = "{}";
  record.state = persistence::execution_state::paused;
  persistence::record_batch batch;
  batch.task_results.push_back({"e1", "s1", "a1", 0.5, 0.1, 1, 2, 3, 4});
  batch.audit_events.push_back({"u1", "execution.start", "{}", 5});
  actors::assign_step locked{task, "", "engineering", {"backend"}};
  locked.locks = {{"repo:main", true}, {"db", false}};
  locked.consensus = {3, "judge", "agent_judge", "cmd_judge"};
  locked.evaluator = {"agent_judge", "cmd_grade"};
  batch.agent_stats.push_back({"a1", "c", 1, 2});
  actors::lock_ask ask{"t1",         "n2",   "step 's1' of execution e1",
                       locked.locks, -1.7e9, 250};
  // One seed per message type that crosses nodes or is registered to.
  const std::pair<const char*, caf::message> seeds[] = {
      {"hello", caf::make_message(actors::hello{actors::protocol_version,
                                                "n2",
                                                "127.0.0.1:8080",
                                                {{def, caf::actor{}}},
                                                caf::actor{},
                                                1764547200000})},
      // What a node of the next protocol version says first.
      {"hello_next_version",
       caf::make_message(actors::hello{actors::protocol_version + 1,
                                       "n9",
                                       "127.0.0.1:8080",
                                       {{def, caf::actor{}}},
                                       caf::actor{},
                                       1764547200000})},
      {"directory_update_next_version",
       caf::make_message(actors::directory_update{
           actors::protocol_version + 1, "n9", {}, {}, {}})},
      {"lock_ask", caf::make_message(ask)},
      {"lock_sync",
       caf::make_message(actors::lock_sync{"n2", {ask}, {ask, ask}})},
      {"lock_release",
       caf::make_message(actors::lock_release_atom::value, std::string{"t1"})},
      {"directory_update",
       caf::make_message(actors::directory_update{actors::protocol_version,
                                                  "n2",
                                                  {{def, caf::actor{}}},
                                                  {{"a1", "n2", 2}},
                                                  {{"a1", "c", 3, 1, "n2"}}})},
      {"task_request", caf::make_message(task)},
      {"traced_task_request",
       caf::make_message(actors::trace_atom::value, task,
                         std::string{"00-0af7651916cd43dd8448eb211c80319c-"
                                     "b7ad6b7169203331-01"})},
      {"features", caf::make_message(actors::features_atom::value,
                                     std::string{"n2"}, std::string{"trace"})},
      {"task_reply", caf::make_message(reply)},
      {"cancel",
       caf::make_message(actors::cancel_atom::value, std::string{"t1"})},
      {"assign_step", caf::make_message(actors::assign_step{
                          task, "", "engineering", {"backend"}})},
      {"store_ack", caf::make_message(actors::store_ack{
                        persistence::errc::stale_epoch, "stale"})},
      {"peer_addresses", caf::make_message(std::vector<actors::peer_address>{
                             {"n2", "127.0.0.1", 7102}})},
      {"step_event", caf::make_message(model::step_event{
                         "e1", "s1", "completed", 1, "a1", "", 1})},
      {"execution_finished", caf::make_message(model::execution_finished{
                                 "e1", "wf", "completed", "{}", ""})},
      {"checkpoint", caf::make_message(persistence::checkpoint{
                         "e1", "s1", 1, 2, "out", "a1", 1, 2})},
      {"state_change",
       caf::make_message(persistence::state_change{
           "e1", 2, persistence::execution_state::failed, "", "boom"})},
      {"execution_record", caf::make_message(record)},
      {"effect",
       caf::make_message(persistence::effect{"e1", "s1", 1, "n1", "a1", 2, 3})},
      {"record_batch", caf::make_message(batch)},
      {"agent_stat", caf::make_message(persistence::agent_stat_record{
                         "a1", "engineering.backend", 3.5, 0.5})},
      {"locked_consensus_step", caf::make_message(locked)},
      // Regression: rendering this for a log line read out of bounds.
      {"state_change_out_of_range",
       caf::make_message(persistence::state_change{
           "e1", 2, static_cast<persistence::execution_state>(200), "", ""})},
  };
  for (const auto& [name, msg] : seeds) {
    auto bytes = fuzz::frame_direct(sys, msg);
    if (bytes.empty()) {
      std::cerr << "cannot serialize the " << name << " seed\n";
      return 1;
    }
    std::ofstream out{std::string{argv[1]} + "/" + name,
                      std::ios::binary | std::ios::trunc};
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::cerr << "cannot write " << argv[1] << "/" << name << "\n";
      return 1;
    }
  }
  return 0;
}
