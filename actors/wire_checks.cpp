#include "actors/wire_checks.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

namespace hishamos::actors {

std::string check_agents(const std::vector<agent_entry>& agents) {
  for (const auto& a : agents)
    if (a.def.id.empty() || a.def.capacity < 1 || !a.handle)
      return "its agent list holds an invalid entry ('" + a.def.id + "')";
  return {};
}

std::string check_hello(const hello& h, const std::string& self_id) {
  if (h.protocol != protocol_version)
    return "it speaks protocol version " + std::to_string(h.protocol) +
           ", this node " + std::to_string(protocol_version) +
           "; run the same HishamOS release on every node";
  if (h.node_id.empty())
    return "its hello has no node id";
  if (h.node_id == self_id)
    return "it uses this node's id '" + self_id +
           "'; give every node its own node.id";
  if (!h.lock_authority)
    return "its hello names no lock authority";
  return check_agents(h.agents);
}

std::string check_task(const model::task_request& t) {
  if (t.task_id.empty() || t.execution_id.empty() || t.step_id.empty())
    return "a task without task, execution or step id";
  if (t.attempt < 1 || t.epoch < 0)
    return "a task with attempt " + std::to_string(t.attempt) + " and epoch " +
           std::to_string(t.epoch);
  if (!nlohmann::json::accept(t.params))
    return "a task whose params are not JSON";
  return {};
}

std::string
check_learned(const std::vector<persistence::agent_stat_record>& xs) {
  auto bad = [](double x) { return !std::isfinite(x) || x < 0 || x > 1e9; };
  for (const auto& x : xs)
    if (x.agent_id.empty() || x.category.empty() || bad(x.successes) ||
        bad(x.failures))
      return "its learned quality holds an invalid entry ('" + x.agent_id +
             "', '" + x.category + "')";
  return {};
}

std::string check_lock_ask(const lock_ask& a) {
  constexpr size_t max_locks = model::max_step_locks;
  if (a.task_id.empty())
    return "a lock request without task id";
  if (a.locks.empty() || a.locks.size() > max_locks)
    return "a lock request for " + std::to_string(a.locks.size()) +
           " locks (1 to " + std::to_string(max_locks) + ")";
  for (const auto& l : a.locks)
    if (l.resource.empty())
      return "a lock request for an unnamed resource";
  if (!std::isfinite(a.order) || a.timeout_ms < 0)
    return "a lock request with order " + std::to_string(a.order) +
           " and timeout " + std::to_string(a.timeout_ms) + " ms";
  return {};
}

} // namespace hishamos::actors
