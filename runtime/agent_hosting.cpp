// Where a node's agents live: the catalog's agents, hosted when the node
// starts (each with an actor, or as a record in the dispatcher when
// dispatch.agents_on_demand is set), and the agents an embedder registers
// while it runs.

#include "actors/agent.hpp"
#include "actors/dispatcher.hpp"
#include "runtime/internal/node_impl.hpp"

namespace hishamos {

namespace {

// The dispatcher's routing: configured weights and quotas, the catalog's
// template categories, the quality learned before (from the store) and
// the form of its decisions (as the store says, read at start).
model::result<actors::dispatch_settings>
dispatch_settings(const node_options& o, const model::catalog& cat,
                  persistence::store_pool& pool, bool compact_decisions) {
  actors::dispatch_settings ds;
  const auto& d = o.config.dispatch;
  ds.weights = d.weights;
  ds.aging_per_second = d.aging_per_second;
  ds.department_quotas = d.department_quotas;
  ds.max_candidates = d.max_candidates;
  ds.compact_decisions = compact_decisions;
  for (const auto& [id, tpl] : cat.templates)
    ds.categories[id] = tpl.category;
  auto stats =
      pool.with("agent_stats", [](auto& db) { return db.agent_stats(); });
  if (!stats)
    return store_problem("cannot read learned agent quality", stats.st);
  for (const auto& x : stats.value)
    if (x.node_id.empty() || x.node_id == o.config.node_id) {
      // "" = written before learned quality was kept per node: this node's.
      auto& q = ds.learned[{x.agent_id, x.category}];
      q.successes += x.successes;
      q.failures += x.failures;
    } else {
      ds.learned_elsewhere[x.node_id][{x.agent_id, x.category}] = {x.successes,
                                                                   x.failures};
    }
  ds.wait_for_peers = !o.config.listen.empty();
  ds.node_id = o.config.node_id;
  return ds;
}

// What every agent of a node shares; each adds its own definition and
// function or delegate. An agent renders with the catalog the node
// started with: templates do not change while it runs, and the current
// catalog would cost each agent registered later a copy holding every
// agent registered before it (10,000 registered one by one took 17 GiB).
actors::agent_settings shared_agent_settings(const node_options& o,
                                             caf::actor ledger,
                                             caf::actor gateway) {
  actors::agent_settings s;
  s.catalog = o.catalog;
  s.node_id = o.config.node_id;
  s.ledger = std::move(ledger);
  s.gateway = std::move(gateway);
  return s;
}

} // namespace

caf::actor node::impl::spawn_agent(model::agent_def def,
                                   model::agent_function fn,
                                   caf::actor delegate) {
  auto s = shared_agent_settings(opts, ledger, gateway);
  s.def = std::move(def);
  s.function = std::move(fn);
  s.delegate = std::move(delegate);
  return actors::spawn_agent(*sys, std::move(s));
}

model::result<bool> node::impl::host_agents() {
  std::vector<std::string> ids = opts.config.agents;
  if (ids.empty())
    for (const auto& [id, def] : catalog->agents)
      ids.push_back(id);
  auto ds = dispatch_settings(opts, *catalog, *pool, compact_decisions);
  if (!ds)
    return ds.errors();
  bool on_demand = opts.config.dispatch.agents_on_demand;
  std::vector<std::pair<model::agent_def, caf::actor>> pairs;
  for (const auto& id : ids) {
    const auto* def = catalog->find_agent(id);
    if (!def)
      return model::problem{"", 0, "",
                            "node config hosts unknown agent '" + id + "'",
                            "list only agent ids of the catalog under agents:"};
    if (on_demand) { // the dispatcher spawns its actor while it has tasks
      ds->on_demand_agents.push_back(*def);
      continue;
    }
    auto a = spawn_agent(*def, {}, {});
    hosted[id] = a;
    pairs.emplace_back(*def, a);
  }
  if (on_demand) // called by the dispatcher: no member read under its feet
    ds->spawn_on_demand =
        [sys = sys.get(), shared = shared_agent_settings(opts, ledger, gateway),
         table = functions](const model::agent_def& def) {
          auto s = shared;
          s.def = def;
          {
            std::lock_guard<std::mutex> guard{table->mx};
            if (auto it = table->fns.find(def.id); it != table->fns.end())
              s.function = it->second; // else none: a catalog agent
          }
          return actors::spawn_agent(*sys, std::move(s));
        };
  ds->batch = batch;
  ds->lock_authority = lock_authority;
  ds->metrics = metrics;
  dispatcher = actors::spawn_dispatcher(*sys, std::move(pairs), std::move(*ds));
  return true;
}

// Adds the agents to the catalog (one copy for all) and hosts them,
// replacing agents of the same ids. On a node with agents on demand a
// function agent is a record in the dispatcher, its function waiting in the
// table; every other agent gets its actor now.
void node::impl::register_agents(std::vector<registered_agent> agents) {
  bool on_demand = opts.config.dispatch.agents_on_demand;
  std::vector<model::agent_def> records;
  std::vector<std::pair<model::agent_def, caf::actor>> spawned;
  {
    std::lock_guard<std::mutex> guard{mx};
    auto next = std::make_shared<model::catalog>(*catalog);
    for (const auto& x : agents)
      next->agents[x.def.id] = x.def;
    catalog = std::move(next);
    std::lock_guard<std::mutex> table{functions->mx};
    for (auto& x : agents) {
      if (on_demand && !x.delegate) {
        functions->fns[x.def.id] = std::move(x.fn);
        hosted.erase(x.def.id); // the dispatcher stops its actor, if any
        records.push_back(std::move(x.def));
        continue;
      }
      auto a = spawn_agent(x.def, std::move(x.fn), std::move(x.delegate));
      hosted[x.def.id] = a;
      spawned.emplace_back(std::move(x.def), std::move(a));
    }
  }
  // Wait for the dispatcher so that work submitted after this call
  // reaches the new agents, never the ones they replace.
  caf::scoped_actor self{*sys};
  if (!records.empty())
    self->request(dispatcher, std::chrono::seconds{60},
                  actors::join_atom::value, std::move(records))
        .receive([](bool) {}, [](caf::error&) {});
  for (auto& [def, a] : spawned)
    self->request(dispatcher, std::chrono::seconds{10},
                  actors::join_atom::value, std::move(def), a)
        .receive([](bool) {}, [](caf::error&) {});
}

} // namespace hishamos
