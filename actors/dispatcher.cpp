#include "actors/dispatcher.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <unordered_map>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/internal/dispatcher_state.hpp"
#include "actors/lock_authority.hpp"
#include "actors/messages.hpp"

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

double capability_match(const hosted_agent& a, const assign_step& s) {
  if (s.capabilities.empty() || a.def.capabilities.empty())
    return 1.0;
  return static_cast<double>(s.capabilities.size()) /
         static_cast<double>(a.def.capabilities.size());
}

bool under_quota(const dispatcher_state& st, const hosted_agent& a) {
  auto q = st.cfg.department_quotas.find(a.def.department);
  if (q == st.cfg.department_quotas.end())
    return true;
  auto r = st.running_per_department.find(a.def.department);
  return r == st.running_per_department.end() || r->second < q->second;
}

/// The routing choice for a step: the agent's index and why.
struct pick_result {
  int agent = -1; ///< -1: all candidates busy; -2: no agent matches at all.
  std::string decision;
  bool limited = false; ///< Its workflow is at its concurrency limit.
};

// Slots are counted from this dispatcher's own tasks (the agent answers
// "busy" when other nodes filled it); the cluster-wide load, reported by
// peers a heartbeat late, is what routing scores.
pick_result pick(dispatcher_state& st, const waiting_step& w) {
  const auto& s = w.step;
  if (s.workflow_limit > 0 &&
      st.running_per_workflow[s.workflow] >= s.workflow_limit)
    return {-1, {}, true};
  auto now = steady::now();
  auto category = st.category_of(s.task.template_id);
  const std::set<std::string>* taken = nullptr; // by the group's others
  if (auto g = st.groups.find(w.group);
      g != st.groups.end() && !g->second.judging)
    taken = &g->second.used;
  bool any = false;
  std::vector<size_t> index;
  std::vector<model::candidate> candidates;
  for (size_t i = 0; i < st.agents.size(); ++i) {
    const auto& a = st.agents[i];
    if (!matches(a, s))
      continue;
    any = true;
    if (a.busy_until > now || a.load >= a.def.capacity || !under_quota(st, a) ||
        (taken && taken->count(a.def.id)))
      continue;
    index.push_back(i);
    candidates.push_back({a.def.id, a.node, a.cluster_load(), a.def.capacity,
                          capability_match(a, s), a.def.price_per_call,
                          a.latency_ms,
                          st.cluster_quality({a.def.id, category})});
  }
  if (!any)
    return {-2, {}};
  if (candidates.empty())
    return {};
  auto d = model::choose(st.cfg.weights, candidates, st.rng);
  auto why = model::to_json(d, candidates);
  why["category"] = category;
  why["priority"] = s.priority;
  why["waited_ms"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - w.since)
          .count();
  return {static_cast<int>(index[static_cast<size_t>(d.chosen)]), why.dump()};
}

// Learned quality: a result that satisfies its evaluator (or has none) is
// a success of its agent for the category, anything else a failure.
void learn(dispatcher_self* self, const std::string& agent,
           const std::string& category, double score) {
  auto& st = self->state;
  auto& q = st.learned[{agent, category}];
  q.observe(score, st.cfg.weights.decay);
  if (st.cfg.batch)
    self->send(st.cfg.batch,
               persistence::agent_stat_record{agent, category, q.successes,
                                              q.failures, st.cfg.node_id});
}

double outcome_of(const task_reply& r) {
  if (!r.ok)
    return 0.0;
  return r.quality < 0 || r.quality >= 1.0 - 1e-9 ? 1.0 : 0.0;
}

// Frees what a running task held: its agent's slot, and its locks unless
// it keeps them to run again.
running_task release(dispatcher_self* self,
                     std::unordered_map<std::string, running_task>::iterator it,
                     bool keep_locks = false) {
  auto& st = self->state;
  auto t = std::move(it->second);
  st.running.erase(it);
  if (t.claim.phase == lock_phase::granted && !keep_locks) {
    free_locks(self, t.step.task.task_id);
    t.claim.phase = lock_phase::unasked;
  }
  if (auto* a = find_agent(st, t.agent))
    --a->load;
  --st.running_per_workflow[t.step.workflow];
  --st.running_per_department[t.department];
  return t;
}

// Answers a running task once: by its agent (`from_agent`: then it
// teaches routing), or earlier when the agent (or its node) goes down and
// the answer would never come.
void finish(dispatcher_self* self, const std::string& task_id, task_reply r,
            bool from_agent) {
  auto it = self->state.running.find(task_id);
  if (it == self->state.running.end())
    return; // already answered
  auto t = release(self, it);
  r.decision = std::move(t.decision);
  r.agent_id = t.agent_id;
  if (!t.evaluating.empty())
    return evaluated(self, t.evaluating, std::move(r)); // pumps
  bool judged = from_agent && r.judged;
  if (judged)
    if (auto* a = find_agent(self->state, t.agent)) {
      double took =
          std::chrono::duration<double, std::milli>(steady::now() - t.started)
              .count();
      a->latency_ms =
          a->latency_ms == 0 ? took : 0.8 * a->latency_ms + 0.2 * took;
    }
  if (judged && r.ok && !t.step.evaluator.agent.empty() && t.group.empty())
    return evaluate(self, std::move(t), std::move(r)); // pumps
  if (judged)
    learn(self, t.agent_id, t.category, outcome_of(r));
  if (!t.group.empty())
    return group_result(self, t.group, std::move(r)); // pumps
  t.rp.deliver(std::move(r));
  pump(self);
}

std::string selector_key(const assign_step& s) {
  if (!s.agent_id.empty())
    return "id:" + s.agent_id;
  auto key = "dept:" + s.department;
  for (const auto& c : s.capabilities)
    key += "," + c;
  return key;
}

// Queues a step in effective-priority order; `first` puts it ahead of all.
dispatcher_state::waiting_queue::iterator enqueue(dispatcher_self* self,
                                                  waiting_step w, bool first) {
  auto& st = self->state;
  auto [known, fresh] = st.selector_keys.emplace(
      selector_key(w.step), static_cast<int>(st.selector_keys.size()));
  w.key = known->second;
  double key = first ? std::numeric_limits<double>::max()
                     : w.step.priority - st.cfg.aging_per_second *
                                             std::chrono::duration<double>(
                                                 w.since.time_since_epoch())
                                                 .count();
  bool locks = !w.step.locks.empty();
  if (locks && w.claim.phase == lock_phase::none) {
    // Its place among the lock requests of the whole cluster: the same
    // order as this queue's, on a clock that all nodes share.
    auto wall = std::chrono::duration<double>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
    w.claim = {lock_phase::unasked,
               w.step.priority - st.cfg.aging_per_second * wall,
               w.since + std::chrono::milliseconds{w.step.lock_timeout_ms}};
  }
  auto task_id = w.step.task.task_id;
  auto it = st.waiting.emplace(key, std::move(w));
  if (locks) {
    st.lock_waiters[task_id] = it;
    if (any_match(st, it->second.step))
      ask_locks(self, it->second);
  }
  return it;
}

dispatcher_state::waiting_queue::iterator
unqueue(dispatcher_self* self, dispatcher_state::waiting_queue::iterator it,
        bool free) {
  auto& st = self->state;
  auto& claim = it->second.claim;
  if (claim.phase != lock_phase::none) {
    if (free && (claim.phase == lock_phase::asked ||
                 claim.phase == lock_phase::granted))
      free_locks(self, it->second.step.task.task_id);
    st.lock_waiters.erase(it->second.step.task.task_id);
  }
  return st.waiting.erase(it);
}

// Puts a running task back at the head of the queue (its agent was busy,
// then it keeps its locks, or is gone, then they are freed), unless it
// went back too often: then its execution hears.
void requeue(dispatcher_self* self, const std::string& task_id, task_reply why,
             bool keep_locks) {
  auto it = self->state.running.find(task_id);
  if (it == self->state.running.end())
    return;
  if (it->second.requeued >= max_requeues)
    return finish(self, task_id, std::move(why), false);
  auto t = release(self, it, keep_locks);
  if (auto g = self->state.groups.find(t.group); g != self->state.groups.end())
    g->second.used.erase(t.agent_id); // another agent may take it
  waiting_step w{std::move(t.step), std::move(t.rp), t.requeued + 1, t.since,
                 t.claim};
  w.group = std::move(t.group);
  enqueue(self, std::move(w), true);
  pump(self);
}

void run_on(dispatcher_self* self, hosted_agent& agent, waiting_step w,
            std::string decision) {
  auto& st = self->state;
  ++agent.load;
  ++st.running_per_workflow[w.step.workflow];
  ++st.running_per_department[agent.def.department];
  auto task_id = w.step.task.task_id;
  auto task = w.step.task;
  auto category = st.category_of(task.template_id);
  if (auto g = st.groups.find(w.group); g != st.groups.end())
    g->second.used.insert(agent.def.id);
  running_task t{agent.handle.address(), w.rp,
                 std::move(w.step),      w.requeued,
                 agent.def.id,           agent.def.department,
                 std::move(category),    std::move(decision)};
  t.group = w.group;
  t.since = w.since;
  t.evaluating = w.evaluating;
  t.claim = w.claim;
  st.running.emplace(task_id, std::move(t));
  auto addr = agent.handle.address();
  self->request(agent.handle, caf::infinite, std::move(task))
      .then(
          [self, task_id, addr](task_reply& r) {
            if (!r.busy)
              return finish(self, task_id, std::move(r), true);
            if (auto* a = find_agent(self->state, addr))
              a->busy_until = steady::now() + busy_pause;
            self->delayed_send(self, busy_pause, retry_atom::value);
            requeue(self, task_id, std::move(r), true);
          },
          [self, task_id](caf::error& e) {
            finish(self, task_id,
                   task_reply::failure(
                       task_id,
                       "agent unavailable: " + self->system().render(e), true),
                   false);
          });
}

// Removes the agents `gone` selects; their running tasks fail as
// retryable, so their executions try again on another agent.
template <class Pred>
void remove_agents(dispatcher_self* self, Pred gone, const std::string& why) {
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

bool any_free_slot(const dispatcher_state& st) {
  return std::any_of(
      st.agents.begin(), st.agents.end(),
      [](const hosted_agent& a) { return a.load < a.def.capacity; });
}

// Starts every waiting step that now has a free agent (and holds its
// locks), in effective-priority order. Steps whose candidates turned out
// all busy in this pass are not scored again: one pass costs O(waiting),
// not O(waiting x agents).
void pump(dispatcher_self* self) {
  auto& st = self->state;
  if (st.waiting.empty() || !any_free_slot(st))
    return;
  // Selector keys without a free agent in this pass -> whether any agent
  // matches them at all.
  std::unordered_map<int, bool> exhausted;
  for (auto it = st.waiting.begin(); it != st.waiting.end();) {
    auto cur = it++;
    auto& w = cur->second;
    auto phase = w.claim.phase;
    if (phase == lock_phase::unasked || phase == lock_phase::asked)
      continue; // waits for the lock authority
    bool matched = true;
    if (auto known = exhausted.find(w.key);
        w.group.empty() && known != exhausted.end()) {
      matched = known->second;
    } else {
      auto p = pick(st, w);
      if (p.agent >= 0) {
        auto ready = std::move(w);
        if (ready.claim.phase != lock_phase::none)
          st.lock_waiters.erase(ready.step.task.task_id);
        st.waiting.erase(cur);
        run_on(self, st.agents[static_cast<size_t>(p.agent)], std::move(ready),
               std::move(p.decision));
        if (!any_free_slot(st))
          return;
        continue;
      }
      matched = p.agent != -2;
      if (w.group.empty() && !p.limited)
        exhausted.emplace(w.key, matched);
    }
    // A step no known agent matches (its node is gone, or not joined yet)
    // cannot run soon: it holds nobody's locks back.
    if (!matched && phase == lock_phase::granted) {
      free_locks(self, w.step.task.task_id);
      w.claim.phase = lock_phase::unasked;
    }
  }
}

std::string describe(const assign_step& s) {
  if (!s.agent_id.empty())
    return "agent '" + s.agent_id + "'";
  std::string caps;
  for (const auto& c : s.capabilities)
    caps += caps.empty() ? c : ", " + c;
  return "an agent of department '" + s.department + "' with [" + caps + "]";
}

// Makes this dispatcher's view of a peer's agents what the peer says:
// new agents join (monitored: a node that dies takes them along), agents
// it no longer lists leave (their tasks run elsewhere), known ones keep
// their running tasks. Then takes the peer's loads.
void sync_peer(dispatcher_self* self, directory_update& u) {
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
  ask_unasked(self);
  std::map<std::pair<std::string, std::string>, hosted_agent*> by_key;
  for (auto& a : st.agents) {
    a.elsewhere.erase(u.node_id);
    by_key[{a.def.id, a.node}] = &a;
  }
  for (const auto& l : u.loads)
    if (auto it = by_key.find({l.agent_id, l.node});
        it != by_key.end() && l.load > 0)
      it->second->elsewhere[u.node_id] = l.load;
  // What the peer learned itself replaces what this node knew of it (a
  // hello carries none: what was stored stays until its first update).
  if (!u.learned.empty()) {
    auto& theirs = st.learned_elsewhere[u.node_id];
    theirs.clear();
    for (const auto& x : u.learned)
      theirs[{x.agent_id, x.category}] = {x.successes, x.failures};
  }
  pump(self);
}

// What this node tells its peers: the agents it hosts and the load it
// places on every agent ("" for the node id: membership fills it in).
directory_update own_part(const dispatcher_state& st) {
  directory_update out;
  for (const auto& a : st.agents) {
    if (a.node.empty())
      out.agents.push_back({a.def, a.handle});
    if (a.load > 0)
      out.loads.push_back({a.def.id, a.node, a.load});
  }
  for (const auto& [key, q] : st.learned)
    if (q.successes + q.failures > 0)
      out.learned.push_back(
          {key.first, key.second, q.successes, q.failures, st.cfg.node_id});
  return out;
}

// Queues the step and starts what can start: a new step takes its place
// in the priority order (and behind conflicting lock requests) at once.
caf::result<task_reply> assign(dispatcher_self* self, assign_step& s) {
  auto& st = self->state;
  if (!any_match(st, s) && !st.cfg.wait_for_peers)
    return task_reply::failure(
        s.task.task_id, "no agent on this node matches " + describe(s), false);
  auto rp = self->make_response_promise<task_reply>();
  if (s.consensus.agents > 1)
    return start_consensus(self, s, rp);
  enqueue(self, waiting_step{std::move(s), rp});
  pump(self);
  return rp;
}

void cancel(dispatcher_self* self, const std::string& task_id) {
  auto& q = self->state.waiting;
  if (auto g = self->state.groups.find(task_id);
      g != self->state.groups.end()) {
    // Its candidates stop; their late answers find no group.
    g->second.rp.deliver(task_reply::failure(task_id, "cancelled", false));
    self->state.groups.erase(g);
    for (auto it = q.begin(); it != q.end();)
      it =
          it->second.group == task_id ? unqueue(self, it, true) : std::next(it);
    for (const auto& [id, t] : self->state.running)
      if (t.group == task_id)
        if (auto* a = find_agent(self->state, t.agent))
          self->send(a->handle, cancel_atom::value, id);
    return;
  }
  for (auto it = q.begin(); it != q.end(); ++it)
    if (it->second.step.task.task_id == task_id) {
      it->second.rp.deliver(task_reply::failure(task_id, "cancelled", false));
      unqueue(self, it, true);
      pump(self); // what it held back may run now
      return;
    }
  if (auto it = self->state.running.find(task_id);
      it != self->state.running.end())
    if (auto* a = find_agent(self->state, it->second.agent))
      self->send(a->handle, cancel_atom::value, task_id);
}

// An agent of this node with the same id is replaced: new tasks go to the
// new one.
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

// The agent directory as JSON: id, node, department, capabilities,
// capacity, load.
std::string directory(const dispatcher_state& st) {
  auto out = nlohmann::json::array();
  for (const auto& a : st.agents)
    out.push_back({{"id", a.def.id},
                   {"node", a.node},
                   {"department", a.def.department},
                   {"capabilities", a.def.capabilities},
                   {"capacity", a.def.capacity},
                   {"load", a.cluster_load()},
                   {"load_from_here", a.load},
                   {"latency_ms", a.latency_ms}});
  return out.dump();
}

// Per (agent, category): what the cluster learned, and this node's part.
std::string learned_quality(const dispatcher_state& st) {
  std::set<stats_key> keys;
  for (const auto& [key, q] : st.learned)
    keys.insert(key);
  for (const auto& [node, xs] : st.learned_elsewhere)
    for (const auto& [key, q] : xs)
      keys.insert(key);
  auto out = nlohmann::json::array();
  for (const auto& key : keys) {
    auto q = st.cluster_quality(key);
    if (q.successes + q.failures <= 0)
      continue;
    auto here = st.learned.find(key);
    auto mine =
        here == st.learned.end() ? model::quality_stats{} : here->second;
    out.push_back(
        {{"agent", key.first},
         {"category", key.second},
         {"successes", q.successes},
         {"failures", q.failures},
         {"mean", q.mean()},
         {"here",
          {{"successes", mine.successes}, {"failures", mine.failures}}}});
  }
  return out.dump();
}

caf::behavior
dispatcher_actor(dispatcher_self* self,
                 std::vector<std::pair<model::agent_def, caf::actor>> agents,
                 dispatch_settings cfg) {
  auto& st = self->state;
  st.learned = cfg.learned;
  st.learned_elsewhere = cfg.learned_elsewhere;
  st.rng.seed(cfg.seed != 0 ? cfg.seed
                            : static_cast<std::uint64_t>(
                                  steady::now().time_since_epoch().count()));
  st.cfg = std::move(cfg);
  if (!st.cfg.lock_authority) { // one of its own, that goes down with it
    st.cfg.lock_authority = spawn_lock_authority(self->system());
    self->link_to(st.cfg.lock_authority);
  }
  // A clustered node waits for membership to name the cluster's authority.
  if (!st.cfg.wait_for_peers)
    st.authority = st.cfg.lock_authority;
  for (auto& [def, handle] : agents) {
    self->monitor(handle);
    st.agents.push_back({std::move(def), std::move(handle), ""});
  }
  self->set_down_handler([self](caf::down_msg& dm) {
    remove_agents(
        self, [&](const auto& a) { return a.handle.address() == dm.source; },
        "the agent went down: " + self->system().render(dm.reason));
  });
  return {
      [self](assign_step& s) { return assign(self, s); },
      [self](cancel_atom, const std::string& task_id) {
        cancel(self, task_id);
      },
      [self](rate_atom, const std::string& agent, const std::string& category,
             double score) { learn(self, agent, category, score); },
      [self](join_atom, model::agent_def& def, caf::actor& handle) {
        join_local(self, def, handle);
        return true;
      },
      // A peer's part of the directory (its hello, or its periodic update).
      [self](directory_update& u) { sync_peer(self, u); },
      // This node's part of the directory, for the peers.
      [self](sync_atom) { return own_part(self->state); },
      [self](retry_atom) { pump(self); }, // a busy pause ended
      [self](lock_granted_atom, const std::string& task_id) {
        locks_granted(self, task_id);
      },
      [self](lock_denied_atom, const std::string& task_id,
             const std::string& holders) {
        locks_denied(self, task_id, holders);
      },
      [self](authority_atom, caf::actor& authority) {
        turn_to(self, std::move(authority));
      },
      [self](leave_atom, const std::string& node) {
        remove_agents(
            self, [&](const auto& a) { return a.node == node; },
            "node " + node + " left the cluster");
        for (auto& a : self->state.agents)
          a.elsewhere.erase(node);
      },
      [self](directory_atom) { return directory(self->state); },
      // The lock authority's state, from the one this node turns to.
      [self](lock_release_atom, directory_atom) -> caf::result<std::string> {
        if (!self->state.authority)
          return std::string{R"({"authority": null})"};
        auto rp = self->make_response_promise<std::string>();
        self->request(self->state.authority, std::chrono::seconds{2},
                      directory_atom::value)
            .then([rp](std::string& s) mutable { rp.deliver(std::move(s)); },
                  [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
        return rp;
      },
      [self](stats_atom) { return learned_quality(self->state); },
  };
}

} // namespace hishamos::actors::internal

namespace hishamos::actors {

caf::actor
spawn_dispatcher(caf::actor_system& sys,
                 std::vector<std::pair<model::agent_def, caf::actor>> agents,
                 dispatch_settings settings) {
  return sys.spawn(internal::dispatcher_actor, std::move(agents),
                   std::move(settings));
}

} // namespace hishamos::actors
