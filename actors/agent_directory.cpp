// The dispatcher's agent directory: the agents of this node and of every
// peer, with the load each node's dispatcher places on them. Peers send
// their part every heartbeat (directory_update); an agent that goes down,
// or that its node stops listing, leaves, and its tasks run elsewhere.

#include <algorithm>
#include <set>
#include <stdexcept>
#include <unordered_set>

#include "actors/internal/dispatcher_state.hpp"

namespace hishamos::actors::internal {

namespace {

template <class Selector>
bool matches_selector(const hosted_agent& a, const Selector& s) {
  if (!s.agent_id.empty())
    return a.def.id == s.agent_id;
  return (s.department.empty() || a.def.department == s.department) &&
         a.def.has_capabilities(s.capabilities);
}

} // namespace

bool matches(const hosted_agent& a, const assign_step& s) {
  return matches_selector(a, s);
}

bool matches(const hosted_agent& a, const selector& s) {
  return matches_selector(a, s);
}

namespace {

std::string selector_of(const assign_step& s) {
  if (!s.agent_id.empty())
    return "id:" + s.agent_id;
  auto key = "dept:" + s.department;
  for (const auto& c : s.capabilities)
    key += "," + c;
  return key;
}

bool full(const hosted_agent& a) { return a.load >= a.def.capacity; }

// What was computed from the agents is forgotten when they change.
void agents_changed(dispatcher_state& st) { st.matching.clear(); }

// The entry of agent_ids that points at agents[i].
auto id_entry(dispatcher_state& st, const std::string& id, std::uint32_t i) {
  auto [from, to] = st.agent_ids.equal_range(id);
  for (auto it = from; it != to; ++it)
    if (it->second == i)
      return it;
  throw std::logic_error("agent directory: index of '" + id + "' lost");
}

// Takes agents[i] out: the last one moves into its place.
void erase_at(dispatcher_state& st, std::uint32_t i) {
  auto& xs = st.agents;
  auto& gone = xs[i];
  if (gone.handle)
    st.agent_at.erase(gone.handle.address());
  st.agent_ids.erase(id_entry(st, gone.def.id, i));
  if (full(gone))
    --st.full_agents;
  st.loaded.erase(i);
  st.listed.erase(i);
  auto last = static_cast<std::uint32_t>(xs.size() - 1);
  if (i != last) {
    gone = std::move(xs[last]);
    if (gone.handle)
      st.agent_at[gone.handle.address()] = i;
    id_entry(st, gone.def.id, last)->second = i;
    for (auto* set : {&st.loaded, &st.listed})
      if (set->erase(last) > 0)
        set->insert(i);
  }
  xs.pop_back();
  agents_changed(st);
}

} // namespace

int key_of(dispatcher_state& st, const assign_step& s) {
  auto [known, fresh] = st.selector_keys.emplace(
      selector_of(s), static_cast<int>(st.selector_keys.size()));
  if (fresh)
    st.selectors.push_back({s.agent_id, s.department, s.capabilities});
  return known->second;
}

const std::vector<std::uint32_t>& matching_agents(dispatcher_state& st, int key,
                                                  const assign_step& s) {
  if (auto it = st.matching.find(key); it != st.matching.end())
    return it->second;
  if (st.matching.size() >= max_cached_selectors)
    st.matching.clear();
  std::vector<std::uint32_t> out;
  if (!s.agent_id.empty()) {
    auto [from, to] = st.agent_ids.equal_range(s.agent_id);
    for (auto it = from; it != to; ++it)
      out.push_back(it->second);
  } else {
    for (std::uint32_t i = 0; i < st.agents.size(); ++i)
      if (matches(st.agents[i], s))
        out.push_back(i);
  }
  return st.matching.emplace(key, std::move(out)).first->second;
}

bool any_match(dispatcher_state& st, const assign_step& s) {
  return !matching_agents(st, key_of(st, s), s).empty();
}

hosted_agent* find_agent(dispatcher_state& st, const caf::actor_addr& addr) {
  auto it = st.agent_at.find(addr);
  return it == st.agent_at.end() ? nullptr : &st.agents[it->second];
}

bool any_free_slot(const dispatcher_state& st) {
  return st.full_agents < st.agents.size();
}

void add_agent(dispatcher_state& st, hosted_agent a) {
  auto i = static_cast<std::uint32_t>(st.agents.size());
  if (a.handle)
    st.agent_at[a.handle.address()] = i;
  st.agent_ids.emplace(a.def.id, i);
  if (full(a))
    ++st.full_agents;
  if (a.load > 0)
    st.loaded.insert(i);
  if (a.node.empty() && !a.on_demand)
    st.listed.insert(i);
  st.agents.push_back(std::move(a));
  agents_changed(st);
}

void add_load(dispatcher_self* self, hosted_agent& a, int delta) {
  auto& st = self->state;
  bool was = full(a);
  a.load += delta;
  if ((a.load > 0) != (a.load - delta > 0)) { // became loaded, or idle
    auto i = static_cast<std::uint32_t>(&a - st.agents.data());
    if (a.load > 0)
      st.loaded.insert(i);
    else
      st.loaded.erase(i);
  }
  if (full(a) != was)
    was ? --st.full_agents : ++st.full_agents;
  if (a.on_demand && a.load == 0 && a.handle) {
    // Its tasks have all ended: the record stays, the actor goes.
    st.agent_at.erase(a.handle.address());
    self->demonitor(a.handle);
    self->send_exit(a.handle, caf::exit_reason::user_shutdown);
    a.handle = nullptr;
  }
}

caf::actor& actor_of(dispatcher_self* self, hosted_agent& a) {
  auto& st = self->state;
  if (!a.handle && a.on_demand) {
    a.handle = st.cfg.spawn_on_demand(a.def);
    self->monitor(a.handle);
    st.agent_at[a.handle.address()] =
        static_cast<std::uint32_t>(&a - st.agents.data());
  }
  return a.handle;
}

void set_def(dispatcher_state& st, hosted_agent& a, model::agent_def def) {
  bool was = full(a);
  bool same_selectors = a.def.id == def.id &&
                        a.def.department == def.department &&
                        a.def.capabilities == def.capabilities;
  if (a.def.id != def.id) {
    auto i = static_cast<std::uint32_t>(&a - st.agents.data());
    st.agent_ids.erase(id_entry(st, a.def.id, i));
    st.agent_ids.emplace(def.id, i);
  }
  a.def = std::move(def);
  if (full(a) != was)
    was ? --st.full_agents : ++st.full_agents;
  if (!same_selectors)
    agents_changed(st);
}

void remove_agents(dispatcher_self* self,
                   const std::function<bool(const hosted_agent&)>& gone,
                   const std::string& why) {
  auto& st = self->state;
  std::vector<std::uint32_t> at; // highest first: erase_at moves the last
  std::unordered_set<caf::actor_addr> removed;
  for (auto i = static_cast<std::uint32_t>(st.agents.size()); i-- > 0;)
    if (gone(st.agents[i])) {
      at.push_back(i);
      if (st.agents[i].handle)
        removed.insert(st.agents[i].handle.address());
    }
  if (at.empty())
    return;
  std::vector<std::string> orphans;
  for (const auto& [id, t] : st.running)
    if (removed.count(t.agent))
      orphans.push_back(id);
  for (auto i : at)
    erase_at(st, i);
  // Never started or lost with its agent: it runs again on another agent
  // (at least once per step), without using up one of its attempts.
  for (const auto& id : orphans)
    requeue(self, id, task_reply::failure(id, why, true), false);
}

namespace {

// A peer's agents now: new ones join (monitored: a node that dies takes
// them along), those it no longer lists leave, known ones keep their
// running tasks.
void take_agents(dispatcher_self* self, directory_update& u) {
  auto& st = self->state;
  std::set<caf::actor_addr> listed;
  for (const auto& e : u.agents)
    listed.insert(e.handle.address());
  remove_agents(
      self,
      [&](const hosted_agent& a) {
        return a.node == u.node_id && !listed.count(a.handle.address());
      },
      "node " + u.node_id + " no longer hosts the agent");
  for (auto& e : u.agents) {
    if (auto* known = find_agent(st, e.handle.address())) {
      set_def(st, *known, std::move(e.def));
      continue;
    }
    self->monitor(e.handle);
    add_agent(st, {std::move(e.def), std::move(e.handle), u.node_id});
  }
}

void take_loads(dispatcher_state& st, const directory_update& u) {
  std::map<std::pair<std::string, std::string>, hosted_agent*> by_key;
  for (auto& a : st.agents) {
    a.elsewhere.erase(u.node_id);
    by_key[{a.def.id, a.node}] = &a;
  }
  for (const auto& l : u.loads)
    if (auto it = by_key.find({l.agent_id, l.node});
        it != by_key.end() && l.load > 0)
      it->second->elsewhere[u.node_id] = l.load;
}

} // namespace

void sync_peer(dispatcher_self* self, directory_update& u) {
  auto& st = self->state;
  take_agents(self, u);
  ask_unasked(self);
  take_loads(st, u);
  model::quality_map theirs;
  for (const auto& x : u.learned)
    theirs[{x.agent_id, x.category}] = {x.successes, x.failures};
  st.quality.replace_peer(u.node_id, std::move(theirs));
  pump(self);
}

directory_update own_part(const dispatcher_state& st) {
  directory_update out;
  // In the agents' order, as a pass over them would give.
  auto in_order = [](const std::unordered_set<std::uint32_t>& xs) {
    std::vector<std::uint32_t> out{xs.begin(), xs.end()};
    std::sort(out.begin(), out.end());
    return out;
  };
  for (auto i : in_order(st.listed))
    out.agents.push_back({st.agents[i].def, st.agents[i].handle});
  for (auto i : in_order(st.loaded)) {
    const auto& a = st.agents[i];
    out.loads.push_back({a.def.id, a.node, a.load});
  }
  for (const auto& [key, q] : st.quality.own())
    if (q.successes + q.failures > 0)
      out.learned.push_back(
          {key.first, key.second, q.successes, q.failures, st.cfg.node_id});
  return out;
}

namespace {

// Drops this node's agent of that id, if any: it is being replaced.
void drop_local(dispatcher_self* self, const std::string& id) {
  auto& st = self->state;
  auto [from, to] = st.agent_ids.equal_range(id);
  for (auto it = from; it != to; ++it)
    if (auto& old = st.agents[it->second]; old.node.empty()) {
      // Its running tasks hear from the stopped actor and run again.
      if (old.handle) {
        self->demonitor(old.handle);
        self->send_exit(old.handle, caf::exit_reason::user_shutdown);
      }
      erase_at(st, it->second);
      return;
    }
}

} // namespace

void join_local(dispatcher_self* self, model::agent_def& def,
                caf::actor& handle) {
  drop_local(self, def.id);
  self->monitor(handle);
  add_agent(self->state, {std::move(def), std::move(handle), ""});
  ask_unasked(self);
  pump(self);
}

void join_on_demand(dispatcher_self* self,
                    std::vector<model::agent_def>& defs) {
  for (auto& def : defs) {
    drop_local(self, def.id);
    hosted_agent a{std::move(def), {}, ""};
    a.on_demand = true;
    add_agent(self->state, std::move(a));
  }
  ask_unasked(self);
  pump(self);
}

std::vector<model::agent_directory_entry>
directory(const dispatcher_state& st) {
  std::vector<model::agent_directory_entry> out;
  for (const auto& a : st.agents)
    out.push_back({a.def.id, a.node, a.def.department, a.def.capabilities,
                   a.def.capacity, a.cluster_load(), a.load, a.latency_ms});
  return out;
}

} // namespace hishamos::actors::internal
