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

#include "actors/messages.hpp"
#include "model/consensus.hpp"

namespace hishamos::actors {

namespace {

using model::task_reply;
using steady = std::chrono::steady_clock;

struct hosted_agent {
  model::agent_def def;
  caf::actor handle;
  std::string node; ///< Hosting node; "" = this one.
  int load = 0;     ///< Tasks this dispatcher runs on it.
  /// Tasks other nodes' dispatchers run on it, by node, as they last
  /// reported (directory_update).
  std::map<std::string, int> elsewhere;
  steady::time_point busy_until;
  double latency_ms = 0; ///< Recent average time to answer.

  /// The load of the whole cluster on this agent.
  int cluster_load() const {
    int n = load;
    for (const auto& [node, k] : elsewhere)
      n += k;
    return n;
  }
};

struct waiting_step {
  assign_step step;
  caf::typed_response_promise<task_reply> rp;
  int requeued = 0;
  steady::time_point since = steady::now();
  /// Who held its locks when it last could not have them (task ids).
  std::vector<std::string> lock_holders;
  /// A candidate (or the judge) of this consensus group (its step's task
  /// id); "" = a step of its own.
  std::string group;
  /// Which agents it may run on (agent id, or department and
  /// capabilities), as a number: steps of one key share their candidates.
  int key = 0;
  /// A judge evaluator's task: the task id whose result it scores.
  std::string evaluating;
};

struct running_task {
  caf::actor_addr agent;
  caf::typed_response_promise<task_reply> rp;
  assign_step step; ///< Kept to run it elsewhere if the agent is lost.
  int requeued = 0;
  std::string agent_id;
  std::string department; ///< The agent's, for its quota.
  std::string category;
  std::string decision; ///< JSON, returned with the reply.
  steady::time_point started = steady::now();
  std::string group;        ///< As waiting_step::group.
  steady::time_point since; ///< When it first waited.
  std::string evaluating;   ///< As waiting_step::evaluating.
};

/// A result waiting for its judge evaluator's score.
struct pending_evaluation {
  task_reply reply;
  running_task task;
};

/// A step run on several distinct agents; one result is picked.
struct consensus_group {
  caf::typed_response_promise<task_reply> rp;
  assign_step step;           ///< The step as its execution sent it.
  std::set<std::string> used; ///< Agents that have a candidate.
  std::vector<task_reply> results;
  bool judging = false;
};

/// How often a task goes back to the queue (agent busy or lost) before
/// its execution hears of it.
constexpr int max_requeues = 20;
/// How long a busy agent is skipped: its capacity is shared with the
/// dispatchers of other nodes, whose load this one does not see.
constexpr std::chrono::milliseconds busy_pause{50};

using stats_key = std::pair<std::string, std::string>; // agent, category

struct dispatcher_state {
  static inline const char* name = "hishamos.dispatcher";
  dispatch_settings cfg;
  std::mt19937_64 rng;
  std::vector<hosted_agent> agents;
  /// By effective priority, highest first. Aging lifts every waiting step
  /// at the same rate, so the order of priority + aging * waited never
  /// changes: the key is priority - aging * arrival time, fixed at arrival
  /// (ties keep arrival order). A requeued task goes first.
  std::multimap<double, waiting_step, std::greater<>> waiting;
  std::unordered_map<std::string, running_task> running; ///< by task id
  std::map<std::string, int> running_per_workflow;
  std::map<std::string, int> running_per_department;
  std::map<stats_key, model::quality_stats> learned;
  model::lock_table locks; ///< Held by running tasks (by task id).
  std::unordered_map<std::string, consensus_group> groups; ///< by task id
  std::unordered_map<std::string, int> selector_keys;      ///< selector -> key
  std::unordered_map<std::string, pending_evaluation> evaluations; ///< by id

  std::string category_of(const std::string& template_id) const {
    auto it = cfg.categories.find(template_id);
    return it == cfg.categories.end() ? template_id : it->second;
  }
};

using dispatcher_self = caf::stateful_actor<dispatcher_state>;

bool matches(const hosted_agent& a, const assign_step& s) {
  if (!s.agent_id.empty())
    return a.def.id == s.agent_id;
  return (s.department.empty() || a.def.department == s.department) &&
         a.def.has_capabilities(s.capabilities);
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
    auto learned = st.learned.find({a.def.id, category});
    candidates.push_back({a.def.id, a.node, a.cluster_load(), a.def.capacity,
                          capability_match(a, s), a.def.price_per_call,
                          a.latency_ms,
                          learned == st.learned.end() ? model::quality_stats{}
                                                      : learned->second});
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

void pump(dispatcher_self* self);

// Learned quality: a result that satisfies its evaluator (or has none) is
// a success of its agent for the category, anything else a failure.
void learn(dispatcher_self* self, const std::string& agent,
           const std::string& category, double score) {
  auto& st = self->state;
  auto& q = st.learned[{agent, category}];
  q.observe(score, st.cfg.weights.decay);
  if (st.cfg.batch)
    self->send(st.cfg.batch, persistence::agent_stat_record{
                                 agent, category, q.successes, q.failures});
}

double outcome_of(const task_reply& r) {
  if (!r.ok)
    return 0.0;
  return r.quality < 0 || r.quality >= 1.0 - 1e-9 ? 1.0 : 0.0;
}

void group_result(dispatcher_self* self, const std::string& group,
                  task_reply r);
void evaluate(dispatcher_self* self, running_task t, task_reply r);
void evaluated(dispatcher_self* self, const std::string& id, task_reply r);
void enqueue(dispatcher_state& st, struct waiting_step w, bool first);

// Frees what a running task held.
running_task
release(dispatcher_self* self,
        std::unordered_map<std::string, running_task>::iterator it) {
  auto& st = self->state;
  auto t = std::move(it->second);
  st.running.erase(it);
  st.locks.release(t.step.task.task_id);
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
  bool judged = from_agent && r.judged && r.output != "cancelled";
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

// Has the step's judge evaluator score a result before its execution
// hears of it; its template gets the result as `output`.
void evaluate(dispatcher_self* self, running_task t, task_reply r) {
  auto& st = self->state;
  auto id = t.step.task.task_id;
  assign_step j;
  j.task = t.step.task;
  j.task.task_id = id + "#eval";
  j.task.template_id = t.step.evaluator.template_id;
  j.task.params = nlohmann::json{{"output", r.output}}.dump();
  j.task.conversation.clear();
  j.agent_id = t.step.evaluator.agent;
  j.workflow = t.step.workflow;
  j.priority = t.step.priority;
  waiting_step w{std::move(j), t.rp};
  w.evaluating = id;
  st.evaluations.emplace(id, pending_evaluation{std::move(r), std::move(t)});
  enqueue(st, std::move(w), true);
  pump(self);
}

// The judge's answer: its score (fractional) is the result's quality and
// what routing learns; without a usable score the rules' outcome counts.
void evaluated(dispatcher_self* self, const std::string& id, task_reply r) {
  auto& st = self->state;
  auto it = st.evaluations.find(id);
  if (it == st.evaluations.end())
    return pump(self);
  auto p = std::move(it->second);
  st.evaluations.erase(it);
  double score = r.ok ? model::judged_score(r.output) : -1;
  auto decision = nlohmann::json::parse(p.reply.decision, nullptr, false);
  if (decision.is_discarded())
    decision = nlohmann::json::object();
  decision["evaluation"] = {
      {"judge", r.agent_id},
      {"answer", r.output.substr(0, 200)},
      {"score", score < 0 ? nlohmann::json(nullptr) : nlohmann::json(score)}};
  p.reply.decision = decision.dump();
  if (score >= 0) {
    p.reply.quality = score;
    learn(self, p.task.agent_id, p.task.category, score);
  } else {
    learn(self, p.task.agent_id, p.task.category, outcome_of(p.reply));
  }
  p.task.rp.deliver(std::move(p.reply));
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
void enqueue(dispatcher_state& st, waiting_step w, bool first = false) {
  auto [known, fresh] = st.selector_keys.emplace(
      selector_key(w.step), static_cast<int>(st.selector_keys.size()));
  w.key = known->second;
  double key = first ? std::numeric_limits<double>::max()
                     : w.step.priority - st.cfg.aging_per_second *
                                             std::chrono::duration<double>(
                                                 w.since.time_since_epoch())
                                                 .count();
  st.waiting.emplace(key, std::move(w));
}

// Puts a running task back at the head of the queue (its agent was busy
// or is gone), unless it went back too often: then its execution hears.
void requeue(dispatcher_self* self, const std::string& task_id,
             task_reply why) {
  auto it = self->state.running.find(task_id);
  if (it == self->state.running.end())
    return;
  if (it->second.requeued >= max_requeues)
    return finish(self, task_id, std::move(why), false);
  auto t = release(self, it);
  if (auto g = self->state.groups.find(t.group); g != self->state.groups.end())
    g->second.used.erase(t.agent_id); // another agent may take it
  waiting_step w{std::move(t.step), std::move(t.rp), t.requeued + 1, t.since};
  w.group = std::move(t.group);
  enqueue(self->state, std::move(w), true);
  pump(self);
}

void run_on(dispatcher_self* self, hosted_agent& agent, waiting_step w,
            std::string decision) {
  auto& st = self->state;
  ++agent.load;
  ++st.running_per_workflow[w.step.workflow];
  ++st.running_per_department[agent.def.department];
  auto task_id = w.step.task.task_id;
  st.locks.grant(task_id, w.step.locks);
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
            requeue(self, task_id, std::move(r));
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
    requeue(self, id, task_reply::failure(id, why, true));
}

bool any_free_slot(const dispatcher_state& st) {
  return std::any_of(
      st.agents.begin(), st.agents.end(),
      [](const hosted_agent& a) { return a.load < a.def.capacity; });
}

// Starts every waiting step that now has a free agent and its locks, in
// effective-priority order. A step that cannot start keeps its locks
// reserved against the steps behind it, so conflicting steps are granted
// in that order too. Steps whose candidates turned out all busy in this
// pass are not scored again: one pass costs O(waiting), not O(waiting x
// agents).
void pump(dispatcher_self* self) {
  auto& st = self->state;
  if (st.waiting.empty() || !any_free_slot(st))
    return;
  model::lock_table reserved; // by steps ahead in the queue
  // Selector keys without a free agent in this pass -> whether their steps
  // hold back locks (not when no agent matches them at all).
  std::unordered_map<int, bool> exhausted;
  for (auto it = st.waiting.begin(); it != st.waiting.end();) {
    auto cur = it++;
    auto& w = cur->second;
    if (!w.step.locks.empty()) {
      w.lock_holders = st.locks.blockers(w.step.locks);
      auto ahead = reserved.blockers(w.step.locks);
      if (!w.lock_holders.empty() || !ahead.empty()) {
        reserved.grant(w.step.task.task_id, w.step.locks);
        continue;
      }
    }
    if (auto known = exhausted.find(w.key);
        w.group.empty() && known != exhausted.end()) {
      if (known->second)
        reserved.grant(w.step.task.task_id, w.step.locks);
      continue;
    }
    auto p = pick(st, w);
    if (p.agent < 0) {
      if (w.group.empty() && !p.limited)
        exhausted.emplace(w.key, p.agent != -2);
      // A step no known agent matches (its node is gone, or not joined
      // yet) cannot run soon: it holds back nobody's locks.
      if (p.agent != -2)
        reserved.grant(w.step.task.task_id, w.step.locks);
      continue;
    }
    auto ready = std::move(w);
    st.waiting.erase(cur);
    run_on(self, st.agents[static_cast<size_t>(p.agent)], std::move(ready),
           std::move(p.decision));
    if (!any_free_slot(st))
      return;
  }
}

// Fails a step still waiting for its locks after its lock_timeout_ms,
// naming who holds them.
void lock_timeout(dispatcher_self* self, const std::string& task_id) {
  auto& st = self->state;
  for (auto entry = st.waiting.begin(); entry != st.waiting.end(); ++entry) {
    auto* it = &entry->second;
    if (it->step.task.task_id != task_id)
      continue;
    if (it->lock_holders.empty())
      return; // it has its locks' resources free: it waits for an agent
    std::string held;
    for (const auto& h : it->lock_holders) {
      auto r = st.running.find(h);
      held += (held.empty() ? "" : ", ") +
              (r == st.running.end()
                   ? h
                   : "step '" + r->second.step.task.step_id +
                         "' of execution " + r->second.step.task.execution_id);
    }
    it->rp.deliver(task_reply::failure(
        task_id,
        "step '" + it->step.task.step_id + "' waited " +
            std::to_string(it->step.lock_timeout_ms) + " ms for its locks " +
            model::describe(it->step.locks) + ", held by " + held,
        false));
    st.waiting.erase(entry);
    return;
  }
}

// The consensus outcome: the winner's reply with every candidate kept in
// its decision.
void resolve(dispatcher_self* self, consensus_group& g, int winner,
             nlohmann::json judge) {
  auto candidates = nlohmann::json::array();
  for (const auto& r : g.results)
    candidates.push_back(
        {{"agent", r.agent_id},
         {"ok", r.ok},
         {"quality", r.quality},
         {"output", r.output},
         {"decision", nlohmann::json::parse(r.decision, nullptr, false)}});
  task_reply out = g.results[static_cast<size_t>(winner)];
  out.task_id = g.step.task.task_id;
  nlohmann::json why{{"chosen", out.agent_id},
                     {"consensus",
                      {{"strategy", g.step.consensus.strategy},
                       {"chosen_index", winner},
                       {"candidates", candidates}}}};
  if (!judge.is_null())
    why["consensus"]["judge"] = std::move(judge);
  out.decision = why.dump();
  g.rp.deliver(std::move(out));
}

// Asks the judge agent which candidate wins; its task takes the judge
// template with the candidates' outputs as `candidates`.
void ask_judge(dispatcher_self* self, consensus_group& g) {
  g.judging = true;
  auto outputs = nlohmann::json::array();
  for (const auto& r : g.results)
    outputs.push_back(r.output);
  assign_step j;
  j.task = g.step.task;
  j.task.task_id = g.step.task.task_id + "#judge";
  j.task.template_id = g.step.consensus.judge_template;
  j.task.params = nlohmann::json{{"candidates", outputs}}.dump();
  j.agent_id = g.step.consensus.judge_agent;
  j.workflow = g.step.workflow;
  j.priority = g.step.priority;
  waiting_step w{std::move(j), g.rp};
  w.group = g.step.task.task_id;
  enqueue(self->state, std::move(w), true);
}

// A candidate's (or the judge's) reply. Failed candidates drop out; when
// all are in, the strategy picks among the ones that succeeded.
void group_result(dispatcher_self* self, const std::string& id, task_reply r) {
  auto& st = self->state;
  auto it = st.groups.find(id);
  if (it == st.groups.end())
    return pump(self); // cancelled meanwhile
  auto& g = it->second;
  if (g.judging) {
    int n = r.ok ? model::judged_choice(r.output, g.results.size()) : -1;
    nlohmann::json judge{{"agent", r.agent_id}, {"answer", r.output}};
    if (n < 0) { // a judge that names no candidate: the best score wins
      judge["fallback"] = "best_quality";
      std::vector<model::candidate_result> xs;
      for (const auto& c : g.results)
        xs.push_back({c.agent_id, c.output, c.quality});
      n = model::pick_result("best_quality", xs);
    }
    resolve(self, g, n, std::move(judge));
    st.groups.erase(it);
    return pump(self);
  }
  g.results.push_back(std::move(r));
  if (static_cast<int>(g.results.size()) < g.step.consensus.agents)
    return pump(self);
  auto failed = std::stable_partition(g.results.begin(), g.results.end(),
                                      [](const task_reply& x) { return x.ok; });
  if (failed == g.results.begin()) { // none succeeded
    auto why = g.results.front();
    why.task_id = id;
    g.rp.deliver(std::move(why));
    st.groups.erase(it);
    return pump(self);
  }
  g.results.erase(failed, g.results.end());
  if (g.step.consensus.strategy == "judge") {
    ask_judge(self, g);
    return pump(self);
  }
  std::vector<model::candidate_result> xs;
  for (const auto& c : g.results)
    xs.push_back({c.agent_id, c.output, c.quality});
  resolve(self, g, model::pick_result(g.step.consensus.strategy, xs), nullptr);
  st.groups.erase(it);
  pump(self);
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

bool any_match(const dispatcher_state& st, const assign_step& s) {
  return std::any_of(st.agents.begin(), st.agents.end(),
                     [&](const hosted_agent& a) { return matches(a, s); });
}

// Queues one candidate per agent asked for; each goes to an agent the
// others did not take.
caf::result<task_reply>
start_consensus(dispatcher_self* self, assign_step& s,
                caf::typed_response_promise<task_reply> rp) {
  auto& st = self->state;
  std::set<std::string> distinct;
  for (const auto& a : st.agents)
    if (matches(a, s))
      distinct.insert(a.def.id);
  int wanted = s.consensus.agents;
  if (static_cast<int>(distinct.size()) < wanted && !st.cfg.wait_for_peers) {
    rp.deliver(task_reply::failure(
        s.task.task_id,
        "consensus needs " + std::to_string(wanted) + " distinct agents, but " +
            std::to_string(distinct.size()) + " match " + describe(s),
        false));
    return rp; // the promise answers: a value returned now would be lost
  }
  auto id = s.task.task_id;
  st.groups.emplace(id, consensus_group{rp, s});
  for (int k = 1; k <= wanted; ++k) {
    auto candidate = s;
    candidate.task.task_id = id + "#" + std::to_string(k);
    waiting_step w{std::move(candidate), rp};
    w.group = id;
    enqueue(st, std::move(w));
  }
  pump(self);
  return rp;
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
  if (s.lock_timeout_ms > 0 && !s.locks.empty())
    self->delayed_send(self, std::chrono::milliseconds{s.lock_timeout_ms},
                       lock_timeout_atom::value, s.task.task_id);
  enqueue(st, waiting_step{std::move(s), rp});
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
      it = it->second.group == task_id ? q.erase(it) : std::next(it);
    for (const auto& [id, t] : self->state.running)
      if (t.group == task_id)
        if (auto* a = find_agent(self->state, t.agent))
          self->send(a->handle, cancel_atom::value, id);
    return;
  }
  for (auto it = q.begin(); it != q.end(); ++it)
    if (it->second.step.task.task_id == task_id) {
      it->second.rp.deliver(task_reply::failure(task_id, "cancelled", false));
      q.erase(it);
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

std::string learned_quality(const dispatcher_state& st) {
  auto out = nlohmann::json::array();
  for (const auto& [key, q] : st.learned)
    if (q.successes + q.failures > 0)
      out.push_back({{"agent", key.first},
                     {"category", key.second},
                     {"successes", q.successes},
                     {"failures", q.failures},
                     {"mean", q.mean()}});
  return out.dump();
}

caf::behavior
dispatcher_actor(dispatcher_self* self,
                 std::vector<std::pair<model::agent_def, caf::actor>> agents,
                 dispatch_settings cfg) {
  auto& st = self->state;
  st.learned = cfg.learned;
  st.rng.seed(cfg.seed != 0 ? cfg.seed
                            : static_cast<std::uint64_t>(
                                  steady::now().time_since_epoch().count()));
  st.cfg = std::move(cfg);
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
      [self](lock_timeout_atom, const std::string& task_id) {
        lock_timeout(self, task_id);
      },
      [self](leave_atom, const std::string& node) {
        remove_agents(
            self, [&](const auto& a) { return a.node == node; },
            "node " + node + " left the cluster");
        for (auto& a : self->state.agents)
          a.elsewhere.erase(node);
      },
      [self](directory_atom) { return directory(self->state); },
      [self](stats_atom) { return learned_quality(self->state); },
  };
}

} // namespace

caf::actor
spawn_dispatcher(caf::actor_system& sys,
                 std::vector<std::pair<model::agent_def, caf::actor>> agents,
                 dispatch_settings settings) {
  return sys.spawn(dispatcher_actor, std::move(agents), std::move(settings));
}

} // namespace hishamos::actors
