#include "actors/message_types.hpp"

#include <caf/actor_system_config.hpp>

#include "actors/messages.hpp"

namespace hishamos::actors {

namespace {
void add_snapshot_types(caf::actor_system_config& cfg);
} // namespace

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<assign_step>("hishamos.assign_step");
  cfg.add_message_type<store_ack>("hishamos.store_ack");
  cfg.add_message_type<model::task_request>("hishamos.task_request");
  cfg.add_message_type<model::task_reply>("hishamos.task_reply");
  cfg.add_message_type<model::step_event>("hishamos.step_event");
  cfg.add_message_type<model::execution_finished>(
      "hishamos.execution_finished");
  cfg.add_message_type<model::agent_def>("hishamos.agent_def");
  cfg.add_message_type<std::vector<model::agent_def>>("hishamos.agent_defs");
  cfg.add_message_type<agent_entry>("hishamos.agent_entry");
  cfg.add_message_type<std::vector<agent_entry>>("hishamos.agent_entries");
  cfg.add_message_type<hello>("hishamos.hello");
  cfg.add_message_type<agent_load>("hishamos.agent_load");
  cfg.add_message_type<std::vector<agent_load>>("hishamos.agent_loads");
  cfg.add_message_type<directory_update>("hishamos.directory_update");
  cfg.add_message_type<provider_call>("hishamos.provider_call");
  cfg.add_message_type<l2_entry>("hishamos.l2_entry");
  cfg.add_message_type<admission_request>("hishamos.admission_request");
  cfg.add_message_type<admission_answer>("hishamos.admission_answer");
  cfg.add_message_type<providers::http_response>("hishamos.http_response");
  cfg.add_message_type<provider_answer>("hishamos.provider_answer");
  cfg.add_message_type<lock_ask>("hishamos.lock_ask");
  cfg.add_message_type<std::vector<lock_ask>>("hishamos.lock_asks");
  cfg.add_message_type<lock_sync>("hishamos.lock_sync");
  cfg.add_message_type<peer_address>("hishamos.peer_address");
  cfg.add_message_type<std::vector<peer_address>>("hishamos.peer_addresses");
  cfg.add_message_type<persistence::checkpoint>("hishamos.checkpoint");
  cfg.add_message_type<persistence::effect>("hishamos.effect");
  cfg.add_message_type<persistence::task_result_record>("hishamos.task_result");
  cfg.add_message_type<std::vector<persistence::task_result_record>>(
      "hishamos.task_results");
  cfg.add_message_type<persistence::audit_event>("hishamos.audit_event");
  cfg.add_message_type<persistence::attempt_record>("hishamos.attempt");
  cfg.add_message_type<std::vector<persistence::attempt_record>>(
      "hishamos.attempts");
  cfg.add_message_type<std::vector<persistence::audit_event>>(
      "hishamos.audit_events");
  cfg.add_message_type<persistence::agent_stat_record>("hishamos.agent_stat");
  cfg.add_message_type<std::vector<persistence::agent_stat_record>>(
      "hishamos.agent_stats");
  cfg.add_message_type<persistence::record_batch>("hishamos.record_batch");
  cfg.add_message_type<persistence::state_change>("hishamos.state_change");
  cfg.add_message_type<persistence::execution_record>(
      "hishamos.execution_record");
  cfg.add_message_type<creation_batch>("hishamos.creation_batch");
  cfg.add_message_type<creation_ack>("hishamos.creation_ack");
  add_snapshot_types(cfg);
  refuse_unbounded_decoding(cfg);
}

namespace {

// Answers to "how do things stand" (model/snapshots.hpp): local only, but
// registered like every message so that a missing one is a type error, not
// an "unexpected message" at run time.
void add_snapshot_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<model::step_snapshot>("hishamos.step_snapshot");
  cfg.add_message_type<model::execution_snapshot>(
      "hishamos.execution_snapshot");
  cfg.add_message_type<model::agent_directory_entry>(
      "hishamos.agent_directory_entry");
  cfg.add_message_type<std::vector<model::agent_directory_entry>>(
      "hishamos.agent_directory");
  cfg.add_message_type<model::peer_entry>("hishamos.peer_entry");
  cfg.add_message_type<std::vector<model::peer_entry>>("hishamos.peers");
  cfg.add_message_type<model::lock_table_snapshot>("hishamos.lock_table");
  cfg.add_message_type<model::quality_entry>("hishamos.quality_entry");
  cfg.add_message_type<std::vector<model::quality_entry>>(
      "hishamos.quality_entries");
  cfg.add_message_type<model::budget_snapshot>("hishamos.budget_snapshot");
  cfg.add_message_type<model::budget_question>("hishamos.budget_question");
  cfg.add_message_type<model::budget_verdict>("hishamos.budget_verdict");
  cfg.add_message_type<model::gateway_stats>("hishamos.gateway_stats");
}

} // namespace

void refuse_unbounded_decoding(caf::actor_system_config& cfg) {
  // CAF 0.17 registers these built-in types for decoding from peers, and
  // decodes each from a few bytes into as many elements as a length prefix
  // claims (a list of empty messages costs no input): one frame of ~100
  // bytes asks for gigabytes. The wire fuzzer found it. No HishamOS
  // message carries them, so a peer sending one now gets "unknown type"
  // and its message is dropped.
  for (const char* name : {"std::vector<@message>"})
    cfg.value_factories_by_name.erase(name);
}

} // namespace hishamos::actors
