#include "tests/support/invariants.hpp"
#include "tests/support/store_reads.hpp"

#include <cmath>
#include <map>
#include <set>

namespace hishamos::test {

std::vector<std::string>
check_invariants(persistence::store& store,
                 const std::vector<persistence::effect>& ledger,
                 size_t steps_per_execution) {
  std::vector<std::string> out;
  std::map<std::pair<std::string, std::string>, std::int64_t> committed_epoch;
  for (const auto& x : all_executions(store)) {
    if (x.state != persistence::execution_state::completed)
      out.push_back("execution " + x.id + " ended " +
                    persistence::to_string(x.state));
    auto cps = store.checkpoints(x.id).value;
    if (cps.size() != steps_per_execution)
      out.push_back("execution " + x.id + " has " + std::to_string(cps.size()) +
                    " checkpoints, expected " +
                    std::to_string(steps_per_execution));
    for (const auto& cp : cps)
      committed_epoch[{x.id, cp.step_id}] = cp.epoch;
    // The cost ledger: one line per committed step, with its cost.
    std::map<std::string, int> lines;
    std::map<std::string, double> line_cost;
    for (const auto& r : store.results_of(x.id).value) {
      ++lines[r.step_id];
      line_cost[r.step_id] += r.cost;
    }
    for (const auto& cp : cps) {
      if (!cp.damage.empty())
        out.push_back(cp.damage);
      if (lines[cp.step_id] != 1)
        out.push_back("step " + x.id + "/" + cp.step_id + " has " +
                      std::to_string(lines[cp.step_id]) +
                      " cost ledger line(s), expected 1");
      else if (std::abs(line_cost[cp.step_id] - cp.cost) > 1e-6)
        out.push_back("step " + x.id + "/" + cp.step_id +
                      ": the ledger says it cost " +
                      std::to_string(line_cost[cp.step_id]) +
                      " USD, its checkpoint " + std::to_string(cp.cost));
    }
  }
  std::map<std::pair<std::string, std::int64_t>, std::set<std::string>>
      nodes_per_epoch;
  for (const auto& e : ledger) {
    nodes_per_epoch[{e.execution_id, e.epoch}].insert(e.node);
    auto it = committed_epoch.find({e.execution_id, e.step_id});
    if (it != committed_epoch.end() && e.epoch > it->second)
      out.push_back("step " + e.execution_id + "/" + e.step_id +
                    " committed at epoch " + std::to_string(it->second) +
                    " ran again at epoch " + std::to_string(e.epoch) +
                    " on node " + e.node);
  }
  for (const auto& [key, nodes] : nodes_per_epoch)
    if (nodes.size() > 1)
      out.push_back("execution " + key.first + " ran on " +
                    std::to_string(nodes.size()) + " nodes at epoch " +
                    std::to_string(key.second));
  return out;
}

} // namespace hishamos::test
