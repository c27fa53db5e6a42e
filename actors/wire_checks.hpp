#pragma once

// Checks of what arrives from other nodes, before anything acts on it. One
// place for all of them, so that the actors and the wire fuzzer
// (tests/fuzz/) run the same code. Each returns what is wrong, in words
// for a log line, or "" when the message is fine.

#include <string>
#include <vector>

#include "actors/messages.hpp"

namespace hishamos::actors {

/// A peer's agent list: every entry has an id, a capacity >= 1 and a
/// handle.
[[nodiscard]] std::string check_agents(const std::vector<agent_entry>& agents);

/// A peer's hello: this protocol version, a node id that is not
/// `self_id`, valid agents.
[[nodiscard]] std::string check_hello(const hello& h,
                                      const std::string& self_id);

/// A task from any node's dispatcher: ids set, attempt >= 1, epoch >= 0,
/// params that are JSON.
[[nodiscard]] std::string check_task(const model::task_request& t);

/// A peer's learned quality: agent and category named, evidence finite,
/// >= 0 and at most 1e9.
[[nodiscard]] std::string
check_learned(const std::vector<persistence::agent_stat_record>& xs);

/// A lock request from any node's dispatcher: a task id, 1 to
/// model::max_step_locks locks
/// on named resources, a finite order (a NaN would break the queue's
/// ordering) and a timeout >= 0.
[[nodiscard]] std::string check_lock_ask(const lock_ask& a);

} // namespace hishamos::actors
