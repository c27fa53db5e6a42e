#include "actors/dispatcher.hpp"
#include "actors/internal/exceptions.hpp"

#include <algorithm>
#include <chrono>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/internal/dispatcher_state.hpp"
#include "actors/lock_authority.hpp"
#include "actors/messages.hpp"

namespace hishamos::actors::internal {

namespace {

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

} // namespace

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
  const auto& matching = matching_agents(st, w.key, s);
  if (matching.empty())
    return {-2, {}};
  // Scores at most max_candidates free agents, in turn from a random place
  // when there are more matching ones.
  auto n = matching.size();
  auto most = static_cast<size_t>(std::max(1, st.cfg.max_candidates));
  size_t from = n > most ? st.rng() % n : 0;
  std::vector<size_t> index;
  std::vector<model::candidate> candidates;
  for (size_t k = 0; k < n && candidates.size() < most; ++k) {
    auto i = matching[(from + k) % n];
    const auto& a = st.agents[i];
    if (a.busy_until > now || a.load >= a.def.capacity || !under_quota(st, a) ||
        (taken && taken->count(a.def.id)))
      continue;
    index.push_back(i);
    candidates.push_back({a.def.id, a.node, a.cluster_load(), a.def.capacity,
                          capability_match(a, s), a.def.price_per_call,
                          a.latency_ms,
                          st.quality.cluster({a.def.id, category})});
  }
  if (candidates.empty())
    return {};
  auto d = model::choose(st.cfg.weights, candidates, st.rng);
  auto& why = st.decision_text;
  model::decision_step step{
      category, s.priority,
      std::chrono::duration_cast<std::chrono::milliseconds>(now - w.since)
          .count()};
  if (st.cfg.compact_decisions) {
    model::write_compact_json(d, candidates, step, why);
  } else {
    model::write_json(d, candidates, why);
    why["category"] = step.category;
    why["priority"] = step.priority;
    why["waited_ms"] = step.waited_ms;
  }
  return {static_cast<int>(index[static_cast<size_t>(d.chosen)]), why.dump()};
}

// Learned quality: a result that satisfies its evaluator (or has none) is
// a success of its agent for the category, anything else a failure.
void learn(dispatcher_self* self, const std::string& agent,
           const std::string& category, double score) {
  auto& st = self->state;
  const auto& q =
      st.quality.observe({agent, category}, score, st.cfg.weights.decay);
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
                     bool keep_locks) {
  auto& st = self->state;
  auto t = std::move(it->second);
  st.running.erase(it);
  if (t.claim.phase == lock_phase::granted && !keep_locks) {
    free_locks(self, t.step.task.task_id);
    t.claim.phase = lock_phase::unasked;
  }
  if (auto* a = find_agent(st, t.agent))
    add_load(self, *a, -1);
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
  auto& st = self->state;
  bool judged = from_agent && r.judged;
  auto* agent = find_agent(st, it->second.agent);
  // Its record stays where it is while this runs (only joins and
  // departures move records).
  auto at = agent ? agent - st.agents.data() : -1;
  if (judged && it->second.evaluating.empty())
    if (auto* a = agent) {
      double took = std::chrono::duration<double, std::milli>(
                        steady::now() - it->second.started)
                        .count();
      a->latency_ms =
          a->latency_ms == 0 ? took : 0.8 * a->latency_ms + 0.2 * took;
    }
  auto t = release(self, it); // an on-demand agent's actor may stop here
  r.decision = std::move(t.decision);
  r.agent_id = t.agent_id;
  if (!t.evaluating.empty())
    return evaluated(self, t.evaluating, std::move(r)); // pumps
  if (judged && r.ok && !t.step.evaluator.agent.empty() && t.group.empty())
    return evaluate(self, std::move(t), std::move(r)); // pumps
  if (judged)
    learn(self, t.agent_id, t.category, outcome_of(r));
  if (!t.group.empty())
    return group_result(self, t.group, std::move(r)); // pumps
  t.rp.deliver(std::move(r));
  if (at < 0)
    return pump(self);
  bool limits = t.step.workflow_limit > 0 ||
                st.cfg.department_quotas.count(t.department) > 0;
  pump_released(self, st.agents[static_cast<size_t>(at)], limits);
}

void run_on(dispatcher_self* self, hosted_agent& agent, waiting_step w,
            std::string decision) {
  auto& st = self->state;
  add_load(self, agent, +1);
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
  auto& handle = actor_of(self, agent);
  t.agent = handle.address();
  st.running.emplace(task_id, std::move(t));
  auto addr = handle.address();
  // Locally the task is shared, traceparent included; a peer's agent gets
  // it beside the task, if the peer's release knows how to read it.
  auto sent = agent.node.empty() || task.traceparent.empty() ||
                      !st.traced_nodes.count(agent.node)
                  ? self->request(handle, caf::infinite, std::move(task))
                  : self->request(handle, caf::infinite, trace_atom::value,
                                  task, task.traceparent);
  sent.then(
      [self, task_id, addr](task_reply& r) {
        if (!r.busy)
          return finish(self, task_id, std::move(r), true);
        if (auto* a = find_agent(self->state, addr))
          a->busy_until = steady::now() + busy_pause;
        self->delayed_send(self, busy_pause, retry_atom::value);
        requeue(self, task_id, std::move(r), true);
      },
      [self, task_id, addr](caf::error& e) {
        // Its node went away (it drains or died) before the directory
        // heard: the task goes back to the queue, as for a lost agent,
        // and this agent is skipped until the directory knows more.
        if (auto* a = find_agent(self->state, addr))
          a->busy_until = steady::now() + busy_pause;
        self->delayed_send(self, busy_pause, retry_atom::value);
        requeue(self, task_id,
                task_reply::failure(
                    task_id, "agent unavailable: " + self->system().render(e),
                    true),
                false);
      });
}

std::string describe(const assign_step& s) {
  if (!s.agent_id.empty())
    return "agent '" + s.agent_id + "'";
  std::string caps;
  for (const auto& c : s.capabilities)
    caps += caps.empty() ? c : ", " + c;
  return "an agent of department '" + s.department + "' with [" + caps + "]";
}

namespace {

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
  pump_arrived(self, enqueue(self, waiting_step{std::move(s), rp}));
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
          tell(self, a->handle, cancel_atom::value, id);
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
      tell(self, a->handle, cancel_atom::value, task_id);
}

// The lock authority's state, from the one this node turns to.
caf::result<model::lock_table_snapshot> lock_table(dispatcher_self* self) {
  if (!self->state.authority)
    return model::lock_table_snapshot{};
  auto rp = self->make_response_promise<model::lock_table_snapshot>();
  self->request(self->state.authority, std::chrono::seconds{2},
                directory_atom::value)
      .then(
          [rp](model::lock_table_snapshot& s) mutable {
            rp.deliver(std::move(s));
          },
          [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
  return rp;
}

void leave(dispatcher_self* self, const std::string& node) {
  remove_agents(
      self, [&](const hosted_agent& a) { return a.node == node; },
      "node " + node + " left the cluster");
  for (auto& a : self->state.agents)
    a.elsewhere.erase(node);
  self->state.traced_nodes.erase(node);
}

void start(dispatcher_self* self,
           std::vector<std::pair<model::agent_def, caf::actor>>& agents,
           dispatch_settings& cfg) {
  auto& st = self->state;
  st.quality = {std::move(cfg.learned), std::move(cfg.learned_elsewhere)};
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
  st.agents.reserve(agents.size() + st.cfg.on_demand_agents.size());
  for (auto& [def, handle] : agents) {
    self->monitor(handle);
    add_agent(st, {std::move(def), std::move(handle), ""});
  }
  for (auto& def : st.cfg.on_demand_agents) {
    hosted_agent a{std::move(def), {}, ""};
    a.on_demand = true;
    add_agent(st, std::move(a));
  }
  st.cfg.on_demand_agents = {};
  self->set_down_handler([self](caf::down_msg& dm) {
    remove_agents(
        self,
        [&](const hosted_agent& a) { return a.handle.address() == dm.source; },
        "the agent went down: " + self->system().render(dm.reason));
  });
}

} // namespace

dispatcher_actor::behavior_type
dispatcher(dispatcher_self* self,
           std::vector<std::pair<model::agent_def, caf::actor>> agents,
           dispatch_settings cfg) {
  log_exceptions(self, "dispatcher");
  start(self, agents, cfg);
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
      [self](join_atom, std::vector<model::agent_def>& defs) {
        join_on_demand(self, defs);
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
      [self](leave_atom, const std::string& node) { leave(self, node); },
      [self](features_atom, const std::string& node,
             const std::string& features) {
        if (("," + features + ",").find(",trace,") != std::string::npos)
          self->state.traced_nodes.insert(node);
      },
      [self](directory_atom) { return directory(self->state); },
      [self](lock_release_atom, directory_atom) { return lock_table(self); },
      [self](stats_atom) { return self->state.quality.entries(); },
  };
}

} // namespace hishamos::actors::internal

namespace hishamos::actors {

dispatcher_actor
spawn_dispatcher(caf::actor_system& sys,
                 std::vector<std::pair<model::agent_def, caf::actor>> agents,
                 dispatch_settings settings) {
  return sys.spawn(internal::dispatcher, std::move(agents),
                   std::move(settings));
}

} // namespace hishamos::actors
