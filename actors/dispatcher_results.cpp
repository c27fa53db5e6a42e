// The dispatcher's results that need more than one agent: consensus
// groups (one step on several distinct agents, one result picked) and
// judge evaluators (an agent scores a result before its execution hears of
// it). The rest of the dispatcher is in actors/dispatcher.cpp.

#include <algorithm>

#include <nlohmann/json.hpp>

#include "actors/internal/dispatcher_state.hpp"
#include "model/consensus.hpp"

namespace hishamos::actors::internal {

namespace {

// The consensus outcome: the winner's reply with every candidate kept in
// its decision.
void resolve(dispatcher_self* self, consensus_group& g, int winner,
             nlohmann::json judge) {
  auto candidates = nlohmann::json::array();
  for (const auto& r : g.results)
    candidates.push_back({{"agent", r.agent_id},
                          {"ok", r.ok},
                          {"quality", r.quality},
                          {"output", r.output},
                          {"decision", model::parse_decision(r.decision)}});
  task_reply out = g.results[static_cast<size_t>(winner)];
  out.task_id = g.step.task.task_id;
  model::set_spend(out, g.spent);
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
  enqueue(self, std::move(w), true);
}

} // namespace

// A candidate's (or the judge's) reply. Failed candidates drop out; when
// all are in, the strategy picks among the ones that succeeded.
void group_result(dispatcher_self* self, const std::string& id, task_reply r) {
  auto& st = self->state;
  auto it = st.groups.find(id);
  if (it == st.groups.end())
    return pump(self); // cancelled meanwhile
  auto& g = it->second;
  model::add_spend(g.spent, r);
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
    model::set_spend(why, g.spent);
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
    enqueue(self, std::move(w));
  }
  pump(self);
  return rp;
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
  enqueue(self, std::move(w), true);
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
  auto decision = model::parse_decision(p.reply.decision);
  if (decision.is_discarded())
    decision = nlohmann::json::object();
  decision["evaluation"] = {
      {"judge", r.agent_id},
      {"answer", r.output.substr(0, 200)},
      {"score", score < 0 ? nlohmann::json(nullptr) : nlohmann::json(score)}};
  p.reply.decision = decision.dump();
  model::add_spend(p.reply, r); // the judge's call is the step's too
  if (score >= 0) {
    p.reply.quality = score;
    learn(self, p.task.agent_id, p.task.category, score);
  } else {
    learn(self, p.task.agent_id, p.task.category, outcome_of(p.reply));
  }
  p.task.rp.deliver(std::move(p.reply));
  pump(self);
}

} // namespace hishamos::actors::internal
