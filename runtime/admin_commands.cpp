// What operators do to a running node: rate a result, approve a paused
// execution's spending, cancel an execution, and record who did it.

#include "runtime/internal/ask.hpp"
#include "runtime/internal/node_impl.hpp"

namespace hishamos {

namespace {

// The agent that produced a step's committed result, and its template;
// not_found when there is none.
struct rated_step {
  std::string agent;
  std::string template_id;
};

persistence::outcome<rated_step> find_rated(persistence::store& db,
                                            const std::string& execution_id,
                                            const std::string& step_id) {
  using persistence::errc;
  persistence::outcome<rated_step> out;
  auto rec = db.find_execution(execution_id);
  if (out.st = rec.st; !out.st)
    return out;
  if (!rec.value) {
    out.st = {errc::not_found, "no execution with id '" + execution_id + "'"};
    return out;
  }
  auto wf = model::workflow_from_json(
      nlohmann::json::parse(rec.value->definition, nullptr, false));
  if (wf)
    if (int i = wf->index_of(step_id); i >= 0)
      out.value.template_id =
          wf->steps[static_cast<size_t>(i)].command_template_id;
  auto cps = db.checkpoints(execution_id);
  if (out.st = cps.st; !out.st)
    return out;
  for (const auto& cp : cps.value)
    if (cp.step_id == step_id)
      out.value.agent = cp.agent_id;
  if (out.value.agent.empty())
    out.st = {errc::not_found, "execution " + execution_id +
                                   " has no committed result for step '" +
                                   step_id + "'"};
  return out;
}

} // namespace

status node::rate_result(const std::string& execution_id,
                         const std::string& step_id, double score,
                         const std::string& rater) {
  if (!(score >= 0 && score <= 1))
    return {errc::invalid, "a rating is a number from 0 to 1"};
  bool first = true;
  auto found = impl_->pool->with("rate_result", [&](persistence::store& db) {
    auto step = find_rated(db, execution_id, step_id);
    if (step && !rater.empty()) {
      auto recorded = db.record_rating(execution_id, step_id, rater, score);
      step.st = recorded.st;
      first = recorded.value;
    }
    if (step)
      step.st = db.rate_result(execution_id, step_id, score);
    return step;
  });
  if (!found)
    return from_store(found.st);
  // Routing learns one rating per person and result: a person's new
  // rating replaces the stored score but teaches nothing more, so that
  // rating a result again and again cannot move an agent's quality.
  if (!first)
    return {};
  const auto* tpl = catalog()->find_template(found.value.template_id);
  caf::anon_send(impl_->dispatcher, actors::rate_atom::value, found.value.agent,
                 tpl ? tpl->category : found.value.template_id, score);
  return {};
}

status node::audit(const std::string& action, const nlohmann::json& details,
                   const std::string& user_id) {
  return from_store(impl_->audits->write(
      {user_id, action, details.dump(), persistence::now_ms()}));
}

bool node::cancel(const std::string& id) {
  auto execution = impl_->executions.find(id);
  if (!execution)
    return false;
  caf::anon_send(execution, actors::cancel_atom::value);
  return true;
}

outcome<double> node::approve_budget(const std::string& id, double extra_usd) {
  if (!(extra_usd >= 0) || extra_usd > 1e9)
    return {{errc::invalid, "extra_usd must be a number of USD from 0 to 1e9 "
                            "(0 = the limit of the budget that paused it)"},
            0};
  auto execution = impl_->executions.find(id);
  if (!execution)
    return {{errc::not_found, "execution " + id +
                                  " is not running on this node; approve it "
                                  "on the node that owns it"},
            0};
  auto until =
      runtime::ask<double>(*impl_->sys, execution, std::chrono::seconds{10},
                           actors::approve_atom::value, extra_usd);
  if (until)
    return {{}, *until};
  if (until.error() == caf::sec::invalid_argument)
    return {{errc::conflict, "execution " + id + " is not paused by a budget"},
            0};
  return {{errc::unavailable, "the execution did not confirm the approval: " +
                                  impl_->sys->render(until.error())},
          0};
}

outcome<submitted> node::retry(const std::string& execution_id) {
  if (impl_->draining)
    return {{errc::unavailable, "node " + id() + " is shutting down"}, {}};
  if (!impl_->executions.reserve_one())
    return {{errc::conflict, "node " + id() +
                                 " runs node.max_executions already; retry "
                                 "later or on another node"},
            {}};
  struct reopened {
    persistence::execution_record rec;
    std::vector<persistence::checkpoint> done;
  };
  auto got = impl_->pool->with("reopen_execution", [&](persistence::store& db) {
    persistence::outcome<reopened> out;
    auto rec = db.reopen_execution(execution_id, id());
    if (out.st = rec.st; !out.st)
      return out;
    auto cps = db.checkpoints(execution_id);
    out.st = cps.st;
    out.value = {std::move(rec.value), std::move(cps.value)};
    return out;
  });
  struct slot_release {
    runtime::execution_registry& registry;
    ~slot_release() { registry.release(1); }
  } release_slot{impl_->executions}; // after the spawn below counts
  if (!got)
    return {from_store(got.st), {}};
  auto& rec = got.value.rec;
  std::string damage;
  auto wf = definition_of(rec, damage);
  if (wf)
    damage = damage_of(got.value.done);
  if (!damage.empty()) {
    impl_->quarantine(rec, damage);
    return {
        {errc::conflict, "execution " + rec.id + " is quarantined: " + damage},
        {}};
  }
  submitted s{rec.id, rec.workflow_name, rec.workflow_version, "running", true};
  impl_->spawn_execution(
      std::move(rec),
      std::make_shared<const model::workflow_def>(std::move(*wf)),
      std::move(got.value.done), {}, {});
  return {{}, std::move(s)};
}

} // namespace hishamos
