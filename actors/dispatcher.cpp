#include "actors/dispatcher.hpp"

#include <deque>
#include <map>
#include <set>
#include <unordered_map>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/messages.hpp"

namespace hishamos::actors {

namespace {

using model::task_reply;

struct hosted_agent {
  model::agent_def def;
  caf::actor handle;
  std::string node; ///< Hosting node; "" = this one.
  int load = 0;     ///< Tasks this dispatcher runs on it.
  /// Tasks other nodes' dispatchers run on it, by node, as they last
  /// reported (directory_update).
  std::map<std::string, int> elsewhere;
  std::chrono::steady_clock::time_point busy_until;

  /// The load of the whole cluster on this agent.
  int cluster_load() const {
    int n = load;
    for (const auto& [node, k] : elsewhere)
      n += k;
    return n;
  }
};

struct running_task {
  caf::actor_addr agent;
  caf::typed_response_promise<task_reply> rp;
  assign_step step; ///< Kept to run it elsewhere if the agent is lost.
  int requeued = 0;
};

/// How often a task goes back to the queue (agent busy or lost) before
/// its execution hears of it.
constexpr int max_requeues = 20;
/// How long a busy agent is skipped: its capacity is shared with the
/// dispatchers of other nodes, whose load this one does not see.
constexpr std::chrono::milliseconds busy_pause{50};

struct waiting_step {
  assign_step step;
  caf::typed_response_promise<task_reply> rp;
  int requeued = 0;
};

struct dispatcher_state {
  static inline const char* name = "hishamos.dispatcher";
  std::vector<hosted_agent> agents;
  std::deque<waiting_step> waiting;
  std::unordered_map<std::string, running_task> running; ///< by task id
  /// In a cluster a step no known agent matches waits: the agent's node
  /// may be joining. Alone, it fails at once (a configuration error).
  bool wait_for_peers = false;
};

using dispatcher_self = caf::stateful_actor<dispatcher_state>;

bool matches(const hosted_agent& a, const assign_step& s) {
  if (!s.agent_id.empty())
    return a.def.id == s.agent_id;
  return (s.department.empty() || a.def.department == s.department) &&
         a.def.has_capabilities(s.capabilities);
}

// Index of the least-loaded matching agent with a free slot, -1 if all are
// busy, -2 if no agent matches at all. Slots are counted from this
// dispatcher's own tasks (the agent answers "busy" when other nodes filled
// it); the cluster-wide load, reported by peers a heartbeat late, orders
// the candidates.
int pick(const dispatcher_state& st, const assign_step& s) {
  int best = -1;
  bool any = false;
  double best_ratio = 2.0;
  auto now = std::chrono::steady_clock::now();
  for (size_t i = 0; i < st.agents.size(); ++i) {
    const auto& a = st.agents[i];
    if (!matches(a, s))
      continue;
    any = true;
    if (a.busy_until > now)
      continue;
    double ratio = static_cast<double>(a.cluster_load()) / a.def.capacity;
    if (a.load < a.def.capacity && ratio < best_ratio) {
      best = static_cast<int>(i);
      best_ratio = ratio;
    }
  }
  return any ? best : -2;
}

hosted_agent* find_agent(dispatcher_state& st, const caf::actor_addr& addr) {
  for (auto& a : st.agents)
    if (a.handle.address() == addr)
      return &a;
  return nullptr;
}

void pump(dispatcher_self* self);

// Answers a running task once: by its agent, or earlier when the agent
// (or its node) goes down and the answer would never come.
void finish(dispatcher_self* self, const std::string& task_id, task_reply r) {
  auto it = self->state.running.find(task_id);
  if (it == self->state.running.end())
    return; // already answered
  if (auto* a = find_agent(self->state, it->second.agent))
    --a->load;
  auto rp = std::move(it->second.rp);
  self->state.running.erase(it);
  rp.deliver(std::move(r));
  pump(self);
}

// Puts a running task back at the head of the queue (its agent was busy
// or is gone), unless it went back too often: then its execution hears.
void requeue(dispatcher_self* self, const std::string& task_id,
             task_reply why) {
  auto it = self->state.running.find(task_id);
  if (it == self->state.running.end())
    return;
  if (it->second.requeued >= max_requeues)
    return finish(self, task_id, std::move(why));
  if (auto* a = find_agent(self->state, it->second.agent))
    --a->load;
  waiting_step w{std::move(it->second.step), std::move(it->second.rp),
                 it->second.requeued + 1};
  self->state.running.erase(it);
  self->state.waiting.push_front(std::move(w));
  pump(self);
}

void run_on(dispatcher_self* self, hosted_agent& agent, waiting_step w) {
  ++agent.load;
  auto task_id = w.step.task.task_id;
  auto task = w.step.task;
  self->state.running.emplace(task_id,
                              running_task{agent.handle.address(), w.rp,
                                           std::move(w.step), w.requeued});
  auto addr = agent.handle.address();
  self->request(agent.handle, caf::infinite, std::move(task))
      .then(
          [self, task_id, addr](task_reply& r) {
            if (!r.busy)
              return finish(self, task_id, std::move(r));
            if (auto* a = find_agent(self->state, addr))
              a->busy_until = std::chrono::steady_clock::now() + busy_pause;
            self->delayed_send(self, busy_pause, retry_atom::value);
            requeue(self, task_id, std::move(r));
          },
          [self, task_id](caf::error& e) {
            finish(self, task_id,
                   task_reply::failure(
                       task_id,
                       "agent unavailable: " + self->system().render(e), true));
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
    requeue(self, id, task_reply::failure(id, why, true));
}

// Starts every waiting step that now has a free agent, oldest first.
void pump(dispatcher_self* self) {
  auto& q = self->state.waiting;
  for (auto it = q.begin(); it != q.end();) {
    int i = pick(self->state, it->step);
    if (i < 0) {
      ++it;
      continue;
    }
    auto w = std::move(*it);
    it = q.erase(it);
    run_on(self, self->state.agents[i], std::move(w));
  }
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
  std::map<std::pair<std::string, std::string>, hosted_agent*> by_key;
  for (auto& a : st.agents) {
    a.elsewhere.erase(u.node_id);
    by_key[{a.def.id, a.node}] = &a;
  }
  for (const auto& l : u.loads)
    if (auto it = by_key.find({l.agent_id, l.node});
        it != by_key.end() && l.load > 0)
      it->second->elsewhere[u.node_id] = l.load;
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
  return out;
}

std::string describe(const assign_step& s) {
  if (!s.agent_id.empty())
    return "agent '" + s.agent_id + "'";
  std::string caps;
  for (const auto& c : s.capabilities)
    caps += caps.empty() ? c : ", " + c;
  return "an agent of department '" + s.department + "' with [" + caps + "]";
}

caf::behavior
dispatcher_actor(dispatcher_self* self,
                 std::vector<std::pair<model::agent_def, caf::actor>> agents,
                 bool wait_for_peers) {
  self->state.wait_for_peers = wait_for_peers;
  for (auto& [def, handle] : agents) {
    self->monitor(handle);
    self->state.agents.push_back({std::move(def), std::move(handle), "", 0});
  }
  self->set_down_handler([self](caf::down_msg& dm) {
    remove_agents(
        self, [&](const auto& a) { return a.handle.address() == dm.source; },
        "the agent went down: " + self->system().render(dm.reason));
  });
  return {
      [self](assign_step& s) -> caf::result<task_reply> {
        int i = pick(self->state, s);
        if (i == -2 && !self->state.wait_for_peers)
          return task_reply::failure(
              s.task.task_id, "no agent on this node matches " + describe(s),
              false);
        auto rp = self->make_response_promise<task_reply>();
        waiting_step w{std::move(s), rp};
        if (i >= 0)
          run_on(self, self->state.agents[i], std::move(w));
        else
          self->state.waiting.push_back(std::move(w));
        return rp;
      },
      [self](cancel_atom, const std::string& task_id) {
        auto& q = self->state.waiting;
        for (auto it = q.begin(); it != q.end(); ++it)
          if (it->step.task.task_id == task_id) {
            it->rp.deliver(task_reply::failure(task_id, "cancelled", false));
            q.erase(it);
            return;
          }
        if (auto it = self->state.running.find(task_id);
            it != self->state.running.end())
          if (auto* a = find_agent(self->state, it->second.agent))
            self->send(a->handle, cancel_atom::value, task_id);
      },
      [self](join_atom, model::agent_def& def, caf::actor& handle) {
        // An agent with the same id is replaced: new tasks go to the new one.
        auto& xs = self->state.agents;
        for (auto it = xs.begin(); it != xs.end(); ++it)
          if (it->node.empty() && it->def.id == def.id) {
            self->demonitor(it->handle);
            self->send_exit(it->handle, caf::exit_reason::user_shutdown);
            xs.erase(it);
            break;
          }
        self->monitor(handle);
        xs.push_back({std::move(def), std::move(handle), "", 0});
        pump(self);
        return true;
      },
      // A peer's part of the directory (its hello, or its periodic update).
      [self](directory_update& u) { sync_peer(self, u); },
      // This node's part of the directory, for the peers.
      [self](sync_atom) { return own_part(self->state); },
      [self](retry_atom) { pump(self); }, // a busy pause ended
      [self](leave_atom, const std::string& node) {
        remove_agents(
            self, [&](const auto& a) { return a.node == node; },
            "node " + node + " left the cluster");
        for (auto& a : self->state.agents)
          a.elsewhere.erase(node);
      },
      // The agent directory as JSON: id, node, department, capabilities,
      // capacity, load.
      [self](directory_atom) {
        auto out = nlohmann::json::array();
        for (const auto& a : self->state.agents)
          out.push_back({{"id", a.def.id},
                         {"node", a.node},
                         {"department", a.def.department},
                         {"capabilities", a.def.capabilities},
                         {"capacity", a.def.capacity},
                         {"load", a.cluster_load()},
                         {"load_from_here", a.load}});
        return out.dump();
      },
  };
}

} // namespace

caf::actor
spawn_dispatcher(caf::actor_system& sys,
                 std::vector<std::pair<model::agent_def, caf::actor>> agents,
                 bool wait_for_peers) {
  return sys.spawn(dispatcher_actor, std::move(agents), wait_for_peers);
}

} // namespace hishamos::actors
