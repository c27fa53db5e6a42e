#include "actors/dispatcher.hpp"

#include <deque>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace hishamos::actors {

namespace {

using model::task_reply;

struct hosted_agent {
  model::agent_def def;
  caf::actor handle;
  int load = 0;
};

struct waiting_step {
  assign_step step;
  caf::typed_response_promise<task_reply> rp;
};

struct dispatcher_state {
  static inline const char* name = "hishamos.dispatcher";
  std::vector<hosted_agent> agents;
  std::deque<waiting_step> waiting;
  std::unordered_map<std::string, caf::actor_addr> running; ///< task -> agent
};

using dispatcher_self = caf::stateful_actor<dispatcher_state>;

bool matches(const hosted_agent& a, const assign_step& s) {
  if (!s.agent_id.empty())
    return a.def.id == s.agent_id;
  return (s.department.empty() || a.def.department == s.department) &&
         a.def.has_capabilities(s.capabilities);
}

// Index of the least-loaded matching agent with a free slot, -1 if all are
// busy, -2 if no agent matches at all.
int pick(const dispatcher_state& st, const assign_step& s) {
  int best = -1;
  bool any = false;
  double best_ratio = 2.0;
  for (size_t i = 0; i < st.agents.size(); ++i) {
    const auto& a = st.agents[i];
    if (!matches(a, s))
      continue;
    any = true;
    double ratio = static_cast<double>(a.load) / a.def.capacity;
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

void run_on(dispatcher_self* self, hosted_agent& agent, waiting_step w) {
  ++agent.load;
  auto addr = agent.handle.address();
  auto task_id = w.step.task.task_id;
  self->state.running.emplace(task_id, addr);
  auto rp = w.rp;
  auto finish = [self, addr, task_id, rp](task_reply r) mutable {
    if (auto* a = find_agent(self->state, addr))
      --a->load;
    self->state.running.erase(task_id);
    rp.deliver(std::move(r));
    pump(self);
  };
  self->request(agent.handle, caf::infinite, std::move(w.step.task))
      .then([finish](task_reply& r) mutable { finish(std::move(r)); },
            [self, finish, task_id](caf::error& e) mutable {
              finish(task_reply::failure(
                  task_id, "agent unavailable: " + self->system().render(e),
                  true));
            });
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
                 std::vector<std::pair<model::agent_def, caf::actor>> agents) {
  for (auto& [def, handle] : agents) {
    self->monitor(handle);
    self->state.agents.push_back({std::move(def), std::move(handle), 0});
  }
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& xs = self->state.agents;
    xs.erase(std::remove_if(xs.begin(), xs.end(),
                            [&](const auto& a) {
                              return a.handle.address() == dm.source;
                            }),
             xs.end());
  });
  return {
      [self](assign_step& s) -> caf::result<task_reply> {
        int i = pick(self->state, s);
        if (i == -2)
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
          if (auto* a = find_agent(self->state, it->second))
            self->send(a->handle, cancel_atom::value, task_id);
      },
      [self](join_atom, model::agent_def& def, caf::actor& handle) {
        // An agent with the same id is replaced: new tasks go to the new one.
        auto& xs = self->state.agents;
        for (auto it = xs.begin(); it != xs.end(); ++it)
          if (it->def.id == def.id) {
            self->demonitor(it->handle);
            self->send_exit(it->handle, caf::exit_reason::user_shutdown);
            xs.erase(it);
            break;
          }
        self->monitor(handle);
        xs.push_back({std::move(def), std::move(handle), 0});
        pump(self);
        return true;
      },
  };
}

} // namespace

caf::actor
spawn_dispatcher(caf::actor_system& sys,
                 std::vector<std::pair<model::agent_def, caf::actor>> agents) {
  return sys.spawn(dispatcher_actor, std::move(agents));
}

} // namespace hishamos::actors
