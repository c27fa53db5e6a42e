// The attempts of an execution as the API shows them
// (runtime/internal/attempt_views.hpp).

#include "runtime/internal/attempt_views.hpp"

#include <algorithm>

namespace hishamos::runtime {

namespace {

// The node that owned the execution in `epoch`: the owner recorded for
// that epoch, or, before the first recorded change, the node it was taken
// from; with no change recorded, its owner now.
std::string owner_in(const std::string& owner_now,
                     const persistence::attempt_history& history,
                     std::int64_t epoch) {
  const auto& owners = history.owners;
  std::string node = owners.empty() ? owner_now : owners.front().previous_node;
  for (const auto& o : owners)
    if (o.epoch <= epoch)
      node = o.node_id;
  return node;
}

} // namespace

// Every stored attempt, by start time: the checkpoints (the attempts that
// succeeded) and those that ended without a result.
void add_attempts(execution_status& out, const std::string& owner_now,
                  const std::vector<persistence::checkpoint>& checkpoints,
                  const persistence::attempt_history& history) {
  for (const auto& cp : checkpoints)
    out.attempts.push_back({cp.step_id, cp.epoch, cp.attempt,
                            owner_in(owner_now, history, cp.epoch), cp.agent_id,
                            cp.started_at_ms, cp.finished_at_ms,
                            cp.damage.empty() ? "completed" : "damaged",
                            cp.damage});
  for (const auto& a : history.attempts)
    out.attempts.push_back({a.step_id, a.epoch, a.attempt, a.node_id,
                            a.agent_id, a.started_at_ms, a.finished_at_ms,
                            a.outcome, a.error});
  std::stable_sort(out.attempts.begin(), out.attempts.end(),
                   [](const attempt_status& a, const attempt_status& b) {
                     return a.started_at_ms < b.started_at_ms;
                   });
  // A step with no result shows its last attempt: its number, agent,
  // times and why it ended (the live overlay replaces it while it runs).
  for (auto& step : out.steps)
    if (step.attempt == 0)
      for (const auto& a : history.attempts)
        if (a.step_id == step.id) {
          step.attempt = a.attempt;
          step.agent_id = a.agent_id;
          step.started_at_ms = a.started_at_ms;
          step.finished_at_ms = a.finished_at_ms;
          step.error = a.error;
        }
  for (const auto& o : history.owners)
    out.owners.push_back(
        {o.epoch, o.node_id, o.previous_node, o.reason, o.at_ms});
}

} // namespace hishamos::runtime
