// Agents as operators see them: the catalog's definitions, where each runs
// and its load (the dispatcher's directory), what routing learned of it,
// and what its calls cost and took (the ledger).

#include "runtime/internal/ask.hpp"
#include "runtime/internal/node_impl.hpp"

namespace hishamos {

namespace {

agent_view view_of(const model::agent_def& a) {
  agent_view v;
  v.id = a.id;
  v.name = a.name;
  v.department = a.department;
  v.provider = a.provider;
  v.model = a.model;
  v.capabilities = a.capabilities;
  v.capacity = a.capacity;
  v.price_per_call = a.price_per_call;
  v.node = "unknown"; // until the directory says where it runs
  return v;
}

} // namespace

outcome<std::vector<agent_view>> node::agents() {
  model::cost_query q;
  q.by = model::cost_grouping::agent;
  q.limit = 1000;
  auto costs = impl_->pool->with(
      "cost_rollup", [&](persistence::store& db) { return db.cost_rollup(q); });
  if (!costs)
    return {from_store(costs.st), {}};
  auto directory = runtime::ask<std::vector<model::agent_directory_entry>>(
      *impl_->sys, impl_->dispatcher, std::chrono::seconds{2},
      actors::directory_atom::value);
  auto quality = learned_quality();
  std::map<std::string, agent_view> by_id;
  for (const auto& [id, def] : catalog()->agents)
    by_id[id] = view_of(def);
  if (directory)
    for (const auto& e : *directory) {
      auto& v = by_id[e.id];
      if (v.id.empty()) { // a peer's agent this catalog does not have
        v.id = e.id;
        v.department = e.department;
        v.capabilities = e.capabilities;
        v.capacity = e.capacity;
      }
      v.node = e.node;
      v.load = e.load;
      v.latency_ms = e.latency_ms;
    }
  for (const auto& qe : quality)
    if (auto it = by_id.find(qe.agent); it != by_id.end())
      it->second.quality.push_back(qe);
  for (const auto& row : costs.value)
    if (auto it = by_id.find(row.key); it != by_id.end())
      it->second.cost = row;
  std::vector<agent_view> out;
  for (auto& [id, v] : by_id)
    out.push_back(std::move(v));
  return {{}, std::move(out)};
}

} // namespace hishamos
