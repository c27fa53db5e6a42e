// The dispatcher's agent directory: the agents of this node and of every
// peer, with the load each node's dispatcher places on them. Peers send
// their part every heartbeat (directory_update); an agent that goes down,
// or that its node stops listing, leaves, and its tasks run elsewhere.

#include <algorithm>
#include <set>

#include "actors/internal/dispatcher_state.hpp"

namespace hishamos::actors::internal {

bool matches(const hosted_agent& a, const assign_step& s) {
  if (!s.agent_id.empty())
    return a.def.id == s.agent_id;
  return (s.department.empty() || a.def.department == s.department) &&
         a.def.has_capabilities(s.capabilities);
}

bool any_match(const dispatcher_state& st, const assign_step& s) {
  return std::any_of(st.agents.begin(), st.agents.end(),
                     [&](const hosted_agent& a) { return matches(a, s); });
}

hosted_agent* find_agent(dispatcher_state& st, const caf::actor_addr& addr) {
  for (auto& a : st.agents)
    if (a.handle.address() == addr)
      return &a;
  return nullptr;
}

bool any_free_slot(const dispatcher_state& st) {
  return std::any_of(
      st.agents.begin(), st.agents.end(),
      [](const hosted_agent& a) { return a.load < a.def.capacity; });
}

void remove_agents(dispatcher_self* self,
                   const std::function<bool(const hosted_agent&)>& gone,
                   const std::string& why) {
  auto& xs = self->state.agents;
  std::vector<caf::actor_addr> removed;
  for (const auto& a : xs)
    if (gone(a))
      removed.push_back(a.handle.address());
  if (removed.empty())
    return;
  std::vector<std::string> orphans;
  for (const auto& [id, t] : self->state.running)
    if (std::find(removed.begin(), removed.end(), t.agent) != removed.end())
      orphans.push_back(id);
  xs.erase(std::remove_if(xs.begin(), xs.end(), gone), xs.end());
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
      known->def = std::move(e.def);
      continue;
    }
    self->monitor(e.handle);
    st.agents.push_back({std::move(e.def), std::move(e.handle), u.node_id});
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
  for (const auto& a : st.agents) {
    if (a.node.empty())
      out.agents.push_back({a.def, a.handle});
    if (a.load > 0)
      out.loads.push_back({a.def.id, a.node, a.load});
  }
  for (const auto& [key, q] : st.quality.own())
    if (q.successes + q.failures > 0)
      out.learned.push_back(
          {key.first, key.second, q.successes, q.failures, st.cfg.node_id});
  return out;
}

void join_local(dispatcher_self* self, model::agent_def& def,
                caf::actor& handle) {
  auto& xs = self->state.agents;
  for (auto it = xs.begin(); it != xs.end(); ++it)
    if (it->node.empty() && it->def.id == def.id) {
      self->demonitor(it->handle);
      self->send_exit(it->handle, caf::exit_reason::user_shutdown);
      xs.erase(it);
      break;
    }
  self->monitor(handle);
  xs.push_back({std::move(def), std::move(handle), ""});
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
